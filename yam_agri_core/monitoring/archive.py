"""Retention with an archive: readings older than the retention leave MariaDB, a site and a month at a
time, for a Parquet file written by DuckDB under the site's private files (``run.sh backup`` carries it).

For each due month (``rules.archive``), the readings that nothing names are moved:

1. the month's movable readings (not named by a Nonconformance, an Evidence Pack item or a YAM Alert
   Log, nor counted by a Sensor Quarantine alert's window) are read a day at a time, together with the
   rows the month's file already holds (late readings of an archived month join it);
2. DuckDB writes them into a temporary file in the archive folder, which is fsynced, read back and
   checked (row count and checksum over name, observed_at, value and flag, against the rows as MariaDB
   gave them), then renamed into place (atomic) and the folder fsynced;
3. the month is recorded (``Observation Archive``, status Written) and committed;
4. the moved readings are deleted, and the record set to Archived, in ONE transaction.

A crash anywhere leaves each reading in MariaDB, in a checked file, or in both, and readers take a
file only once its record is Archived (its rows gone in the same commit): nothing is lost or counted
twice. The next run redoes an unfinished month (a file without a record or a Written record is simply
rewritten from the rows it holds and the live ones, by name); a month with nothing live is skipped,
so a second run moves nothing. Hourly rollups stay in MariaDB, so the charts keep their history.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Function, Max, Min
from frappe.utils import add_days, get_datetime, now_datetime
from pypika.terms import LiteralValue

from yam_agri_core.rules import archive as rules
from yam_agri_core.settings import get_setting

DOCTYPE = "Observation"
RECORD = "Observation Archive"
QUARANTINE = "Quarantine"
SENSOR_QUARANTINE = "Sensor Quarantine"
#: Every column of a reading, as the file keeps it (DuckDB types).
COLUMNS = {
	"name": "VARCHAR",
	"creation": "TIMESTAMP",
	"modified": "TIMESTAMP",
	"modified_by": "VARCHAR",
	"owner": "VARCHAR",
	"device": "VARCHAR",
	"reported_device_id": "VARCHAR",
	"site": "VARCHAR",
	"storage_bin": "VARCHAR",
	"lot": "VARCHAR",
	"observed_at": "TIMESTAMP",
	"metric": "VARCHAR",
	"value": "DOUBLE",
	"unit": "VARCHAR",
	"quality_flag": "VARCHAR",
	"flag_reason": "VARCHAR",
	"alert_sent": "SMALLINT",
	"raw_payload": "VARCHAR",
}
#: A month with up to this many live readings is read in one statement, a larger one a day at a time.
ROWS_PER_READ = 50_000
#: Readings deleted per statement (all of a month's statements are one transaction).
DELETE_CHUNK = 5000
#: DuckDB's share of a laptop.
DUCKDB_SETTINGS = {"threads": 2, "memory_limit": "512MB", "preserve_insertion_order": "false"}


# --- where the files are ---------------------------------------------------------------------------


def private_root() -> str:
	return os.path.abspath(frappe.get_site_path("private", "files"))


def archive_root() -> str:
	return os.path.join(private_root(), *rules.ARCHIVE_FOLDER)


def absolute(relpath: str) -> str:
	path = os.path.abspath(os.path.join(private_root(), *relpath.split("/")))
	if not path.startswith(archive_root() + os.sep):
		frappe.throw(_("{0} is outside the readings archive folder").format(relpath))
	return path


def sql_literal(text: str) -> str:
	return "'" + text.replace("'", "''") + "'"


def connect():
	import duckdb

	con = duckdb.connect(":memory:")
	for key, value in DUCKDB_SETTINGS.items():
		con.execute(f"SET {key} = {sql_literal(str(value)) if isinstance(value, str) else value}")
	return con


# --- the job ---------------------------------------------------------------------------------------


def archive_job() -> None:
	"""Daily scheduler job: move every due month (thin: the work is in :func:`run_archive`)."""
	run_archive()


def run_archive(
	dry_run: bool = False,
	site: str | None = None,
	retention_days: int | None = None,
	now: dt.datetime | None = None,
) -> dict:
	"""Move every due (site, month); ``dry_run`` only says what would move. Returns a summary (bench
	execute prints it as JSON)."""
	from frappe.utils.synchronization import filelock

	dry_run = frappe.parse_json(dry_run) if isinstance(dry_run, str) else bool(dry_run)
	now = get_datetime(now) if now else now_datetime()
	retention = int(retention_days or get_setting("keep_readings_live_days"))
	limit = rules.cutoff(now, retention)
	months = due_site_months(limit, site)
	result = {"dry_run": dry_run, "cutoff": str(limit), "retention_days": retention, "months": []}
	with filelock("yam_observation_archive", timeout=5):
		for pair in rules.due_months(months, now, retention):
			result["months"].append(plan_only(*pair, limit) if dry_run else archive_month(*pair))
	result["moved"] = sum(m.get("moved", 0) for m in result["months"])
	result["kept"] = sum(m.get("kept", 0) for m in result["months"])
	return result


def due_site_months(limit: dt.datetime, site: str | None = None) -> set[tuple[str, str]]:
	"""Every (site, month) with live readings before ``limit``, and every month with a file whose record
	is not Archived (a crash between the file and the record)."""
	Obs = frappe.qb.DocType(DOCTYPE)
	month = Function("DATE_FORMAT", Obs.observed_at, "%Y-%m")
	query = (
		frappe.qb.from_(Obs)
		.select(Obs.site, month.as_("month"))
		.where(Obs.observed_at < limit)
		.groupby(Obs.site, month)
	)
	if site:
		query = query.where(Obs.site == site)
	found = {(r[0], r[1]) for r in query.run()}
	Rec = frappe.qb.DocType(RECORD)
	done = set(frappe.qb.from_(Rec).select(Rec.site, Rec.month).where(Rec.status == rules.ARCHIVED).run())
	for folder_site, month_name in files_on_disk():
		if (not site or folder_site == site) and (folder_site, month_name) not in done:
			found.add((folder_site, month_name))
	return found


def files_on_disk() -> list[tuple[str, str]]:
	found = []
	root = archive_root()
	if not os.path.isdir(root):
		return found
	for site in sorted(os.listdir(root)):
		folder = os.path.join(root, site)
		if not os.path.isdir(folder):
			continue
		for name in sorted(os.listdir(folder)):
			if name.endswith(".parquet") and not name.startswith("."):
				month = name[: -len(".parquet")]
				if rules.MONTH_PATTERN.match(month):
					found.append((site, month))
	return found


# --- what stays in MariaDB -------------------------------------------------------------------------


class Keep:
	"""The readings of a site's month that stay in MariaDB: named by a Nonconformance, an Evidence Pack
	item or an alert log, or counted by a Sensor Quarantine alert of that device and window."""

	def __init__(self, site: str, start: dt.datetime, end: dt.datetime):
		self.names = named_readings()
		self.windows = quarantine_windows(site, start, end)

	def keeps(self, name: str, device: str | None, observed_at: dt.datetime, flag: str | None) -> bool:
		return rules.kept_in_database(name, device, observed_at, flag, self.names, self.windows)


def named_readings() -> set[str]:
	names: set[str] = set()
	NC = frappe.qb.DocType("Nonconformance")
	names |= {
		r[0] for r in frappe.qb.from_(NC).select(NC.observation).where(NC.observation.isnotnull()).run()
	}
	for child in ("Evidence Pack Item", "YAM Alert Log"):
		T = frappe.qb.DocType(child)
		names |= {
			r[0]
			for r in frappe.qb.from_(T).select(T.reference_name).where(T.reference_doctype == DOCTYPE).run()
		}
	names.discard(None)
	names.discard("")
	return names


def quarantine_windows(site: str, start: dt.datetime, end: dt.datetime) -> dict[str, list[tuple]]:
	Log = frappe.qb.DocType("YAM Alert Log")
	rows = (
		frappe.qb.from_(Log)
		.select(Log.reference_name, Log.window_start, Log.window_end)
		.where(
			(Log.alert_type == SENSOR_QUARANTINE)
			& (Log.reference_doctype == "Device")
			& (Log.site == site)
			& (Log.window_start < end)
			& (Log.window_end > start)
		)
	).run()
	windows: dict[str, list[tuple]] = defaultdict(list)
	for device, window_start, window_end in rows:
		windows[device].append((get_datetime(window_start), get_datetime(window_end)))
	return dict(windows)


# --- one month -------------------------------------------------------------------------------------


def chunks_of(site: str, start: dt.datetime, end: dt.datetime) -> tuple[int, list[tuple]]:
	"""The month's live readings count, and the periods to read them in: none, the whole month, or a day
	at a time when it is large (memory stays flat)."""
	count = live_count(site, start, end)
	if not count:
		return 0, []
	return count, [(start, end)] if count <= ROWS_PER_READ else list(days_of(start, end))


def days_of(start: dt.datetime, end: dt.datetime):
	day = start
	while day < end:
		yield day, min(add_days(day, 1), end)
		day = add_days(day, 1)


def live_rows(site: str, start: dt.datetime, end: dt.datetime, columns=tuple(COLUMNS)) -> list[tuple]:
	Obs = frappe.qb.DocType(DOCTYPE)
	return (
		frappe.qb.from_(Obs)
		.select(*(getattr(Obs, c) for c in columns))
		.where((Obs.site == site) & (Obs.observed_at >= start) & (Obs.observed_at < end))
	).run()


def live_count(site: str, start: dt.datetime, end: dt.datetime) -> int:
	Obs = frappe.qb.DocType(DOCTYPE)
	return (
		frappe.qb.from_(Obs)
		.select(Count("*"))
		.where((Obs.site == site) & (Obs.observed_at >= start) & (Obs.observed_at < end))
	).run()[0][0]


def get_record(site: str, month: str) -> frappe._dict | None:
	return frappe.db.get_value(
		RECORD,
		{"site": site, "month": month},
		["name", "status", "rows", "checksum", "file_path"],
		as_dict=True,
	)


def plan_only(site: str, month: str, limit: dt.datetime) -> dict:
	"""What a run would do with the month (a dry run: nothing written, nothing deleted)."""
	start, end = rules.month_bounds(month)
	record = get_record(site, month)
	path = absolute(rules.archive_relpath(site, month))
	total, chunks = chunks_of(site, start, end)
	keep = Keep(site, start, end) if total else None
	movable = kept = 0
	for day_start, day_end in chunks:
		for name, device, observed_at, flag in live_rows(
			site, day_start, day_end, ("name", "device", "observed_at", "quality_flag")
		):
			if keep.keeps(name, device, get_datetime(observed_at), flag):
				kept += 1
			else:
				movable += 1
	action = rules.plan_month(record and record.status, os.path.exists(path), movable)
	return {"site": site, "month": month, "action": action, "moved": movable, "kept": kept, "dry_run": True}


def archive_month(site: str, month: str) -> dict:
	"""Move the month's movable readings into its file (see the module's docstring). Commits."""
	start, end = rules.month_bounds(month)
	relpath = rules.archive_relpath(site, month)
	path = absolute(relpath)
	record = get_record(site, month)
	clock = Clock()
	total, chunks = chunks_of(site, start, end)
	keep = Keep(site, start, end) if total else None
	con = connect()
	try:
		con.execute(f"CREATE TABLE live ({', '.join(f'{c} {t}' for c, t in COLUMNS.items())})")
		con.execute("CREATE TABLE kept (name VARCHAR)")
		source = rules.RowChecksum()
		for day_start, day_end in chunks:
			rows, kept_names = [], []
			for r in live_rows(site, day_start, day_end):
				(kept_names if keep.keeps(r[0], r[5], get_datetime(r[10]), r[14]) else rows).append(r)
			if kept_names:  # a reading named since it was written into the file stays live, not in the file
				con.executemany("INSERT INTO kept VALUES (?)", [(r[0],) for r in kept_names])
			if rows:
				append(con, rows)
				source.add_all(
					sorted(((r[0], get_datetime(r[10]), r[12], r[14]) for r in rows), key=order_key)
				)
		kept = total - source.rows
		clock.lap("read")
		exists = os.path.exists(path)
		action = rules.plan_month(
			record and record.status, exists, source.rows, exists and holds_kept(con, path)
		)
		outcome = {"site": site, "month": month, "action": action, "moved": 0, "kept": kept}
		if action == rules.SKIP:
			return outcome
		if action == rules.RECORD:
			manifest = file_manifest(con, path)
			save_record(site, month, relpath, manifest, os.path.getsize(path), rules.ARCHIVED)
			frappe.db.commit()
			return {**outcome, "rows": manifest.rows}
		if record and record.status == rules.ARCHIVED and os.path.exists(path):
			rules.check_manifest(
				rules.Manifest(record.rows, record.checksum), file_manifest(con, path), relpath
			)
		manifest = write_file(con, path, source.manifest())
		clock.lap("write")
		checkpoint("file_written", site, month)
		save_record(site, month, relpath, manifest, os.path.getsize(path), rules.WRITTEN)
		frappe.db.commit()
		checkpoint("recorded", site, month)
		delete_moved(con, site, start, end)
		save_record(site, month, relpath, manifest, os.path.getsize(path), rules.ARCHIVED)
		frappe.db.commit()
		clock.lap("delete")
		return {**outcome, "moved": source.rows, "rows": manifest.rows, "seconds": clock.laps}
	except Exception:
		frappe.db.rollback()
		raise
	finally:
		con.close()


class Clock:
	"""Seconds spent in each step of a move (the benchmark prints them)."""

	def __init__(self):
		self.laps: dict[str, float] = {}
		self._last = time.perf_counter()

	def lap(self, step: str) -> None:
		now = time.perf_counter()
		self.laps[step] = round(now - self._last, 3)
		self._last = now


def holds_kept(con, path: str) -> bool:
	"""Whether the month's file holds a reading that stays live (named since the file was written)."""
	if not con.execute("SELECT count(*) FROM kept").fetchone()[0]:
		return False
	found = con.execute(
		f"SELECT count(*) FROM read_parquet({sql_literal(path)}) WHERE name IN (SELECT name FROM kept)"
	).fetchone()[0]
	return bool(found)


