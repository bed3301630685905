"""Reading archived months as part of the record: Evidence Packs, exports, Quarantine Review and the
Archived Readings report read the Parquet files through DuckDB the same as live readings.

Site isolation comes first: the sites a user may read (``permissions.get_allowed_sites``) choose the
site-month files before any is opened; a file of another site is never read. Only months recorded as
Archived are read (their readings left MariaDB in the same commit), so no reading is counted twice.
"""

from __future__ import annotations

import datetime as dt
import os

import frappe
from frappe import _
from frappe.utils import get_datetime

from yam_agri_core.monitoring import archive
from yam_agri_core.permissions import get_allowed_sites
from yam_agri_core.rules import archive as rules

#: Filters read_observations understands: equality on these columns, a list meaning "one of".
RECORD = archive.RECORD
EQUAL_FILTERS = ("site", "device", "metric", "storage_bin", "lot", "quality_flag")


def permitted_sites(sites: list[str] | None = None) -> list[str] | None:
	"""The sites whose readings the session user may read, within ``sites`` (``None``: all sites, for
	an unrestricted user who asked for none; an empty list: nothing)."""
	if not frappe.has_permission(archive.DOCTYPE, "read"):
		return []
	allowed = get_allowed_sites(frappe.session.user, archive.DOCTYPE)
	if sites is None:
		return allowed
	return sorted(set(sites) if allowed is None else set(sites) & set(allowed))


def archived_files(sites: list[str] | None, start=None, end=None) -> list[str]:
	"""The files of the Archived months of ``sites`` (already permitted) overlapping [start, end)."""
	if sites == []:
		return []
	Rec = frappe.qb.DocType(archive.RECORD)
	query = (
		frappe.qb.from_(Rec).select(Rec.site, Rec.month, Rec.file_path).where(Rec.status == rules.ARCHIVED)
	)
	if sites is not None:
		query = query.where(Rec.site.isin(sites))
	records = query.run(as_dict=True)
	start, end = (get_datetime(start) if start else None), (get_datetime(end) if end else None)
	overlapping = set(rules.months_overlapping(start, end, [r.month for r in records]))
	paths = []
	for r in records:
		if r.month not in overlapping:
			continue
		path = archive.absolute(r.file_path)
		if not os.path.exists(path):
			frappe.throw(
				_("The archive file of {0} {1} is missing ({2}): restore it from a backup").format(
					r.site, r.month, r.file_path
				)
			)
		paths.append(path)
	return sorted(paths)


def archive_records(site: str) -> dict[str, str]:
	"""month -> name of the site's Archived months' records."""
	Rec = frappe.qb.DocType(archive.RECORD)
	rows = (
		frappe.qb.from_(Rec)
		.select(Rec.month, Rec.name)
		.where((Rec.site == site) & (Rec.status == rules.ARCHIVED))
	).run()
	return dict(rows)


def has_archive() -> bool:
	return bool(frappe.db.exists(archive.RECORD, {"status": rules.ARCHIVED}))


def where_clause(filters: dict, sites: list[str] | None) -> tuple[str, list]:
	"""DuckDB conditions and parameters for ``filters`` (see :func:`read_observations`)."""
	conditions, params = [], []
	if sites is not None:
		conditions.append(f"site IN ({', '.join('?' for _s in sites)})")
		params += list(sites)
	for column in EQUAL_FILTERS:
		value = filters.get(column)
		if value in (None, ""):
			continue
		if isinstance(value, list | tuple | set):
			values = list(value) or [""]
			conditions.append(f"{column} IN ({', '.join('?' for _v in values)})")
			params += values
		else:
			conditions.append(f"{column} = ?")
			params.append(value)
	if filters.get("exclude_flag"):
		conditions.append("quality_flag <> ?")
		params.append(filters["exclude_flag"])
	if filters.get("registered_only"):
		conditions.append("device IS NOT NULL")
	if filters.get("from"):
		conditions.append("observed_at >= ?")
		params.append(get_datetime(filters["from"]))
	if filters.get("to"):
		conditions.append("observed_at < ?")
		params.append(get_datetime(filters["to"]))
	return (" AND ".join(conditions) or "TRUE"), params


