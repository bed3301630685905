"""Retention with an archive: which months of readings leave MariaDB, where their Parquet file lives,
how a file is checked against what was moved, and how archived answers merge with live ones.

A reading older than the retention (YAM Agri Settings: Keep Readings Live For (days)) moves, a whole
month at a time, into one Parquet file per site and month under the site's private files (so
``run.sh backup``, ``restore`` and ``offsite`` carry it). A month is due when it ended before
``now - retention``: a month still partly inside the retention stays whole. No Frappe here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from yam_agri_core.rules.messages import Kind, RuleError, _

#: Where the archive lives, under the site's ``private/files`` (carried by ``bench backup --with-files``).
ARCHIVE_FOLDER = ("yam_archive", "observation")
MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
#: A site folder name: the site code rule (letters, digits, single hyphens), nothing that walks a path.
SITE_FOLDER_PATTERN = re.compile(r"^[A-Za-z0-9]+(?:[-_ .][A-Za-z0-9]+)*$")

#: The archive's states: the file is written and recorded (its rows may still be live: they are not read
#: from the file yet), then archived (the rows left MariaDB in the same transaction that set this).
WRITTEN = "Written"
ARCHIVED = "Archived"

#: What a month needs (see :func:`plan_month`).
SKIP = "skip"
MOVE = "move"
RECORD = "record"

#: The columns the checksum covers, in this order.
CHECKSUM_COLUMNS = ("name", "observed_at", "value", "quality_flag")


@dataclass(frozen=True)
class Manifest:
	"""What a file holds: its row count and the checksum over its rows (``CHECKSUM_COLUMNS``, ordered
	by ``observed_at`` then ``name``)."""

	rows: int
	checksum: str


# --- months ----------------------------------------------------------------------------------------


def month_of(value: dt.date | dt.datetime) -> str:
	return f"{value.year:04d}-{value.month:02d}"


def check_month(month: str) -> tuple[int, int]:
	match = MONTH_PATTERN.match(month or "")
	if not match:
		raise RuleError(Kind.VALIDATION, _("{0} is not a month (YYYY-MM)"), month or "", field="month")
	return int(match.group(1)), int(match.group(2))


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
	"""The month as [start, end) datetimes (local, naive: the time zone the readings are stored in)."""
	year, number = check_month(month)
	start = dt.datetime(year, number, 1)
	end = dt.datetime(year + 1, 1, 1) if number == 12 else dt.datetime(year, number + 1, 1)
	return start, end


def cutoff(now: dt.datetime, retention_days: int) -> dt.datetime:
	"""Readings observed before this may leave MariaDB."""
	if retention_days is None or int(retention_days) < 1:
		raise RuleError(
			Kind.VALIDATION,
			_("Keep Readings Live For (days) must be at least {0}"),
			1,
			field="keep_readings_live_days",
		)
	return now - dt.timedelta(days=int(retention_days))


def is_due(month: str, now: dt.datetime, retention_days: int) -> bool:
	"""A month is due when all of it is older than the retention (it ended at or before the cutoff)."""
	return month_bounds(month)[1] <= cutoff(now, retention_days)


def due_months(
	present: Iterable[tuple[str, str]], now: dt.datetime, retention_days: int
) -> list[tuple[str, str]]:
	"""The (site, month) pairs of ``present`` that are due, oldest first, each once."""
	return sorted(
		{(site, month) for site, month in present if is_due(month, now, retention_days)},
		key=lambda pair: (pair[1], pair[0]),
	)


def months_overlapping(
	start: dt.datetime | None, end: dt.datetime | None, months: Iterable[str]
) -> list[str]:
	"""The months of ``months`` that share time with [start, end) (an open side is unbounded)."""
	found = []
	for month in months:
		first, after = month_bounds(month)
		if (end is None or first < end) and (start is None or after > start):
			found.append(month)
	return sorted(set(found))


def oldest_month(months: Iterable[str | None]) -> str | None:
	present = sorted(m for m in months if m)
	return present[0] if present else None


# --- files -----------------------------------------------------------------------------------------


def archive_relpath(site: str, month: str) -> str:
	"""The file of ``site``'s readings of ``month``, relative to the site's ``private/files``."""
	check_month(month)
	if not site or not SITE_FOLDER_PATTERN.match(site):
		raise RuleError(
			Kind.VALIDATION, _("Site {0} cannot name an archive folder"), site or "", field="site"
		)
	return "/".join((*ARCHIVE_FOLDER, site, f"{month}.parquet"))


def temp_path(path: str, token: str) -> str:
	"""Where a file is written before it is checked and renamed into place (its own folder, so that the
	rename is atomic; a dot name, so that no reader takes it for a month)."""
	folder, _sep, name = path.rpartition("/")
	return f"{folder}/.{name}.{token}.tmp"


# --- checksums -------------------------------------------------------------------------------------


def row_line(name: str, observed_at: dt.datetime | str, value: float | None, quality_flag: str | None) -> str:
	"""One reading as the checksum reads it: the same text from MariaDB and from Parquet."""
	when = observed_at if isinstance(observed_at, str) else observed_at.strftime("%Y-%m-%d %H:%M:%S.%f")
	number = "" if value is None else repr(round(float(value), 9))
	return f"{name}\t{when}\t{number}\t{quality_flag or ''}\n"


class RowChecksum:
	"""The checksum of readings fed in order (``observed_at``, ``name``)."""

	def __init__(self):
		self._hash = hashlib.sha256()
		self.rows = 0

	def add(self, name, observed_at, value, quality_flag) -> None:
		self._hash.update(row_line(name, observed_at, value, quality_flag).encode())
		self.rows += 1

	def add_all(self, rows: Iterable[Sequence]) -> RowChecksum:
		for row in rows:
			self.add(*row[:4])
		return self

	def manifest(self) -> Manifest:
		return Manifest(self.rows, self._hash.hexdigest())


def manifest_of(rows: Iterable[Sequence]) -> Manifest:
	"""The manifest of rows ``(name, observed_at, value, quality_flag)``, sorted here."""
	ordered = sorted(rows, key=lambda r: (_sortable(r[1]), r[0]))
	return RowChecksum().add_all(ordered).manifest()


def _sortable(value) -> str:
	return value if isinstance(value, str) else value.strftime("%Y-%m-%d %H:%M:%S.%f")


def check_manifest(expected: Manifest, found: Manifest, path: str) -> None:
	"""Refuse a file whose rows or checksum differ from what was written into it."""
	if expected.rows != found.rows:
		raise RuleError(
			Kind.VALIDATION,
			_("Archive file {0} holds {1} readings, expected {2}"),
			path,
			found.rows,
			expected.rows,
		)
	if expected.checksum != found.checksum:
		raise RuleError(Kind.VALIDATION, _("Archive file {0} does not match its checksum"), path)


# --- what stays in MariaDB ------------------------------------------------------------------------


def kept_in_database(
	name: str,
	device: str | None,
	observed_at: dt.datetime,
	quality_flag: str | None,
	named: set[str] | frozenset[str],
	quarantine_windows: Mapping[str, Sequence[tuple[dt.datetime, dt.datetime]]],
) -> bool:
	"""A reading stays in MariaDB when a record names it (a nonconformance, an evidence pack item, an
	alert log) or a Sensor Quarantine alert counted it (a quarantined reading of that device inside the
	alert's [start, end) window)."""
	if name in named:
		return True
	if quality_flag != "Quarantine" or not device:
		return False
	return any(start <= observed_at < end for start, end in quarantine_windows.get(device, ()))


# --- what a month needs ----------------------------------------------------------------------------


def plan_month(status: str | None, file_exists: bool, live_rows: int, file_holds_live: bool = False) -> str:
	"""What the archive job does with a due month.

	* live readings to move (whatever the record says): ``MOVE`` (the file is rewritten with the rows it
	  already holds and the live ones, checked, recorded, then the live rows are deleted);
	* nothing live, file recorded as archived: ``SKIP`` (a second run moves nothing);
	* nothing live, a file but no finished record (the rows left in a run whose record was lost, or a
	  restore brought the files back): ``RECORD`` (checked, then recorded as archived);
	* nothing live and no file: ``SKIP``.

	A file that holds a reading still live (named by a record after the file was written, before its
	rows were deleted) is rewritten without it (``MOVE``), so that no reading is in both places.
	"""
	if live_rows > 0 or (file_exists and file_holds_live):
		return MOVE
	if file_exists and status != ARCHIVED:
		return RECORD
	return SKIP


# --- merging archived answers with live ones ---------------------------------------------------------


def merge_daily_summary(live: Iterable[Mapping], archived: Iterable[Mapping]) -> list[dict]:
	"""Per device, metric, unit and day: ``count``, ``min``, ``max`` and ``sum`` of both sides merged;
	``mean`` is ``sum / count``."""
	merged: dict[tuple, dict] = {}
	for row in (*live, *archived):
		key = (row["device"], row["metric"], row.get("unit") or "", str(row["day"])[:10])
		count = int(row["count"] or 0)
		if not count:
			continue
		into = merged.get(key)
		if into is None:
			merged[key] = {
				"device": key[0],
				"metric": key[1],
				"unit": key[2],
				"day": key[3],
				"count": count,
				"min": row["min"],
				"max": row["max"],
				"sum": float(row["sum"] or 0),
			}
			continue
		into["count"] += count
		into["min"] = _least(into["min"], row["min"])
		into["max"] = _most(into["max"], row["max"])
		into["sum"] += float(row["sum"] or 0)
	for row in merged.values():
		row["mean"] = row["sum"] / row["count"]
	return list(merged.values())


def merge_quarantine_groups(rows: Iterable[Mapping]) -> list[dict]:
	"""Quarantine Review's groups (device, site, day, metric) from live and archived readings merged."""
	merged: dict[tuple, dict] = {}
	for row in rows:
		key = (row["device"], row["site"], str(row["day"])[:10], row["metric"])
		into = merged.get(key)
		if into is None:
			merged[key] = {**row, "reasons": _reason_lines(row.get("reasons"))}
			continue
		into["count"] = int(into["count"]) + int(row["count"])
		into["min_value"] = _least(into["min_value"], row["min_value"])
		into["max_value"] = _most(into["max_value"], row["max_value"])
		into["first_at"] = _least(into["first_at"], row["first_at"])
		into["last_at"] = _most(into["last_at"], row["last_at"])
		into["unit"] = _most(into.get("unit"), row.get("unit"))
		into["storage_bin"] = _most(into.get("storage_bin"), row.get("storage_bin"))
		into["reasons"] = into["reasons"] | _reason_lines(row.get("reasons"))
	for row in merged.values():
		row["reasons"] = "\n".join(sorted(row["reasons"])) or None
	return list(merged.values())


def _reason_lines(text: str | None) -> set[str]:
	return {line for line in (text or "").split("\n") if line}


def _least(a, b):
	return b if a is None else a if b is None else min(a, b)


def _most(a, b):
	return b if a is None else a if b is None else max(a, b)


# --- the admin view --------------------------------------------------------------------------------


def human_bytes(size: int | float | None) -> str:
	size = float(size or 0)
	for unit in ("B", "KB", "MB", "GB"):
		if size < 1024 or unit == "GB":
			return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
		size /= 1024
	return f"{size:.1f} GB"