def order_key(row: tuple) -> tuple:
	return (row[1], row[0])


def checkpoint(stage: str, site: str, month: str) -> None:
	"""A point between two steps of a move (the crash tests raise here)."""


def append(con, rows: list[tuple]) -> None:
	import pandas as pd

	frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
	frame["alert_sent"] = frame["alert_sent"].fillna(0).astype("int16")
	frame["value"] = frame["value"].astype("float64")
	casts = ", ".join(f"CAST({c} AS {t})" for c, t in COLUMNS.items())
	con.register("day_rows", frame)
	con.execute(f"INSERT INTO live SELECT {casts} FROM day_rows")
	con.unregister("day_rows")


def write_file(con, path: str, expected_live: rules.Manifest) -> rules.Manifest:
	"""The month's file: what it held before (minus readings live again) and the live ones, written to
	a temporary file, fsynced, read back and checked, then renamed into place. Returns its manifest."""
	os.makedirs(os.path.dirname(path), exist_ok=True)
	if os.path.exists(path):
		con.execute(f"CREATE TABLE held AS SELECT * FROM read_parquet({sql_literal(path)})")
		con.execute(
			"DELETE FROM held WHERE name IN (SELECT name FROM live) OR name IN (SELECT name FROM kept)"
		)
	else:
		con.execute("CREATE TABLE held AS SELECT * FROM live LIMIT 0")
	con.execute("CREATE TABLE month_rows AS SELECT * FROM held UNION ALL SELECT * FROM live")
	expected = checksum_of(con, "SELECT name, observed_at, value, quality_flag FROM month_rows")
	temp = rules.temp_path(path, secrets.token_hex(4))
	try:
		con.execute(
			f"COPY (SELECT * FROM month_rows ORDER BY observed_at, name) TO {sql_literal(temp)} "
			"(FORMAT parquet, COMPRESSION zstd)"
		)
		fsync(temp)
		rules.check_manifest(expected, file_manifest(con, temp), path)
		# the live readings, as MariaDB gave them, are in the file exactly
		moved = checksum_of(
			con,
			f"SELECT name, observed_at, value, quality_flag FROM read_parquet({sql_literal(temp)}) "
			"WHERE name IN (SELECT name FROM live)",
		)
		rules.check_manifest(expected_live, moved, path)
		os.replace(temp, path)
		fsync(os.path.dirname(path))
	finally:
		if os.path.exists(temp):
			os.remove(temp)
	return expected