def query_archive(select: str, filters: dict, sites: list[str] | None, tail: str = "") -> list[frappe._dict]:
	"""``select`` over the permitted archived files matching ``filters`` (``FROM`` and ``WHERE`` are
	added); rows as dicts."""
	sites = permitted_sites(sites)
	paths = archived_files(sites, filters.get("from"), filters.get("to"))
	if not paths:
		return []
	where, params = where_clause(filters, sites)
	files = "[" + ", ".join(archive.sql_literal(p) for p in paths) + "]"
	con = archive.connect()
	try:
		cursor = con.execute(f"SELECT {select} FROM read_parquet({files}) WHERE {where} {tail}", params)
		names = [d[0] for d in cursor.description]
		return [frappe._dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
	finally:
		con.close()


def archived_rows(
	filters: dict, sites: list[str] | None = None, fields: list[str] | None = None, limit: int | None = None
) -> list[frappe._dict]:
	"""Archived readings matching ``filters``, ordered by time."""
	columns = [f for f in (fields or list(archive.COLUMNS)) if f in archive.COLUMNS]
	tail = "ORDER BY observed_at, name" + (f" LIMIT {int(limit)}" if limit else "")
	return query_archive(", ".join(columns), filters, sites, tail)


def live_rows(filters: dict, sites: list[str] | None, fields: list[str]) -> list[frappe._dict]:
	"""Live readings matching ``filters`` through the user's permissions (``frappe.get_list``)."""
	sites = permitted_sites(sites)
	if sites == []:
		return []
	where: list = []
	if sites is not None:
		where.append(["site", "in", sites])
	for column in EQUAL_FILTERS:
		value = filters.get(column)
		if value in (None, ""):
			continue
		where.append(
			[column, "in", list(value) or [""]]
			if isinstance(value, list | tuple | set)
			else [column, "=", value]
		)
	if filters.get("exclude_flag"):
		where.append(["quality_flag", "!=", filters["exclude_flag"]])
	if filters.get("registered_only"):
		where.append(["device", "is", "set"])
	if filters.get("from"):
		where.append(["observed_at", ">=", get_datetime(filters["from"])])
	if filters.get("to"):
		where.append(["observed_at", "<", get_datetime(filters["to"])])
	return frappe.get_list(
		archive.DOCTYPE,
		fields=fields,
		filters=where,
		limit_page_length=0,
		order_by="observed_at asc, name asc",
	)


def read_observations(
	filters: dict, sites: list[str] | None = None, fields: list[str] | None = None
) -> list[frappe._dict]:
	"""Readings matching ``filters``, live (MariaDB) and archived (Parquet) together, ordered by time,
	each once (by name).

	``filters``: ``site``, ``device``, ``metric``, ``storage_bin``, ``lot``, ``quality_flag`` (a value or
	a list), ``exclude_flag``, ``registered_only``, ``from`` / ``to`` (datetimes, [from, to)).
	``sites``: the sites asked for (``None``: every site the user may read)."""
	fields = list(
		fields or ["name", "device", "site", "metric", "value", "unit", "observed_at", "quality_flag"]
	)
	if "name" not in fields:
		fields.append("name")
	rows = live_rows(filters, sites, fields)
	seen = {r.name for r in rows}
	if has_archive():
		rows += [r for r in archived_rows(filters, sites, fields) if r.name not in seen]
		rows.sort(
			key=lambda r: (get_datetime(r.observed_at) if "observed_at" in r else dt.datetime.min, r.name)
		)
	return rows


def daily_summary(filters: dict, sites: list[str] | None) -> list[frappe._dict]:
	"""Archived readings per device, metric, unit and day: count, min, max and sum."""
	if not has_archive():
		return []
	return query_archive(
		"device, metric, unit, CAST(observed_at AS DATE) AS day, count(*) AS count, min(value) AS min, "
		"max(value) AS max, sum(value) AS sum",
		filters,
		sites,
		"GROUP BY device, metric, unit, CAST(observed_at AS DATE)",
	)


def quarantine_groups(filters: dict, sites: list[str] | None) -> list[frappe._dict]:
	"""Archived quarantined readings grouped as Quarantine Review groups live ones."""
	if not has_archive():
		return []
	return query_archive(
		"device, site, CAST(observed_at AS DATE) AS day, metric, count(*) AS count, min(value) AS min_value, "
		"max(value) AS max_value, min(observed_at) AS first_at, max(observed_at) AS last_at, max(unit) AS unit, "
		"max(storage_bin) AS storage_bin, "
		"string_agg(DISTINCT flag_reason, chr(10) ORDER BY flag_reason) AS reasons",
		{**filters, "quality_flag": "Quarantine"},
		sites,
		"GROUP BY device, site, CAST(observed_at AS DATE), metric",
	)
