"""What run.sh does inside the site, as Python: `bench --site SITE execute yam_agri_core.ops.FN --kwargs JSON`.

run.sh (scripts/run/) passes the arguments as one JSON object of strings. bench evaluates --kwargs as a Python
literal, and such an object is one with the same meaning, so no shell or Python quoting is involved (run.sh never
writes true/false/null). Each function prints one JSON line as its result (`result_line`), which run.sh reads
from the end of bench's output; failures raise, so bench exits non-zero.

The helpers above the line are pure (no frappe: tests/test_run_sh.py and its fake bench use them); the functions
below it import frappe when they run.
"""

import json
from pathlib import Path
from typing import Any


def bench_kwargs(text: str) -> dict[str, str]:
	"""The --kwargs value run.sh writes: a JSON object of string values (ValueError for anything else)."""
	value = json.loads(text)
	if not isinstance(value, dict):
		raise ValueError(f"--kwargs must be a JSON object, not {type(value).__name__}")
	for key, item in value.items():
		if not isinstance(item, str):
			raise ValueError(f"--kwargs {key!r} must be a string, not {type(item).__name__}")
	return value


def result_line(**fields: Any) -> str:
	"""One line of JSON with sorted keys; run.sh tests a flag by its exact text `"KEY": true` (json_flag)."""
	return json.dumps(fields, sort_keys=True, ensure_ascii=True)


def split_recipients(value: str) -> list[str]:
	"""'a@x.example, b@y.example' (YAM_ADMIN_EMAIL) -> the addresses, blanks dropped."""
	return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


def read_config(text: str) -> dict[str, Any]:
	"""The text of a site_config.json as a dict ({} when it is no JSON object)."""
	try:
		value = json.loads(text)
	except ValueError:
		return {}
	return value if isinstance(value, dict) else {}


def key_to_adopt(current: dict[str, Any], backup: dict[str, Any]) -> str | None:
	"""The backup's encryption_key when the site must take it (it has one and it differs), else None."""
	key = backup.get("encryption_key")
	if isinstance(key, str) and key and key != current.get("encryption_key"):
		return key
	return None


def _emit(**fields: Any) -> None:
	print(result_line(**fields), flush=True)


# ---------------------------------------------------------------------------------------------------------------
# in the site (bench execute): frappe is imported here, never at module level


def notify_admin(recipients: str, subject: str, message: str) -> None:
	"""Email the administrators now, through the site's outgoing mail; prints {"sent": true, ...}."""
	import frappe

	addresses = split_recipients(recipients)
	if not addresses:
		raise ValueError("notify_admin: no recipient address")
	frappe.sendmail(recipients=addresses, subject=subject, message=message, now=True)
	_emit(sent=True, recipients=addresses)


def adopt_encryption_key(backup_config: str) -> None:
	"""Give the site the encryption_key of the backup's site_config.json (the file at BACKUP_CONFIG) when it
	differs: passwords encrypted in the restored database only decrypt with it. Prints {"changed": bool}."""
	import frappe
	from frappe.installer import update_site_config

	backup = read_config(Path(backup_config).read_text(encoding="utf-8"))
	site_config = Path(frappe.get_site_path("site_config.json"))
	key = key_to_adopt(read_config(site_config.read_text(encoding="utf-8")), backup)
	if key:
		update_site_config("encryption_key", key, validate=False, site_config_path=str(site_config))
	_emit(changed=bool(key))
