"""Evidence packs: what an auditor receives for a site and period (optionally one lot's genealogy).

Pure rules, no frappe: the scope's dates, the shape of the readings' summary, the ZIP's manifest
(build and verify) and the pack's life: Draft → Reviewed → Sent, each step by a Quality Manager; a
Sent pack never changes again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta

from yam_agri_core.rules.messages import Kind, RuleError, _

DRAFT, REVIEWED, SENT = "Draft", "Reviewed", "Sent"
STATUSES = (DRAFT, REVIEWED, SENT)
QUALITY_MANAGER, SYSTEM_MANAGER = "Quality Manager", "System Manager"
#: Who may review and send a pack.
PACK_ROLES = frozenset({QUALITY_MANAGER, SYSTEM_MANAGER})
#: The longest period one pack covers (a year and a day for a leap year).
MAX_PERIOD_DAYS = 366

#: The kinds of records a pack holds, in the order of its sections: (key, DocType, label).
KINDS = (
	("qc_tests", "QC Test", "QC Tests"),
	("certificates", "Certificate", "Certificates"),
	("scale_tickets", "Scale Ticket", "Scale Tickets"),
	("nonconformances", "Nonconformance", "Nonconformances"),
	("lot_transfers", "Lot Transfer", "Lot Transfers"),
	("quarantined_readings", "Observation", "Quarantined Readings"),
)
#: Fields only a Draft pack may change (its scope); nothing changes once Sent.
SCOPE_FIELDS = ("site", "lot", "from_date", "to_date")


def period_bounds(from_date: date, to_date: date) -> tuple[datetime, datetime]:
	"""The period as [start, end) datetimes: from the first day's midnight to the day after the last."""
	if not from_date or not to_date:
		raise RuleError(Kind.DATES, _("An evidence pack needs a From Date and a To Date"), field="from_date")
	if to_date < from_date:
		raise RuleError(
			Kind.DATES, _("To Date {0} is before From Date {1}"), to_date, from_date, field="to_date"
		)
	if (to_date - from_date).days + 1 > MAX_PERIOD_DAYS:
		raise RuleError(
			Kind.DATES,
			_("An evidence pack covers at most {0} days; split the period from {1} to {2}"),
			MAX_PERIOD_DAYS,
			from_date,
			to_date,
			field="to_date",
		)
	return datetime.combine(from_date, time.min), datetime.combine(to_date + timedelta(days=1), time.min)


def valid_in_period(issue_date: date | None, expiry_date: date | None, start: date, end: date) -> bool:
	"""A certificate is in scope when it was valid at any time between ``start`` and ``end`` (inclusive)."""
	return (issue_date is None or issue_date <= end) and (expiry_date is None or expiry_date >= start)


def open_in_period(opened_on: date, closed_on: date | None, start: date, end: date) -> bool:
	"""A nonconformance is in scope when it was open at any time in the period."""
	return opened_on <= end and (closed_on is None or closed_on >= start)


def reading_summary(rows: Iterable[Mapping]) -> list[dict]:
	"""Rows of the per device, metric and day aggregate (``device, metric, unit, day, count, min, mean,
	max``) as the pack shows them: values rounded to 2 places, sorted by day, device and metric."""
	shaped = [
		{
			"device": row["device"],
			"metric": row["metric"],
			"unit": row.get("unit") or "",
			"day": _day(row["day"]),
			"count": int(row["count"] or 0),
			"min": _round(row["min"]),
			"mean": _round(row["mean"]),
			"max": _round(row["max"]),
		}
		for row in rows
	]
	return sorted(shaped, key=lambda r: (r["day"], r["device"], r["metric"]))


def _day(value) -> str:
	return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _round(value) -> float | None:
	return None if value is None else round(float(value), 2)


def counts(records: Mapping[str, Sequence], summary: Sequence[Mapping], lots: int, files: int) -> dict:
	"""The pack's counts per kind (its cover page and its Int fields)."""
	result = {f"{key}": len(records.get(key) or ()) for key, _doctype, _label in KINDS}
	result["readings"] = sum(int(row["count"]) for row in summary)
	result["lots"] = lots
	result["files"] = files
	return result


# --- manifest --------------------------------------------------------------------------------------


def sha256(content: bytes) -> str:
	return hashlib.sha256(content).hexdigest()


def build_manifest(files: Mapping[str, bytes], header: Mapping) -> bytes:
	"""manifest.json: ``header`` (pack, site, period, ...) and each file with its size and SHA-256,
	sorted by path; the bytes are canonical (sorted keys), so the same files give the same checksum."""
	if "manifest.json" in files:
		raise RuleError(Kind.VALIDATION, _("A pack file may not be named {0}"), "manifest.json")
	listing = [
		{"path": path, "size": len(content), "sha256": sha256(content)}
		for path, content in sorted(files.items())
	]
	body = {**header, "algorithm": "sha256", "files": listing}
	return json.dumps(body, sort_keys=True, indent=1, ensure_ascii=False, default=str).encode("utf-8")


