"""Hourly rollups of readings (``Observation Hourly``), kept by the ingest in the same transaction.

* A gateway batch merges the aggregates of the readings it wrote into their hours with one
  ``INSERT ... ON DUPLICATE KEY UPDATE`` (:func:`add_readings`); a reading saved through its document
  does the same for itself. The merge is additive (counts and sums added, the smaller minimum and the
  larger maximum kept), so a late reading lands in its hour however long ago it closed.
* A re-flag (``quality_flag`` set on a stored reading, e.g. by ``db_set``) recomputes the hours it
  touches from the readings (:func:`refresh_hours_of`); a change made behind Frappe's back (SQL, an
  import, a restore) is repaired by :func:`rebuild_rollups` for any window, which is idempotent.
* A rebuild only writes the hours that still have readings, and never the hours of a month moved to
  the readings archive (a few of its readings may stay in MariaDB): those keep their rollups, which
  stay the long-term source of the charts.

The arithmetic is in ``yam_agri_core.rules.rollups``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import add_days, get_datetime, getdate, now, now_datetime

from yam_agri_core.rules import rollups
from yam_agri_core.rules.rollups import Key, Partial

DOCTYPE = "Observation Hourly"
TABLE = "`tabObservation Hourly`"
#: A rebuild reads the readings of this many days per statement (a year is 366 statements).
REBUILD_DAYS_PER_STATEMENT = 1
#: Rows per multi-row insert of a rebuild.
ROWS_PER_INSERT = 1000
#: The daily repair job recomputes this many days back (whatever reached the readings unseen).
REPAIR_DAYS = 2

_KEY = ("site", "device", "reported_device_id", "storage_bin", "metric", "hour")
_FIGURES = (
	"readings",
	"valid_count",
	"warning_count",
	"quarantine_count",
	"value_sum",
	"value_min",
	"value_max",
	"value_mean",
	"quarantine_sum",
	"quarantine_max",
)
_COLUMNS = ("name", "creation", "modified", "modified_by", "owner", "docstatus", "idx", *_KEY, *_FIGURES)

#: The additive merge of a new partial (``values(x)``) into a stored one. MariaDB assigns left to
#: right, each assignment seeing the ones before it: the mean, minimum and maximum are computed first,
#: from the stored counts and sum, before those are added to.
_MERGE = """
	`value_mean` = ifnull((`value_sum` + values(`value_sum`))
		/ nullif(`valid_count` + `warning_count` + values(`valid_count`) + values(`warning_count`), 0), 0),
	`value_min` = case
		when values(`valid_count`) + values(`warning_count`) = 0 then `value_min`
		when `valid_count` + `warning_count` = 0 then values(`value_min`)
		else least(`value_min`, values(`value_min`)) end,
	`value_max` = case
		when values(`valid_count`) + values(`warning_count`) = 0 then `value_max`
		when `valid_count` + `warning_count` = 0 then values(`value_max`)
		else greatest(`value_max`, values(`value_max`)) end,
	`quarantine_max` = case
		when values(`quarantine_count`) = 0 then `quarantine_max`
		when `quarantine_count` = 0 then values(`quarantine_max`)
		else greatest(`quarantine_max`, values(`quarantine_max`)) end,
	`readings` = `readings` + values(`readings`),
	`valid_count` = `valid_count` + values(`valid_count`),
	`warning_count` = `warning_count` + values(`warning_count`),
	`quarantine_count` = `quarantine_count` + values(`quarantine_count`),
	`value_sum` = `value_sum` + values(`value_sum`),
	`quarantine_sum` = `quarantine_sum` + values(`quarantine_sum`),
	`modified` = values(`modified`),
	`modified_by` = values(`modified_by`)"""

#: A rebuild replaces the figures of a key with those recomputed from its readings.
_REPLACE = ",\n".join(f"`{c}` = values(`{c}`)" for c in (*_FIGURES, "modified", "modified_by"))


def add_readings(readings: Iterable[Mapping]) -> int:
	"""Merge readings just written (``site``, ``device``, ``reported_device_id``, ``storage_bin``,
	``metric``, ``observed_at``, ``value``, ``quality_flag``) into their hours. The keys touched."""
	return upsert(rollups.partials_of(readings))


def upsert(partials: Mapping[Key, Partial]) -> int:
	"""One ``INSERT ... ON DUPLICATE KEY UPDATE`` merging ``partials`` into the stored rollups; the
	rows go in key order, so two batches touching the same hours lock them in the same order."""
	if not partials:
		return 0
	stamp, user = now(), frappe.session.user
	escape = frappe.db._conn.escape_string
	rows = []
	for key in sorted(partials, key=_sort_key):
		p = partials[key]
		values = [
			frappe.generate_hash(length=20),
			stamp,
			stamp,
			user,
			user,
			0,
			0,
			key.site,
			key.device,
			key.reported_device_id,
			key.storage_bin,
			key.metric,
			key.hour,
			p.readings,
			p.valid,
			p.warning,
			p.quarantine,
			p.value_sum,
			p.value_min or 0,
			p.value_max or 0,
			p.mean or 0,
			p.quarantine_sum,
			p.quarantine_max or 0,
		]
		rows.append("(" + ", ".join(_literal(v, escape) for v in values) + ")")
	frappe.db.sql(
		f"""insert into {TABLE} ({", ".join(f"`{c}`" for c in _COLUMNS)})
		values {", ".join(rows)}
		on duplicate key update {_MERGE}"""
	)
	upsert_days(rollups.by_day(partials))
	return len(rows)


def _sort_key(key: Key) -> tuple:
	return (key.device, key.reported_device_id, key.site, key.storage_bin, key.metric, key.hour)


def _literal(value, escape) -> str:
	if value is None:
		return "NULL"
	if isinstance(value, str):
		return "'" + escape(value) + "'"
	if isinstance(value, dt.datetime):
		return "'" + value.isoformat(sep=" ") + "'"
	if isinstance(value, dt.date):
		return "'" + value.isoformat() + "'"
	if isinstance(value, Decimal):
		return format(value, "f")  # exact, never in exponent notation (a double)
	if isinstance(value, float):  # Frappe reads a DECIMAL as a float: decimals are read as text instead
		return repr(value)
	return str(int(value))


# --- the day level: the long charts' source -------------------------------------------------------

#: Days of the hourly rollups (the 30-day and year charts read 365 rows a bin here, not 8,760): a
#: derived table, no DocType (nobody opens one of its rows); rebuilt from the hourly rollups at will.
DAILY_TABLE = "`yam_observation_daily`"
_DAY_KEY = ("site", "device", "reported_device_id", "storage_bin", "metric", "day")
_DAY_FIGURES = tuple(f for f in _FIGURES if f != "value_mean")
_DAY_MERGE = ",\n".join(
	line.rstrip(",")
	for line in _MERGE.strip().split(",\n")
	if not line.strip().startswith(("`value_mean`", "`modified_by`"))
)
_DAY_REPLACE = ",\n".join(f"`{c}` = values(`{c}`)" for c in (*_DAY_FIGURES, "modified"))


def ensure_daily_table() -> None:
	"""The day table (``on_doctype_update`` of Observation Hourly and the backfill patch create it)."""
	frappe.db.sql_ddl(
		f"""create table if not exists {DAILY_TABLE} (
			`site` varchar(140) not null, `device` varchar(140) not null,
			`reported_device_id` varchar(140) not null, `storage_bin` varchar(140) not null,
			`metric` varchar(140) not null, `day` date not null,
			`readings` int not null default 0, `valid_count` int not null default 0,
			`warning_count` int not null default 0, `quarantine_count` int not null default 0,
			`value_sum` decimal(30,9) not null default 0, `value_min` decimal(21,9) not null default 0,
			`value_max` decimal(21,9) not null default 0, `quarantine_sum` decimal(30,9) not null default 0,
			`quarantine_max` decimal(21,9) not null default 0, `modified` datetime(6) null,
			primary key (`device`, `reported_device_id`, `site`, `storage_bin`, `metric`, `day`),
			key `bin_chart_index` (`metric`, `day`, `storage_bin`, `site`, `valid_count`, `warning_count`,
				`quarantine_count`, `value_sum`, `value_max`, `quarantine_sum`, `quarantine_max`)
		) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_unicode_ci"""
	)


def upsert_days(days: Mapping[rollups.DayKey, Partial]) -> None:
	"""Merge day aggregates into the day table (the additive merge of the hours)."""
	if not days:
		return
	stamp = now()
	escape = frappe.db._conn.escape_string
	rows = []
	for key in sorted(
		days, key=lambda k: (k.device, k.reported_device_id, k.site, k.storage_bin, k.metric, k.day)
	):
		p = days[key]
		values = [
			key.site,
			key.device,
			key.reported_device_id,
			key.storage_bin,
			key.metric,
			key.day.isoformat(),
			p.readings,
			p.valid,
			p.warning,
			p.quarantine,
			p.value_sum,
			p.value_min or 0,
			p.value_max or 0,
			p.quarantine_sum,
			p.quarantine_max or 0,
			stamp,
		]
		rows.append("(" + ", ".join(_literal(v, escape) for v in values) + ")")
	frappe.db.sql(
		f"""insert into {DAILY_TABLE} ({", ".join(f"`{c}`" for c in (*_DAY_KEY, *_DAY_FIGURES, "modified"))})
		values {", ".join(rows)}
		on duplicate key update {_DAY_MERGE}"""
	)


_DAYS_FROM_HOURS = f"""
	select h.`site`, h.`device`, h.`reported_device_id`, h.`storage_bin`, h.`metric`, date(h.`hour`),
		sum(h.`readings`), sum(h.`valid_count`), sum(h.`warning_count`), sum(h.`quarantine_count`),
		cast(sum(h.`value_sum`) as char),
		cast(ifnull(min(case when h.`valid_count` + h.`warning_count` > 0 then h.`value_min` end), 0) as char),
		cast(ifnull(max(case when h.`valid_count` + h.`warning_count` > 0 then h.`value_max` end), 0) as char),
		cast(sum(h.`quarantine_sum`) as char),
		cast(ifnull(max(case when h.`quarantine_count` > 0 then h.`quarantine_max` end), 0) as char),
		%(stamp)s
	from {TABLE} h
	where h.`hour` >= %(start)s and h.`hour` < %(end)s {{site}}
	group by h.`site`, h.`device`, h.`reported_device_id`, h.`storage_bin`, h.`metric`, date(h.`hour`)"""


def recompute_days(start: dt.date, end: dt.date, site: str | None = None) -> int:
	"""The days ``[start, end)`` recomputed from the hourly rollups (a read, then multi-row inserts)."""
	rows = frappe.db.sql(
		_DAYS_FROM_HOURS.replace("{site}", "and h.`site` = %(site)s" if site else ""),
		{"start": start, "end": end, "site": site, "stamp": now()},
	)
	escape = frappe.db._conn.escape_string
	columns = ", ".join(f"`{c}`" for c in (*_DAY_KEY, *_DAY_FIGURES, "modified"))
	for i in range(0, len(rows), ROWS_PER_INSERT):
		values = ", ".join(
			"(" + ", ".join(_literal(v, escape) for v in row) + ")" for row in rows[i : i + ROWS_PER_INSERT]
		)
		frappe.db.sql(
			f"insert into {DAILY_TABLE} ({columns}) values {values} on duplicate key update {_DAY_REPLACE}"
		)
	return len(rows)


# --- recomputing from the readings -----------------------------------------------------------------

_HOUR_SQL = "timestamp(date(o.`observed_at`), maketime(hour(o.`observed_at`), 0, 0))"
_CHARTED_SQL = "o.`quality_flag` in ('Valid', 'Warning')"
_REBUILD_SELECT = f"""
	select
		md5(concat_ws('|', o.`site`, ifnull(o.`device`, ''), ifnull(o.`reported_device_id`, ''),
			ifnull(o.`storage_bin`, ''), o.`metric`, {_HOUR_SQL})),
		%(stamp)s, %(stamp)s, %(user)s, %(user)s, 0, 0,
		o.`site`,
		ifnull(o.`device`, ''),
		if(ifnull(o.`device`, '') = '', ifnull(o.`reported_device_id`, ''), ''),
		ifnull(o.`storage_bin`, ''),
		o.`metric`,
		{_HOUR_SQL},
		count(*),
		sum(o.`quality_flag` = 'Valid'),
		sum(o.`quality_flag` = 'Warning'),
		sum(o.`quality_flag` = 'Quarantine'),
		cast(ifnull(sum(case when {_CHARTED_SQL} then o.`value` end), 0) as char),
		cast(ifnull(min(case when {_CHARTED_SQL} then o.`value` end), 0) as char),
		cast(ifnull(max(case when {_CHARTED_SQL} then o.`value` end), 0) as char),
		cast(ifnull(avg(case when {_CHARTED_SQL} then o.`value` end), 0) as char),
		cast(ifnull(sum(case when o.`quality_flag` = 'Quarantine' then o.`value` end), 0) as char),
		cast(ifnull(max(case when o.`quality_flag` = 'Quarantine' then o.`value` end), 0) as char)
	from `tabObservation` o
	where o.`observed_at` >= %(start)s and o.`observed_at` < %(end)s {{site}}
	group by o.`site`, ifnull(o.`device`, ''), if(ifnull(o.`device`, '') = '', ifnull(o.`reported_device_id`, ''), ''),
		ifnull(o.`storage_bin`, ''), o.`metric`, {_HOUR_SQL}"""


def recompute(start: dt.datetime, end: dt.datetime, site: str | None = None) -> int:
	"""Recompute the rollups of the hours in ``[start, end)`` (widened to whole hours) from the
	readings, with one GROUP BY: every key with readings gets exactly their figures. Keys without
	readings are left as they are (hours archived out of MariaDB keep their rollups). Keys written.

	The GROUP BY is a plain (consistent, non-locking) read and its rows go in with multi-row inserts:
	an ``INSERT ... SELECT`` would hold shared locks on every reading it read until the commit, and
	keep the gateway from writing the readings next to them."""
	start, end = rollups.hour_window(get_datetime(start), get_datetime(end))
	rows = frappe.db.sql(
		_REBUILD_SELECT.replace("{site}", "and o.`site` = %(site)s" if site else ""),
		{"start": start, "end": end, "site": site, "stamp": now(), "user": frappe.session.user},
	)
	rows = rollups.outside_archived(rows, archived_months(site), _SITE_AT, _HOUR_AT)
	escape = frappe.db._conn.escape_string
	for i in range(0, len(rows), ROWS_PER_INSERT):
		values = ", ".join(
			"(" + ", ".join(_literal(v, escape) for v in row) + ")" for row in rows[i : i + ROWS_PER_INSERT]
		)
		frappe.db.sql(
			f"""insert into {TABLE} ({", ".join(f"`{c}`" for c in _COLUMNS)})
			values {values}
			on duplicate key update {_REPLACE}"""
		)
	last_day = (end - rollups.HOUR).date()
	recompute_days(start.date(), last_day + dt.timedelta(days=1), site)
	return len(rows)


_SITE_AT = _COLUMNS.index("site")
_HOUR_AT = _COLUMNS.index("hour")


def archived_months(site: str | None = None) -> set[tuple[str, str]]:
	"""(site, month) of every month moved to the readings archive: their rollups are not recomputed."""
	if not frappe.db.table_exists("Observation Archive"):
		return set()
	filters = {"status": "Archived", **({"site": site} if site else {})}
	return {(r.site, r.month) for r in frappe.get_all("Observation Archive", filters, ["site", "month"])}


def refresh_hours_of(readings: Iterable[Mapping]) -> None:
	"""After a re-flag: the hours the readings fall in, recomputed from the readings."""
	for site, windows in rollups.hours_touched(readings).items():
		for start, end in windows:
			recompute(start, end, site)


@frappe.whitelist()
def rebuild_rollups(from_date: str, to_date: str | None = None, site: str | None = None) -> dict:
	"""Recompute the hourly rollups from the readings for ``[from_date, to_date)`` (whole hours; a date
	alone is its midnight; no end: now), one day per statement; the same result however often it
	runs. For System Managers (after an import, a restore or a re-flag made outside the app)."""
	if "System Manager" not in frappe.get_roles():  # frappe.only_for lets everyone through in tests
		frappe.throw(_("Not Permitted"), frappe.PermissionError)
	start = get_datetime(from_date)
	end = get_datetime(to_date) if to_date else now_datetime()
	if end < start:
		frappe.throw(
			_("To Date {0} must not be before From Date {1}").format(end, start), exc=frappe.ValidationError
		)
	return {"rows": rebuild(start, end, site), "from": str(start), "to": str(end)}


def rebuild(start: dt.datetime, end: dt.datetime, site: str | None = None, commit: bool = False) -> int:
	""":func:`recompute` a day at a time (``commit`` after each day: for a patch or a job)."""
	written = 0
	at = start
	while at < end:
		step = min(get_datetime(add_days(getdate(at), REBUILD_DAYS_PER_STATEMENT)), end)
		written += recompute(at, step, site)
		if commit:
			frappe.db.commit()  # nosemgrep: a long repair commits day by day, never in a request
		at = step
	return written


def repair_recent() -> None:
	"""Daily: recompute the last days' rollups (readings that reached the table without the ingest)."""
	end = now_datetime()
	rebuild(end - dt.timedelta(days=REPAIR_DAYS), end, commit=True)


def backfill() -> None:
	"""Rollups of every stored reading (the patch of existing sites), month by month, committed."""
	first, last = frappe.db.sql("select min(`observed_at`), max(`observed_at`) from `tabObservation`")[0]
	if not first:
		return
	rebuild(get_datetime(first), get_datetime(last) + rollups.HOUR, commit=True)
