# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

"""Nonconformance Ageing: the open nonconformances (CAPA) of the user's sites, with their age, due
date, days overdue and who owns them. Most overdue first. Filters on the date each was opened."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Date
from frappe.utils import getdate

from yam_agri_core import report_scope as scope
from yam_agri_core.rules import reporting

DOCTYPE = "Nonconformance"


def execute(filters: dict | None = None):
	filters = scope.report_filters(filters)
	scope.check_dates(filters)
	sites = scope.readable_sites(filters, DOCTYPE)
	if sites == []:
		return columns(), [], scope.no_site_message(), None, summary([])
	today = getdate()
	rows = [reporting.shape_nonconformance(r, today) for r in read(filters, sites)]
	if filters.get("overdue_only"):
		rows = [r for r in rows if r["overdue"]]
	rows.sort(key=reporting.ageing_order)
	return columns(), rows, None, chart(rows), summary(rows)


def read(filters: frappe._dict, sites: list[str] | None) -> list[dict]:
	"""Not Closed, on (site, status); opened = the creation date."""
	NC = frappe.qb.DocType(DOCTYPE)
	query = (
		frappe.qb.from_(NC)
		.select(
			NC.name,
			NC.nc_type,
			NC.severity,
			NC.status,
			NC.site,
			NC.lot,
			NC.scale_ticket,
			Date(NC.creation).as_("opened_on"),
			NC.due_date,
			NC.assigned_to,
			NC.owner,
		)
		.where(NC.status != reporting.CLOSED)
	)
	query = scope.within_dates(
		scope.restrict(query, NC.site, sites), NC.creation, filters, datetime_column=True
	)
	for fieldname in ("severity", "nc_type", "assigned_to", "status"):
		if filters.get(fieldname):
			query = query.where(getattr(NC, fieldname) == filters[fieldname])
	return query.run(as_dict=True)


def columns() -> list[dict]:
	return [
		{
			"fieldname": "name",
			"label": _("Nonconformance"),
			"fieldtype": "Link",
			"options": DOCTYPE,
			"width": 140,
		},
		{"fieldname": "severity", "label": _("Severity"), "fieldtype": "Data", "width": 90},
		{"fieldname": "nc_type", "label": _("NC Type"), "fieldtype": "Data", "width": 130},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 130},
		{"fieldname": "site", "label": _("Site"), "fieldtype": "Link", "options": "Site", "width": 150},
		{"fieldname": "opened_on", "label": _("Opened On"), "fieldtype": "Date", "width": 100},
		{"fieldname": "age_days", "label": _("Age (Days)"), "fieldtype": "Int", "width": 90},
		{"fieldname": "age_bucket", "label": _("Age Bucket"), "fieldtype": "Data", "width": 110},
		{"fieldname": "due_date", "label": _("Due Date"), "fieldtype": "Date", "width": 100},
		{"fieldname": "overdue", "label": _("Overdue"), "fieldtype": "Check", "width": 80},
		{"fieldname": "days_overdue", "label": _("Days Overdue"), "fieldtype": "Int", "width": 100},
		{
			"fieldname": "responsible",
			"label": _("Owner"),
			"fieldtype": "Link",
			"options": "User",
			"width": 180,
		},
		{"fieldname": "lot", "label": _("Lot"), "fieldtype": "Link", "options": "Lot", "width": 140},
		{
			"fieldname": "scale_ticket",
			"label": _("Scale Ticket"),
			"fieldtype": "Link",
			"options": "Scale Ticket",
			"width": 140,
		},
	]


def chart(rows: list[dict]) -> dict | None:
	if not rows:
		return None
	labels = [label for _bound, label in reporting.AGE_BUCKETS]
	counts = reporting.count_by(rows, "age_bucket", labels)
	return {
		"data": {
			"labels": [_(label) for label in labels],
			"datasets": [{"name": _("Open Nonconformances"), "values": [counts[label] for label in labels]}],
		},
		"type": "bar",
		"height": 200,
	}


def summary(rows: list[dict]) -> list[dict]:
	overdue = sum(r["overdue"] for r in rows)
	critical = sum(1 for r in rows if r.get("severity") == "Critical")
	return [
		{"label": _("Open Nonconformances"), "value": len(rows), "datatype": "Int"},
		{
			"label": _("Overdue"),
			"value": overdue,
			"datatype": "Int",
			"indicator": "Red" if overdue else "Green",
		},
		{
			"label": _("Critical"),
			"value": critical,
			"datatype": "Int",
			"indicator": "Red" if critical else "Green",
		},
		{
			"label": _("Oldest (Days)"),
			"value": max((r["age_days"] for r in rows), default=0),
			"datatype": "Int",
		},
	]