def verify_manifest(manifest: bytes, files: Mapping[str, bytes]) -> list[str]:
	"""What does not match between ``manifest`` and ``files`` (missing, extra, wrong size or checksum);
	empty when the pack is intact."""
	listed = {row["path"]: row for row in json.loads(manifest)["files"]}
	problems = [f"missing: {path}" for path in sorted(set(listed) - set(files))]
	problems += [f"not listed: {path}" for path in sorted(set(files) - set(listed) - {"manifest.json"})]
	for path in sorted(set(listed) & set(files)):
		content = files[path]
		if len(content) != listed[path]["size"] or sha256(content) != listed[path]["sha256"]:
			problems.append(f"changed: {path}")
	return problems


def safe_file_name(doctype: str, name: str, file_name: str) -> str:
	"""Where a record's attachment goes in the ZIP: ``attachments/<DocType>/<record>/<file>``, with no
	path separators or parent references from the stored names."""

	def clean(part: str) -> str:
		part = str(part or "").replace("/", "_").replace("\\", "_").strip()
		return "_" if part in ("", ".", "..") else part

	return f"attachments/{clean(doctype)}/{clean(name)}/{clean(file_name)}"


# --- life of a pack --------------------------------------------------------------------------------


def check_generate(status: str) -> None:
	if status != DRAFT:
		raise RuleError(
			Kind.IMMUTABLE,
			_("Evidence pack is {0}: only a Draft pack is generated again"),
			status,
			field="status",
		)


def check_transition(current: str, requested: str, roles: Iterable[str], generated: bool) -> None:
	"""Draft → Reviewed (once generated) → Sent, each by a Quality Manager; nothing else."""
	allowed = {DRAFT: REVIEWED, REVIEWED: SENT}
	if allowed.get(current) != requested:
		raise RuleError(
			Kind.TRANSITION,
			_("Evidence pack cannot go from {0} to {1}"),
			current,
			requested,
			field="status",
		)
	if not PACK_ROLES & set(roles):
		raise RuleError(
			Kind.ROLE, _("Only a Quality Manager may mark an evidence pack {0}"), requested, field="status"
		)
	if not generated:
		raise RuleError(
			Kind.VALIDATION, _("Generate the evidence pack before marking it {0}"), requested, field="status"
		)


def check_sent_to(sent_to: str | None) -> str:
	"""A pack is marked Sent only saying to whom (an auditor, a buyer, an authority); the name, trimmed."""
	sent_to = (sent_to or "").strip()
	if not sent_to:
		raise RuleError(
			Kind.VALIDATION, _("Say to whom the evidence pack was sent (Sent To)"), field="sent_to"
		)
	return sent_to


#: Fields a user may edit by hand; the others are written by generating, reviewing and sending.
USER_FIELDS = frozenset({*SCOPE_FIELDS, "sent_to"})


def check_edit(
	before_status: str | None,
	changed: Iterable[str],
	by_pack: bool = False,
	labels: Mapping[str, str] | None = None,
) -> None:
	"""A Sent pack never changes; a Reviewed one keeps its scope; the status, counts, files and
	signatures change only through the pack's own actions (``by_pack``). Messages name the fields by
	their ``labels`` (the reader's, translated), never by field name."""
	changed = sorted(changed)
	if not before_status or not changed:
		return

	def named(fields: list[str]) -> str:
		return ", ".join((labels or {}).get(f) or f for f in fields)

	system = [f for f in changed if f not in USER_FIELDS]
	if system and not by_pack and before_status != SENT:
		raise RuleError(
			Kind.IMMUTABLE,
			_("{0} of an evidence pack change only by generating, reviewing or sending it"),
			named(system),
			field=system[0],
		)
	if before_status == SENT:
		raise RuleError(
			Kind.IMMUTABLE,
			_("Evidence pack was sent and cannot be changed ({0})"),
			named(changed),
			field=changed[0],
		)
	scope = [f for f in changed if f in SCOPE_FIELDS]
	if before_status == REVIEWED and scope:
		raise RuleError(
			Kind.IMMUTABLE,
			_("Evidence pack was reviewed: its scope cannot be changed ({0})"),
			named(scope),
			field=scope[0],
		)


def check_delete(status: str) -> None:
	if status == SENT:
		raise RuleError(Kind.IMMUTABLE, _("Evidence pack was sent and cannot be deleted"))
