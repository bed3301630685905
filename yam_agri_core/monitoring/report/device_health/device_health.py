# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

"""Device Health: the devices of the user's sites, when each was last heard, whether it is silent
(the Sensor Silent alert's rule: nothing for its ``stale_after_minutes``; scales excluded), its
calibration state (due within the calibration lead days, or overdue) and its quarantined readings of
the last 24 hours."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Count
from frappe.utils import add_to_date, now_datetime

from yam_agri_core import report_scope as scope
from yam_agri_core.monitoring import archive
from yam_agri_core.permissions import get_allowed_sites
from yam_agri_core.rules import archive as archive_rules
from yam_agri_core.rules import reporting, stored_text, thresholds
from yam_agri_core.settings import get_setting

DOCTYPE = "Device"


def execute(filters: dict | None = None):
	filters = scope.report_filters(filters)
	sites = scope.readable_sites(filters, DOCTYPE)
	if sites == []:
		return columns(), [], scope.no_site_message(), None, summary([])
	now = now_datetime()
	lead_days = int(get_setting("calibration_lead_days"))
	rows = [reporting.shape_device(r, now, lead_days) for r in read(filters, sites)]
	quarantined = quarantined_last_day(sites, now)
	for row in rows:
		row["quarantined_24h"] = quarantined.get(row["name"], 0)
	if filters.get("problems_only"):
		rows = [r for r in rows if r["problem"]]
	return columns(), rows, storage_message(), None, summary(rows)


def storage_message() -> str | None:
	"""For a System Manager: the readings' storage (the live table, the archive, the oldest live month)."""
	if get_allowed_sites(frappe.session.user, DOCTYPE) is not None:
		return None
	s = archive.archive_status()
	ltr = stored_text.LRI + "{0}" + stored_text.PDI  # "1.4 GB", "2026-03" keep their order in Arabic
	return _(
		"Readings in the database: about {0} ({1}), oldest month {2}. Archive: {3} readings in {4} site-months "
		"({5}). Readings stay in the database for {6} days."
	).format(
		ltr.format(f"{s['live_rows_estimate']:,}"),
		ltr.format(archive_rules.human_bytes(s["live_bytes"])),
		ltr.format(s["oldest_live_month"] or "-"),
		ltr.format(f"{s['archived_rows']:,}"),
		s["archived_months"],
		ltr.format(archive_rules.human_bytes(s["archive_bytes"])),
		s["retention_days"],
	)


def read(filters: frappe._dict, sites: list[str] | None) -> list[dict]:
	Device = frappe.qb.DocType(DOCTYPE)
	query = frappe.qb.from_(Device).select(
		Device.name,
		Device.device_type,
		Device.site,
		Device.storage_bin,
		Device.is_active,
		Device.creation,
		Device.last_seen_at,
		Device.stale_after_minutes,
		Device.last_calibration_date,
		Device.calibration_due_date,
	)
	query = scope.restrict(query, Device.site, sites)
	if not filters.get("include_inactive"):
		query = query.where(Device.is_active == 1)
	for fieldname in ("device_type", "storage_bin"):
		if filters.get(fieldname):
			query = query.where(getattr(Device, fieldname) == filters[fieldname])
	return query.orderby(Device.site).orderby(Device.name).run(as_dict=True)


def quarantined_last_day(sites: list[str] | None, now) -> dict[str, int]:
	"""Quarantined readings per device since ``now`` - 24 h, on the (site, quality_flag,
	observed_at) index."""
	Obs = frappe.qb.DocType("Observation")
	query = (
		frappe.qb.from_(Obs)
		.select(Obs.device, Count("*").as_("count"))
		.where((Obs.quality_flag == thresholds.QUARANTINE) & (Obs.observed_at >= add_to_date(now, hours=-24)))
		.groupby(Obs.device)
	)
	return {r.device: r["count"] for r in scope.restrict(query, Obs.site, sites).run(as_dict=True)}


def columns() -> list[dict]:
	return [
		{"fieldname": "name", "label": _("Device"), "fieldtype": "Link", "options": DOCTYPE, "width": 150},
		{"fieldname": "device_type", "label": _("Device Type"), "fieldtype": "Data", "width": 140},
		{"fieldname": "site", "label": _("Site"), "fieldtype": "Link", "options": "Site", "width": 150},
		{
			"fieldname": "storage_bin",
			"label": _("Storage Bin"),
			"fieldtype": "Link",
			"options": "Storage Bin",
			"width": 140,
		},
		{"fieldname": "is_active", "label": _("Active"), "fieldtype": "Check", "width": 70},
		{"fieldname": "last_seen_at", "label": _("Last Seen At"), "fieldtype": "Datetime", "width": 150},
		{
			"fieldname": "minutes_since_seen",
			"label": _("Minutes Since Seen"),
			"fieldtype": "Int",
			"width": 110,
		},
		{
			"fieldname": "stale_after_minutes",
			"label": _("Silent After (minutes)"),
			"fieldtype": "Int",
			"width": 110,
		},
		{"fieldname": "connection", "label": _("Connection"), "fieldtype": "Data", "width": 120},
		{
			"fieldname": "last_calibration_date",
			"label": _("Last Calibration Date"),
			"fieldtype": "Date",
			"width": 110,
		},
		{
			"fieldname": "calibration_due_date",
			"label": _("Calibration Due Date"),
			"fieldtype": "Date",
			"width": 110,
		},
		{
			"fieldname": "days_to_calibration",
			"label": _("Days to Calibration"),
			"fieldtype": "Int",
			"width": 100,
		},
		{"fieldname": "calibration", "label": _("Calibration"), "fieldtype": "Data", "width": 100},
		{"fieldname": "quarantined_24h", "label": _("Quarantined (24 h)"), "fieldtype": "Int", "width": 110},
	]


def summary(rows: list[dict]) -> list[dict]:
	silent = sum(r["silent"] for r in rows)
	overdue = sum(1 for r in rows if r["calibration"] == reporting.CAL_OVERDUE)
	due = sum(1 for r in rows if r["calibration"] == reporting.CAL_DUE_SOON)
	return [
		{"label": _("Devices"), "value": len(rows), "datatype": "Int"},
		{"label": _("Silent"), "value": silent, "datatype": "Int", "indicator": "Red" if silent else "Green"},
		{
			"label": _("Calibration Overdue"),
			"value": overdue,
			"datatype": "Int",
			"indicator": "Red" if overdue else "Green",
		},
		{
			"label": _("Calibration Due Soon"),
			"value": due,
			"datatype": "Int",
			"indicator": "Orange" if due else "Green",
		},
	]
