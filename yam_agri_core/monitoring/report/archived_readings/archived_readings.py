# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

"""Archived Readings: sensor readings of the months moved out of the database into the Parquet archive
(read with DuckDB), by site, device, metric and period, through the user's sites: a user of another site
sees nothing of them. The live readings are in Observation."""

from __future__ import annotations

from frappe import _

from yam_agri_core import report_scope as scope
from yam_agri_core.monitoring import archive_read
from yam_agri_core.rules import stored_text

DOCTYPE = "Observation"
#: The rows shown at most (the period and filters narrow it).
MAX_ROWS = 5000
FIELDS = [
	"name",
	"observed_at",
	"site",
	"device",
	"reported_device_id",
	"storage_bin",
	"lot",
	"metric",
	"value",
	"unit",
	"quality_flag",
	"flag_reason",
]


def execute(filters: dict | None = None):
	filters = scope.report_filters(filters)
	scope.check_dates(filters)
	sites = scope.readable_sites(filters, DOCTYPE)
	if sites == []:
		return columns(), [], scope.no_site_message(), None, summary([])
	rows = archive_read.archived_rows(
		scope.archive_filters(filters, ("device", "metric", "quality_flag")),
		sites,
		FIELDS,
		limit=MAX_ROWS + 1,
	)
	message = None
	if len(rows) > MAX_ROWS:
		rows = rows[:MAX_ROWS]
		message = _("Showing the first {0} readings: narrow the period, the device or the metric.").format(
			MAX_ROWS
		)
	for row in rows:  # reasons were stored in the writer's language: shown in the reader's
		row.flag_reason = stored_text.localize_reasons(row.flag_reason, _) if row.flag_reason else None
	return columns(), rows, message, None, summary(rows)


def columns() -> list[dict]:
	return [
		{"fieldname": "observed_at", "label": _("Observed At"), "fieldtype": "Datetime", "width": 160},
		{"fieldname": "site", "label": _("Site"), "fieldtype": "Link", "options": "Site", "width": 140},
		{"fieldname": "device", "label": _("Device"), "fieldtype": "Link", "options": "Device", "width": 140},
		{
			"fieldname": "storage_bin",
			"label": _("Storage Bin"),
			"fieldtype": "Link",
			"options": "Storage Bin",
			"width": 130,
		},
		{"fieldname": "lot", "label": _("Lot"), "fieldtype": "Link", "options": "Lot", "width": 130},
		{"fieldname": "metric", "label": _("Metric"), "fieldtype": "Data", "width": 120},
		{"fieldname": "value", "label": _("Value"), "fieldtype": "Float", "precision": 2, "width": 90},
		{"fieldname": "unit", "label": _("Unit"), "fieldtype": "Data", "width": 70},
		{"fieldname": "quality_flag", "label": _("Quality Flag"), "fieldtype": "Data", "width": 100},
		{"fieldname": "flag_reason", "label": _("Flag Reason"), "fieldtype": "Data", "width": 300},
		{
			"fieldname": "reported_device_id",
			"label": _("Reported Device ID"),
			"fieldtype": "Data",
			"width": 130,
		},
		{"fieldname": "name", "label": _("Reading"), "fieldtype": "Data", "width": 110},
	]


def summary(rows: list[dict]) -> list[dict]:
	quarantined = sum(1 for r in rows if r.get("quality_flag") == "Quarantine")
	return [
		{"label": _("Archived Readings"), "value": len(rows), "datatype": "Int"},
		{
			"label": _("Devices"),
			"value": len({r.get("device") for r in rows if r.get("device")}),
			"datatype": "Int",
		},
		{
			"label": _("Quarantined Readings"),
			"value": quarantined,
			"datatype": "Int",
			"indicator": "Red" if quarantined else "Green",
		},
	]
