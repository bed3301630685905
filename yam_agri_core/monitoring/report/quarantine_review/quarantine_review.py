# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

"""Quarantine Review: the quarantined readings of the user's sites, one row per device and day with
the count, the reasons and the worst value of each metric (as the quarantine alert reports it).
Quarantined readings stay for review and never feed averages; this is where they are reviewed."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Date, Max, Min
from pypika.terms import LiteralValue

from yam_agri_core import report_scope as scope
from yam_agri_core.monitoring import archive_read
from yam_agri_core.rules import archive, reporting, stored_text, thresholds

DOCTYPE = "Observation"
REASONS_SQL = "GROUP_CONCAT(DISTINCT `flag_reason` ORDER BY `flag_reason` SEPARATOR '\\n')"


def execute(filters: dict | None = None):
	filters = scope.report_filters(filters)
	scope.check_dates(filters)
	sites = scope.readable_sites(filters, DOCTYPE)
	if sites == []:
		return columns(), [], scope.no_site_message(), None, summary([])
	days = reporting.group_quarantine(read(filters, sites))
	for day in days:  # reasons were stored in the writer's language: shown in the reader's
		day.reasons = [stored_text.localize_reasons(reason, _) for reason in day.reasons]
	rows = [day.as_row(_) for day in days]
	for row in rows:  # "43.74 °C" stays in order inside an Arabic line
		row["worst_value"] = stored_text.isolate_ltr(row["worst_value"])
	return columns(), rows, None, None, summary(rows)


def read(filters: frappe._dict, sites: list[str] | None) -> list[dict]:
	"""One GROUP BY device, day and metric over the (site, quality_flag, observed_at) index."""
	Obs = frappe.qb.DocType(DOCTYPE)
	day = Date(Obs.observed_at)
	query = (
		frappe.qb.from_(Obs)
		.select(
			Obs.device,
			Obs.site,
			day.as_("day"),
			Obs.metric,
			Count("*").as_("count"),
			Min(Obs.value).as_("min_value"),
			Max(Obs.value).as_("max_value"),
			Min(Obs.observed_at).as_("first_at"),
			Max(Obs.observed_at).as_("last_at"),
			Max(Obs.unit).as_("unit"),
			Max(Obs.storage_bin).as_("storage_bin"),
			LiteralValue(REASONS_SQL, alias="reasons"),
		)
		.where(Obs.quality_flag == thresholds.QUARANTINE)
		.groupby(Obs.device, Obs.site, day, Obs.metric)
	)
	query = scope.within_dates(
		scope.restrict(query, Obs.site, sites), Obs.observed_at, filters, datetime_column=True
	)
	for fieldname in ("device", "metric", "storage_bin"):
		if filters.get(fieldname):
			query = query.where(getattr(Obs, fieldname) == filters[fieldname])
	archived = archive_read.quarantine_groups(
		scope.archive_filters(filters, ("device", "metric", "storage_bin")), sites
	)
	if not archived:
		return query.run(as_dict=True)
	return archive.merge_quarantine_groups([*query.run(as_dict=True), *archived])


def columns() -> list[dict]:
	return [
		{"fieldname": "day", "label": _("Day"), "fieldtype": "Date", "width": 100},
		{"fieldname": "device", "label": _("Device"), "fieldtype": "Link", "options": "Device", "width": 150},
		{"fieldname": "site", "label": _("Site"), "fieldtype": "Link", "options": "Site", "width": 150},
		{
			"fieldname": "storage_bin",
			"label": _("Storage Bin"),
			"fieldtype": "Link",
			"options": "Storage Bin",
			"width": 150,
		},
		{"fieldname": "readings", "label": _("Quarantined Readings"), "fieldtype": "Int", "width": 110},
		{"fieldname": "metrics", "label": _("Metrics"), "fieldtype": "Data", "width": 130},
		{"fieldname": "worst_value", "label": _("Worst Value"), "fieldtype": "Data", "width": 180},
		{"fieldname": "reasons", "label": _("Reasons"), "fieldtype": "Data", "width": 360},
		{"fieldname": "first_at", "label": _("First Reading"), "fieldtype": "Datetime", "width": 150},
		{"fieldname": "last_at", "label": _("Last Reading"), "fieldtype": "Datetime", "width": 150},
	]


def summary(rows: list[dict]) -> list[dict]:
	readings = sum(r["readings"] for r in rows)
	return [
		{
			"label": _("Quarantined Readings"),
			"value": readings,
			"datatype": "Int",
			"indicator": "Red" if readings else "Green",
		},
		{"label": _("Devices"), "value": len({r["device"] for r in rows}), "datatype": "Int"},
		{"label": _("Device Days"), "value": len(rows), "datatype": "Int"},
	]
