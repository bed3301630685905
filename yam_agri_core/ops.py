"""What run.sh does inside the site, as Python: `bench --site SITE execute yam_agri_core.ops.FN --kwargs JSON`.

run.sh (scripts/run/) passes the arguments as one JSON object of strings. bench evaluates --kwargs as a Python
literal, and such an object is one with the same meaning, so no shell or Python quoting is involved (run.sh never
writes true/false/null). Each function prints one JSON line as its result (`result_line`), which run.sh reads
from the end of bench's output; failures raise, so bench exits non-zero.

The helpers above the line are pure (no frappe: tests/test_run_sh.py and its fake bench use them); the functions
below it import frappe when they run. Run as a script on the host (`python3 yam_agri_core/ops.py COMMAND`), the
module needs no frappe either: `merge-key` (restore with the backend down) and `sendmail` (alerts while the
stack is down, SMTP settings from the environment, i.e. run.sh's .env).
"""

import json
import os
import smtplib
import sys
from email.message import EmailMessage
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


def merged_config(current: dict[str, Any], backup: dict[str, Any]) -> dict[str, Any]:
	"""The site's config with the backup's encryption_key taken over when it must be (key_to_adopt)."""
	key = key_to_adopt(current, backup)
	return {**current, "encryption_key": key} if key else current


def smtp_settings(env: dict[str, str]) -> dict[str, Any]:
	"""SMTP settings for mail sent from the host: YAM_HOST_MAIL_* win over the stack's MAIL_* (.env)."""

	def pick(name: str, default: str = "") -> str:
		return env.get(f"YAM_HOST_{name}") or env.get(name) or default

	server = pick("MAIL_SERVER")
	if server == "mailpit":  # the stack's mail catcher is a container name, not reachable from the host
		server = ""
	return {
		"server": server,
		"port": int(pick("MAIL_PORT", "25")),
		"sender": pick("MAIL_SENDER", "alerts@yam.localhost"),
		"login": pick("MAIL_LOGIN"),
		"password": pick("MAIL_PASSWORD"),
		"starttls": pick("MAIL_USE_TLS", "0") == "1",
		"ssl": pick("MAIL_USE_SSL", "0") == "1",
	}


def build_mail(sender: str, recipients: list[str], subject: str, body: str) -> EmailMessage:
	msg = EmailMessage()
	msg["From"] = sender
	msg["To"] = ", ".join(recipients)
	msg["Subject"] = subject
	msg.set_content(body)
	return msg


def host_sendmail(recipients: str, subject: str, body: str, env: dict[str, str]) -> None:
	"""Send one mail over SMTP from this machine (no frappe, no site): raises when it could not be sent."""
	cfg = smtp_settings(env)
	addresses = split_recipients(recipients)
	if not cfg["server"] or not addresses:
		raise ValueError("no SMTP server (YAM_HOST_MAIL_SERVER or MAIL_SERVER) or no recipient")
	smtp_cls = smtplib.SMTP_SSL if cfg["ssl"] else smtplib.SMTP
	with smtp_cls(cfg["server"], cfg["port"], timeout=30) as smtp:
		if cfg["starttls"]:
			smtp.starttls()
		if cfg["login"]:
			smtp.login(cfg["login"], cfg["password"])
		smtp.send_message(build_mail(cfg["sender"], addresses, subject, body))


def main(argv: list[str]) -> int:
	"""Host commands: `merge-key CURRENT BACKUP` prints the merged site_config.json; `sendmail TO SUBJECT`
	sends stdin as the body (settings from the environment). Exit 0 ok, 1 failed, 2 usage."""
	if len(argv) == 3 and argv[0] == "merge-key":
		current = read_config(Path(argv[1]).read_text(encoding="utf-8"))
		backup = read_config(Path(argv[2]).read_text(encoding="utf-8"))
		if not current:
			print("merge-key: the site's site_config.json is no JSON object", file=sys.stderr)
			return 1
		print(json.dumps(merged_config(current, backup), indent=1, sort_keys=True))
		return 0
	if len(argv) == 3 and argv[0] == "sendmail":
		try:
			host_sendmail(argv[1], argv[2], sys.stdin.read(), dict(os.environ))
		except (OSError, ValueError, smtplib.SMTPException) as exc:
			print(f"sendmail: {exc}", file=sys.stderr)
			return 1
		return 0
	print(
		"usage: ops.py merge-key CURRENT BACKUP | ops.py sendmail RECIPIENTS SUBJECT <BODY", file=sys.stderr
	)
	return 2


def _emit(**fields: Any) -> None:
	print(result_line(**fields), flush=True)


# ---------------------------------------------------------------------------------------------------------------
# in the site (bench execute): frappe is imported here, never at module level


def notify_admin(recipients: str, subject: str, message: str, now: str = "1") -> None:
	"""Email the administrators through the site's Email Queue: sent at once (now="1"), or queued for the
	scheduler's sender, which retries while the relay is unreachable (now="0"); prints {"sent": true, ...}."""
	import frappe

	addresses = split_recipients(recipients)
	if not addresses:
		raise ValueError("notify_admin: no recipient address")
	frappe.sendmail(
		recipients=addresses, subject=subject, message=message, now=now == "1", delayed=now != "1"
	)
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


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
