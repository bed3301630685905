# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

"""Lot Stock: the grain of the user's sites by site, bin, crop and status: how many lots, and their
declared, weighed (submitted Inbound tickets) and available kg. Shipped and Rejected lots hold no
stock and are left out unless asked for. A stock view: it has no date filter."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Sum

from yam_agri_core import report_scope as scope
from yam_agri_core.rules import reporting

DOCTYPE = "Lot"


def execute(filters: dict | None = None):
	filters = scope.report_filters(filters)
	sites = scope.readable_sites(filters, DOCTYPE)
	if sites == []:
		return columns(), [], scope.no_site_message(), None, summary([])
	rows = [reporting.shape_stock(r) for r in read(filters, sites)]
	return columns(), rows, None, None, summary(rows)


def read(filters: frappe._dict, sites: list[str] | None) -> list[dict]:
	"""One GROUP BY over the site index."""
	Lot = frappe.qb.DocType(DOCTYPE)
	group = (Lot.site, Lot.storage_bin, Lot.crop, Lot.status)
	query = (
		frappe.qb.from_(Lot)
		.select(
			*group,
			Count("*").as_("lots"),
			*(Sum(getattr(Lot, q)).as_(q) for q in reporting.QUANTITIES),
		)
		.groupby(*group)
		.orderby(Lot.site)
		.orderby(Lot.storage_bin)
		.orderby(Lot.crop)
		.orderby(Lot.status)
	)
	query = scope.restrict(query, Lot.site, sites)
	if filters.get("status"):
		query = query.where(Lot.status == filters.status)
	elif not filters.get("include_closed"):
		query = query.where(Lot.status.notin(reporting.CLOSED_LOT_STATUSES))
	for fieldname in ("crop", "storage_bin", "season"):
		if filters.get(fieldname):
			query = query.where(getattr(Lot, fieldname) == filters[fieldname])
	return query.run(as_dict=True)


def columns() -> list[dict]:
	kg = {"fieldtype": "Float", "width": 130}
	return [
		{"fieldname": "site", "label": _("Site"), "fieldtype": "Link", "options": "Site", "width": 150},
		{
			"fieldname": "storage_bin",
			"label": _("Storage Bin"),
			"fieldtype": "Link",
			"options": "Storage Bin",
			"width": 160,
		},
		{"fieldname": "crop", "label": _("Crop"), "fieldtype": "Link", "options": "Crop", "width": 100},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 100},
		{"fieldname": "lots", "label": _("Lots"), "fieldtype": "Int", "width": 70},
		{"fieldname": "declared_qty_kg", "label": _("Declared Quantity (kg)"), **kg},
		{"fieldname": "weighed_qty_kg", "label": _("Weighed Quantity (kg)"), **kg},
		{"fieldname": "weight_difference_kg", "label": _("Weight Difference (kg)"), **kg},
		{"fieldname": "available_qty_kg", "label": _("Available Quantity (kg)"), **kg},
		{"fieldname": "out_kg", "label": _("Taken Out (kg)"), **kg},
	]


def summary(rows: list[dict]) -> list[dict]:
	totals = reporting.stock_totals(rows)
	return [
		{"label": _("Lots"), "value": totals["lots"], "datatype": "Int"},
		{"label": _("Declared Quantity (kg)"), "value": totals["declared_qty_kg"], "datatype": "Float"},
		{"label": _("Weighed Quantity (kg)"), "value": totals["weighed_qty_kg"], "datatype": "Float"},
		{
			"label": _("Available Quantity (kg)"),
			"value": totals["available_qty_kg"],
			"datatype": "Float",
			"indicator": "Blue",
		},
	]