def checksum_of(con, select: str) -> rules.Manifest:
	cursor = con.execute(f"{select} ORDER BY observed_at, name")
	checksum = rules.RowChecksum()
	while batch := cursor.fetchmany(10000):
		checksum.add_all(batch)
	return checksum.manifest()


def file_manifest(con, path: str) -> rules.Manifest:
	return checksum_of(
		con, f"SELECT name, observed_at, value, quality_flag FROM read_parquet({sql_literal(path)})"
	)


def fsync(path: str) -> None:
	fd = os.open(path, os.O_RDONLY)
	try:
		os.fsync(fd)
	finally:
		os.close(fd)


def save_record(site, month, relpath, manifest: rules.Manifest, size: int, status: str) -> None:
	name = frappe.db.get_value(RECORD, {"site": site, "month": month}, "name")
	values = {
		"file_path": relpath,
		"rows": manifest.rows,
		"checksum": manifest.checksum,
		"file_size": size,
		"status": status,
		"archived_on": now_datetime() if status == rules.ARCHIVED else None,
	}
	if name:
		frappe.db.set_value(RECORD, name, values, update_modified=True)
		return
	doc = frappe.get_doc({"doctype": RECORD, "site": site, "month": month, **values})
	doc.flags.ignore_permissions = True
	doc.insert()


