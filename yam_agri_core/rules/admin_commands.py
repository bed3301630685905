"""The IT admin's bench commands (``bench --site SITE yam ...``, ``yam_agri_core/commands/``): the parts
that need no site. No Frappe here.

Names the admin types (role profiles, sites) are matched in English or Arabic, ignoring case and extra
spaces; the daily check's findings become one exit status; backups are found by their folder and file
names (run.sh's layout and ``bench backup``'s); tables and genealogy trees are laid out as text.

Bad input raises :class:`~yam_agri_core.rules.messages.RuleError` (translated by the command, which then
exits with :data:`EXIT_BAD_INPUT`).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from yam_agri_core.rules.messages import Kind, RuleError, _

#: Exit statuses, as run.sh's (runbook section 11): 0 done, 1 failed, 2 bad input, 4 needs attention.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_ATTENTION = 4

#: The one persona who works without a site grant (a System Manager sees every site).
IT_ADMIN_PROFILE = "YAM IT Admin"
#: The languages a user may be given (their Desk and mails).
USER_LANGUAGES = ("ar", "en")
LANGUAGE_ALIASES = {"ar": "ar", "arabic": "ar", "العربية": "ar", "عربي": "ar", "en": "en", "english": "en"}

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PASSWORD_LENGTH = 16
PASSWORD_SYMBOLS = "!#%+-=?@_"
#: At most this many known names are listed when a name is not found.
MAX_LISTED = 20


# --- what the admin types --------------------------------------------------------------------------


def fold(text: str | None) -> str:
	"""``text`` for matching: case folded, spaces collapsed, Arabic tatweel dropped."""
	return " ".join((text or "").replace("\u0640", "").split()).casefold()


def split_values(values: Iterable[str | None]) -> list[str]:
	"""Repeated and comma-separated option values as one list, in order, blanks and repeats dropped:
	``("A", "B,C", "A")`` -> ``["A", "B", "C"]``."""
	out: list[str] = []
	for value in values:
		for part in (value or "").replace("،", ",").split(","):
			part = part.strip()
			if part and part not in out:
				out.append(part)
	return out


def check_email(email: str | None) -> str:
	"""The address, stripped and lower-cased; RuleError when it is not one."""
	email = (email or "").strip().lower()
	if not EMAIL_PATTERN.match(email):
		raise RuleError(Kind.VALIDATION, _("{0} is not an email address"), email or '""')
	return email


def split_name(full_name: str | None) -> tuple[str, str]:
	"""A person's full name as Frappe's first and last name: the first word, then the rest."""
	words = (full_name or "").split()
	if not words:
		raise RuleError(Kind.VALIDATION, _("Give the user's full name with --name"))
	return words[0], " ".join(words[1:])


def language_code(value: str | None) -> str:
	"""``ar``/``en`` from what the admin typed (``ar``, ``Arabic``, ``العربية``, ...)."""
	code = LANGUAGE_ALIASES.get(fold(value))
	if not code:
		raise RuleError(
			Kind.VALIDATION,
			_("Unknown language {0}; use one of: {1}"),
			value or "",
			", ".join(USER_LANGUAGES),
		)
	return code


def aliases(names: Iterable[str], translations: Mapping[str, str]) -> dict[str, set[str]]:
	"""Each name with what it is also called: its translation (e.g. a role profile's Arabic name)."""
	return {name: {name, *([translations[name]] if translations.get(name) else [])} for name in names}


def resolve(value: str | None, known: Mapping[str, Iterable[str]], what: str) -> str:
	"""The one key of ``known`` (name -> what it is also called) that ``value`` names; RuleError (saying
	which names exist) when none or several do. ``what`` is the translatable noun ("Role Profile")."""
	wanted = fold(value)
	matches = sorted({name for name, other in known.items() if wanted and wanted in {fold(o) for o in other}})
	if len(matches) == 1:
		return matches[0]
	if matches:
		raise RuleError(
			Kind.VALIDATION, _("{0} {1} is ambiguous: it names {2}"), what, value, ", ".join(matches)
		)
	names = sorted(known)
	listed = ", ".join(names[:MAX_LISTED]) + (", ..." if len(names) > MAX_LISTED else "")
	raise RuleError(Kind.VALIDATION, _("{0} {1} does not exist; known: {2}"), what, value or '""', listed)


def check_sites_for_profile(profile: str, sites: Sequence[str]) -> None:
	"""Every persona but the IT Admin needs a site: without a grant a user sees nothing."""
	if not sites and profile != IT_ADMIN_PROFILE:
		raise RuleError(
			Kind.SITE,
			_("Give at least one --site for a {0} user: without a site grant the user sees nothing"),
			profile,
		)


def new_password(length: int = PASSWORD_LENGTH, rng: random.Random | None = None) -> str:
	"""A random password with upper and lower case letters, digits and a symbol (any site policy)."""
	rng = rng or secrets.SystemRandom()
	classes = (string.ascii_uppercase, string.ascii_lowercase, string.digits, PASSWORD_SYMBOLS)
	alphabet = "".join(classes)
	chars = [rng.choice(c) for c in classes] + [rng.choice(alphabet) for _i in range(length - len(classes))]
	rng.shuffle(chars)
	return "".join(chars)


def parse_date(value: str | None, option: str) -> dt.date:
	"""A date typed as YYYY-MM-DD; RuleError naming the option otherwise."""
	try:
		return dt.date.fromisoformat((value or "").strip())
	except ValueError:
		raise RuleError(
			Kind.DATES, _("{0} must be a date as YYYY-MM-DD, not {1}"), option, value or '""'
		) from None


# --- the daily check -------------------------------------------------------------------------------


@dataclass
class Finding:
	"""One line of ``yam check``: what was counted, how many, and whether it needs attention."""

	key: str
	label: str
	count: int | None
	attention: bool
	detail: str = ""
	items: list[str] = field(default_factory=list)


def count_finding(key: str, label: str, count: int, items: Iterable[str] = (), limit: int = 5) -> Finding:
	"""A count that needs attention when it is not zero (the items named are the first ``limit``)."""
	return Finding(key, label, int(count), count > 0, items=list(items)[:limit])


def exit_status(findings: Iterable[Finding]) -> int:
	""":data:`EXIT_ATTENTION` when a finding needs attention, else :data:`EXIT_OK`."""
	return EXIT_ATTENTION if any(f.attention for f in findings) else EXIT_OK


def findings_json(findings: Sequence[Finding], checked_at: dt.datetime, site: str) -> dict:
	"""``yam check --json``: the site, when, ``ok`` and each finding by its key."""
	return {
		"site": site,
		"checked_at": checked_at.isoformat(sep=" ", timespec="seconds"),
		"ok": exit_status(findings) == EXIT_OK,
		"checks": {
			f.key: {"count": f.count, "attention": f.attention, "detail": f.detail, "items": f.items}
			for f in findings
		},
	}


# --- backups ---------------------------------------------------------------------------------------

#: run.sh's backups: BACKUP_ROOT/YYYYMMDD_HHMM/ (daily) and predeploy_YYYYMMDD_HHMM/, complete when both
#: parts are there and not empty (scripts/run/backup.sh).
RUN_SH_FOLDER = re.compile(r"^(?:predeploy_)?(\d{8})_(\d{4})$")
RUN_SH_PARTS = ("frappe-backup.sql.gz", "files.tar.gz")
#: ``bench backup``'s database dumps in sites/SITE/private/backups: YYYYMMDD_HHMMSS-<site>-database.sql.gz
BENCH_DUMP = re.compile(r"^(\d{8})_(\d{6})-.+-database\.sql(?:\.gz)?$")
#: A backup older than this needs attention (run.sh watch's YAM_BACKUP_MAX_AGE_HOURS default).
BACKUP_MAX_AGE_HOURS = 26


@dataclass(frozen=True)
class Backup:
	path: str
	taken_at: dt.datetime


def folder_time(name: str) -> dt.datetime | None:
	"""When a run.sh backup folder was made, from its name (None when it is not one)."""
	m = RUN_SH_FOLDER.match(name)
	return _stamp(m.group(1) + m.group(2) + "00") if m else None


def dump_time(name: str) -> dt.datetime | None:
	"""When a ``bench backup`` database dump was made, from its file name (None when it is not one)."""
	m = BENCH_DUMP.match(name)
	return _stamp(m.group(1) + m.group(2)) if m else None


def _stamp(digits: str) -> dt.datetime | None:
	try:
		return dt.datetime.strptime(digits, "%Y%m%d%H%M%S")
	except ValueError:
		return None


def find_backups(run_sh_root: Path | None, site_backups: Path | None) -> list[Backup]:
	"""The complete run.sh backups under ``run_sh_root`` and the non-empty database dumps in the site's
	``private/backups``, newest first (either folder may be missing)."""
	found: list[Backup] = []
	if run_sh_root and run_sh_root.is_dir():
		for folder in run_sh_root.iterdir():
			taken = folder_time(folder.name)
			if taken and folder.is_dir() and all(_not_empty(folder / part) for part in RUN_SH_PARTS):
				found.append(Backup(str(folder), taken))
	if site_backups and site_backups.is_dir():
		for dump in site_backups.iterdir():
			taken = dump_time(dump.name)
			if taken and _not_empty(dump):
				found.append(Backup(str(dump), taken))
	return sorted(found, key=lambda b: (b.taken_at, b.path), reverse=True)


def _not_empty(path: Path) -> bool:
	try:
		return path.is_file() and path.stat().st_size > 0
	except OSError:
		return False


def backup_finding(
	backups: Sequence[Backup], now: dt.datetime, max_age_hours: int = BACKUP_MAX_AGE_HOURS
) -> Finding:
	"""The newest backup and its age in hours; attention when there is none or it is too old."""
	label = _("Newest backup")
	if not backups:
		return Finding("backup", label, None, True, detail=_("no backup found"))
	newest = backups[0]
	age = max(0, int((now - newest.taken_at).total_seconds() // 3600))
	return Finding("backup", label, age, age >= max_age_hours, detail=newest.path)


# --- database size and ANALYZE ---------------------------------------------------------------------

#: The table that grows fastest; ``yam db-size`` lists it (and its indexes) first.
BIGGEST_TABLE = "tabObservation"
#: The DocTypes ``yam optimize`` analyzes: the readings, the weighbridge, the lots and their moves.
HIGH_TRAFFIC_DOCTYPES = (
	"Observation",
	"Scale Ticket",
	"Lot",
	"Lot Transfer",
	"Lot Transfer Source",
	"Lot Transfer Destination",
	"Nonconformance",
	"Certificate",
	"QC Test",
	"Device",
)


def order_tables(rows: Iterable[Mapping], first: str = BIGGEST_TABLE) -> list[Mapping]:
	"""Tables (``table``, ``data_bytes``, ``index_bytes``) with ``first`` on top, then biggest first."""
	return sorted(
		rows,
		key=lambda r: (
			r["table"] != first,
			-(int(r.get("data_bytes") or 0) + int(r.get("index_bytes") or 0)),
			r["table"],
		),
	)


def megabytes(size: int | float | None) -> str:
	return f"{(size or 0) / 1024 / 1024:,.1f}"


def pick_doctypes(asked: Sequence[str], known: Sequence[str] = HIGH_TRAFFIC_DOCTYPES) -> list[str]:
	"""The DocTypes to analyze: those asked (matched without case), or all ``known`` ones."""
	if not asked:
		return list(known)
	return [resolve(name, {k: {k, f"tab{k}"} for k in known}, _("DocType")) for name in split_values(asked)]


# --- text output -----------------------------------------------------------------------------------


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
	"""Rows as aligned text columns under ``headers`` (numbers right-aligned)."""
	cells = [[_cell(v) for v in row] for row in rows]
	widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
	numeric = [all(_is_number(r[i]) for r in cells) and bool(cells) for i in range(len(headers))]

	def line(values: Sequence[str]) -> str:
		return "  ".join(
			v.rjust(widths[i]) if numeric[i] else v.ljust(widths[i]) for i, v in enumerate(values)
		).rstrip()

	out = [line(list(headers)), line(["-" * w for w in widths])]
	out += [line(r) for r in cells]
	return "\n".join(out)


def _cell(value: object) -> str:
	if value is None:
		return ""
	if isinstance(value, float):
		return f"{value:,.3f}".rstrip("0").rstrip(".")
	return str(value)


def _is_number(text: str) -> bool:
	return bool(re.fullmatch(r"-?[\d,]+(?:\.\d+)?", text)) or text == ""


def tree_lines(tree: Mapping, label: Callable[[Mapping], str]) -> list[str]:
	"""A genealogy tree (``Genealogy.tree()``: ``id``, ``qty_kg``, ``children``, ``repeat``, ``more``) as
	indented lines; ``label(item)`` says what each item is."""
	lines: list[str] = []

	def walk(item: Mapping, prefix: str, last: bool, root: bool) -> None:
		branch = "" if root else ("└─ " if last else "├─ ")
		lines.append(f"{prefix}{branch}{label(item)}")
		children = item.get("children") or []
		inner = prefix + ("" if root else ("   " if last else "│  "))
		for i, child in enumerate(children):
			walk(child, inner, i == len(children) - 1, False)

	walk(tree, "", True, True)
	return lines


def kilograms(value: float | int | None) -> str:
	return f"{float(value or 0):,.3f}".rstrip("0").rstrip(".")
