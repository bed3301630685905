# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

"""Scale Ticket Mismatches: the submitted scale tickets of the user's sites whose net weight lay
beyond their tolerance from the expected net weight (``mismatch_flag``, set by ``rules.weighing``),
with the difference in kg, how far beyond the tolerance, and the nonconformance each opened."""

from __future__ import annotations

import frappe
from frappe import _

from yam_agri_core import report_scope as scope
from yam_agri_core.rules import reporting

DOCTYPE = "Scale Ticket"


def execute(filters: dict | None = None):
	filters = scope.report_filters(filters)
	scope.check_dates(filters)
	sites = scope.readable_sites(filters, DOCTYPE)
	if sites == []:
		return columns(), [], scope.no_site_message(), None, summary([])
	rows = [reporting.shape_mismatch(r) for r in read(filters, sites)]
	return columns(), rows, None, None, summary(rows)


def read(filters: frappe._dict, sites: list[str] | None) -> list[dict]:
	"""Submitted (cancelled ones are corrected by their amendment) and flagged, on (site,
	ticket_datetime) or mismatch_flag."""
	Ticket = frappe.qb.DocType(DOCTYPE)
	NC = frappe.qb.DocType("Nonconformance")
	query = (
		frappe.qb.from_(Ticket)
		.left_join(NC)
		.on(NC.name == Ticket.nonconformance)
		.select(
			Ticket.name,
			Ticket.ticket_no,
			Ticket.ticket_datetime,
			Ticket.site,
			Ticket.lot,
			Ticket.direction,
			Ticket.device,
			Ticket.vehicle,
			Ticket.driver,
			Ticket.gross_kg,
			Ticket.tare_kg,
			Ticket.net_kg,
			Ticket.expected_net_kg,
			Ticket.deviation_pct,
			Ticket.tolerance_pct,
			Ticket.nonconformance,
			NC.status.as_("nc_status"),
		)
		.where((Ticket.docstatus == 1) & (Ticket.mismatch_flag == 1))
	)
	query = scope.restrict(query, Ticket.site, sites)
	query = scope.within_dates(query, Ticket.ticket_datetime, filters, datetime_column=True)
	for fieldname in ("direction", "lot", "device"):
		if filters.get(fieldname):
			query = query.where(getattr(Ticket, fieldname) == filters[fieldname])
	return query.orderby(Ticket.ticket_datetime, order=frappe.qb.desc).orderby(Ticket.name).run(as_dict=True)


def columns() -> list[dict]:
	kg = {"fieldtype": "Float", "width": 110}
	return [
		{
			"fieldname": "name",
			"label": _("Scale Ticket"),
			"fieldtype": "Link",
			"options": DOCTYPE,
			"width": 140,
		},
		{"fieldname": "ticket_no", "label": _("Ticket No"), "fieldtype": "Data", "width": 100},
		{
			"fieldname": "ticket_datetime",
			"label": _("Ticket Date and Time"),
			"fieldtype": "Datetime",
			"width": 150,
		},
		{"fieldname": "site", "label": _("Site"), "fieldtype": "Link", "options": "Site", "width": 150},
		{"fieldname": "lot", "label": _("Lot"), "fieldtype": "Link", "options": "Lot", "width": 140},
		{"fieldname": "direction", "label": _("Direction"), "fieldtype": "Data", "width": 90},
		{"fieldname": "vehicle", "label": _("Vehicle"), "fieldtype": "Data", "width": 100},
		{"fieldname": "net_kg", "label": _("Net Weight (kg)"), **kg},
		{"fieldname": "expected_net_kg", "label": _("Expected Net Weight (kg)"), **kg},
		{"fieldname": "difference_kg", "label": _("Difference (kg)"), **kg},
		{
			"fieldname": "deviation_pct",
			"label": _("Deviation (%)"),
			"fieldtype": "Float",
			"precision": 2,
			"width": 100,
		},
		{
			"fieldname": "tolerance_pct",
			"label": _("Tolerance (%)"),
			"fieldtype": "Float",
			"precision": 2,
			"width": 100,
		},
		{
			"fieldname": "beyond_tolerance_pct",
			"label": _("Beyond Tolerance (%)"),
			"fieldtype": "Float",
			"precision": 2,
			"width": 110,
		},
		{"fieldname": "severity", "label": _("Severity"), "fieldtype": "Data", "width": 80},
		{
			"fieldname": "nonconformance",
			"label": _("Nonconformance"),
			"fieldtype": "Link",
			"options": "Nonconformance",
			"width": 140,
		},
		{"fieldname": "nc_status", "label": _("Nonconformance Status"), "fieldtype": "Data", "width": 130},
		{"fieldname": "device", "label": _("Device"), "fieldtype": "Link", "options": "Device", "width": 130},
		{"fieldname": "driver", "label": _("Driver"), "fieldtype": "Data", "width": 110},
	]


def summary(rows: list[dict]) -> list[dict]:
	totals = reporting.mismatch_totals(rows)
	return [
		{
			"label": _("Mismatched Tickets"),
			"value": totals["tickets"],
			"datatype": "Int",
			"indicator": "Red" if totals["tickets"] else "Green",
		},
		{"label": _("Short (kg)"), "value": totals["short_kg"], "datatype": "Float"},
		{"label": _("Over (kg)"), "value": totals["over_kg"], "datatype": "Float"},
		{
			"label": _("Without Nonconformance"),
			"value": totals["without_nc"],
			"datatype": "Int",
			"indicator": "Red" if totals["without_nc"] else "Green",
		},
	]