def delete_moved(con, site: str, start: dt.datetime, end: dt.datetime) -> None:
	"""Delete the moved readings (exactly the names in the file), chunk by chunk, in the caller's
	transaction; refuse when one of them was named in the meantime (the month is redone next run)."""
	newly_named = Keep(site, start, end)
	Obs = frappe.qb.DocType(DOCTYPE)
	cursor = con.execute("SELECT name, device, observed_at, quality_flag FROM live ORDER BY name")
	while batch := cursor.fetchmany(DELETE_CHUNK):
		if any(newly_named.keeps(n, d, o, f) for n, d, o, f in batch):
			frappe.throw(
				_(
					"Readings of site {0} were named by a record while being archived; the month is redone next run"
				).format(site)
			)
		frappe.qb.from_(Obs).delete().where(Obs.name.isin([r[0] for r in batch])).run()


# --- the admin view --------------------------------------------------------------------------------


def archive_status() -> dict:
	"""The live table's size, the archive's size and the oldest live month (``run.sh status``, Device
	Health)."""
	size = frappe.db.sql(
		"""select table_rows, data_length, index_length from information_schema.tables
		where table_schema = database() and table_name = 'tabObservation'""",
		as_dict=True,
	)
	live = size[0] if size else frappe._dict(table_rows=0, data_length=0, index_length=0)
	Obs = frappe.qb.DocType(DOCTYPE)
	oldest = frappe.qb.from_(Obs).select(Min(Obs.observed_at)).run()[0][0]
	Rec = frappe.qb.DocType(RECORD)
	archived = (
		frappe.qb.from_(Rec)
		.select(
			Count("*"),
			LiteralValue("sum(`rows`)"),
			LiteralValue("sum(`file_size`)"),
			Min(Rec.month),
			Max(Rec.month),
		)
		.where(Rec.status == rules.ARCHIVED)
	).run()[0]
	return {
		"live_rows_estimate": int(live.table_rows or 0),
		"live_bytes": int(live.data_length or 0) + int(live.index_length or 0),
		"oldest_live_month": rules.month_of(get_datetime(oldest)) if oldest else None,
		"archived_months": int(archived[0] or 0),
		"archived_rows": int(archived[1] or 0),
		"archive_bytes": disk_bytes(),
		"oldest_archived_month": archived[3],
		"retention_days": int(get_setting("keep_readings_live_days")),
	}


def disk_bytes() -> int:
	total = 0
	for folder, _dirs, files in os.walk(archive_root()):
		total += sum(os.path.getsize(os.path.join(folder, f)) for f in files)
	return total


def print_status() -> None:
	"""``run.sh status``: one line per figure."""
	s = archive_status()
	print(
		f"  readings in MariaDB: ~{s['live_rows_estimate']} rows, {rules.human_bytes(s['live_bytes'])}; "
		f"oldest live month: {s['oldest_live_month'] or '-'}"
	)
	print(
		f"  readings archive: {s['archived_months']} site-months, {s['archived_rows']} rows, "
		f"{rules.human_bytes(s['archive_bytes'])} of Parquet; keep live: {s['retention_days']} days"
	)


def print_dry_run() -> None:
	"""``run.sh archive --dry-run``: what would move, one line per month."""
	print_run(dry_run=True)


def print_run(dry_run: bool = False) -> None:
	"""``run.sh archive``: run, then one line per month."""
	result = run_archive(dry_run=dry_run)
	what = "would move" if result["dry_run"] else "moved"
	for m in result["months"]:
		print(f"  {m['site']} {m['month']}: {m['action']}, {what} {m['moved']}, kept {m['kept']} (named)")
	print(
		f"archive: {what} {result['moved']} readings older than {result['cutoff']} "
		f"({len(result['months'])} site-months due, {result['kept']} kept in MariaDB)"
	)
