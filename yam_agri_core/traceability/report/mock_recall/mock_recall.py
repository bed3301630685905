# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

"""Mock Recall: every lot and shipment downstream of a lot, with the mass balance of the tree.

Desk exports it to Excel or CSV (Menu > Export). The data is ``trace.get_mock_recall``'s.
"""

from __future__ import annotations

import frappe
from frappe import _

from yam_agri_core.traceability.recall import MockRecall


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	if not filters.get("lot"):
		return columns(), [], _("Choose a lot to trace forward."), None, []
	recall = MockRecall(filters.lot).as_dict()
	return columns(), data(recall), message(recall), None, summary(recall)


def columns() -> list[dict]:
	return [
		{"fieldname": "depth", "label": _("Generation"), "fieldtype": "Int", "width": 90},
		{"fieldname": "lot", "label": _("Lot"), "fieldtype": "Link", "options": "Lot", "width": 160},
		{"fieldname": "lot_label", "label": _("Lot or Placeholder"), "fieldtype": "Data", "width": 150},
		{"fieldname": "lot_type", "label": _("Lot Type"), "fieldtype": "Data", "width": 100},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 100},
		{"fieldname": "is_shipment", "label": _("Shipment"), "fieldtype": "Check", "width": 80},
		{"fieldname": "site", "label": _("Site"), "fieldtype": "Link", "options": "Site", "width": 150},
		{"fieldname": "crop", "label": _("Crop"), "fieldtype": "Link", "options": "Crop", "width": 90},
		{"fieldname": "variety", "label": _("Variety"), "fieldtype": "Data", "width": 100},
		{"fieldname": "season", "label": _("Season"), "fieldtype": "Data", "width": 100},
		{
			"fieldname": "received_kg",
			"label": _("Received From Tree (kg)"),
			"fieldtype": "Float",
			"width": 130,
		},
		{
			"fieldname": "declared_qty_kg",
			"label": _("Declared Quantity (kg)"),
			"fieldtype": "Float",
			"width": 130,
		},
		{
			"fieldname": "available_qty_kg",
			"label": _("Available Quantity (kg)"),
			"fieldtype": "Float",
			"width": 130,
		},
		{"fieldname": "shipped_kg", "label": _("Shipped (kg)"), "fieldtype": "Float", "width": 110},
		{
			"fieldname": "weighed_qty_kg",
			"label": _("Weighed Quantity (kg)"),
			"fieldtype": "Float",
			"width": 130,
		},
		{
			"fieldname": "weight_difference_kg",
			"label": _("Weight Difference (kg)"),
			"fieldtype": "Float",
			"width": 130,
		},
		{"fieldname": "qc_summary", "label": _("QC Tests"), "fieldtype": "Data", "width": 240},
		{
			"fieldname": "supplier",
			"label": _("Supplier"),
			"fieldtype": "Link",
			"options": "Supplier",
			"width": 140,
		},
		{
			"fieldname": "customer",
			"label": _("Customer"),
			"fieldtype": "Link",
			"options": "Customer",
			"width": 140,
		},
		{
			"fieldname": "storage_bin",
			"label": _("Storage Bin"),
			"fieldtype": "Link",
			"options": "Storage Bin",
			"width": 140,
		},
		{"fieldname": "via_transfers", "label": _("Via Transfers"), "fieldtype": "Data", "width": 180},
		{
			"fieldname": "outbound_tickets",
			"label": _("Outbound Scale Tickets"),
			"fieldtype": "Data",
			"width": 180,
		},
		{"fieldname": "outbound_net_kg", "label": _("Outbound Net (kg)"), "fieldtype": "Float", "width": 120},
	]


def data(recall: dict) -> list[dict]:
	return recall["lots"]


def message(recall: dict) -> str:
	balance = recall["mass_balance"]
	lines = []
	if recall["truncated"]:
		lines.append(_("The genealogy is deeper than the trace limit; lots beyond it are not listed."))
	unbalanced = [t for t in balance["transfers"] if not t["balanced"]]
	for t in unbalanced:
		lines.append(
			_("Transfer {0}: sources {1} kg, destinations {2} kg, loss {3} kg (difference {4} kg)").format(
				t["transfer"] or _("Restricted transfer"),
				t["source_kg"],
				t["destination_kg"],
				t["loss_kg"],
				t["difference_kg"],
			)
		)
	if not balance["balanced"]:
		lines.append(
			_(
				"{0} kg entered the tree but only {1} kg are shipped, on hand, lost or found missing by the scale"
			).format(balance["entered_kg"], round(balance["entered_kg"] - balance["unaccounted_kg"], 3))
		)
	return "<br>".join(frappe.utils.escape_html(line) for line in lines)


def summary(recall: dict) -> list[dict]:
	balance = recall["mass_balance"]
	transfers = balance["transfers"]
	good = sum(t["balanced"] for t in transfers)
	return [
		{"label": _("Lots"), "value": len(recall["lots"]), "datatype": "Int"},
		{"label": _("Shipments"), "value": len(recall["shipments"]), "datatype": "Int"},
		{"label": _("Entered the Tree (kg)"), "value": balance["entered_kg"], "datatype": "Float"},
		{"label": _("Shipped (kg)"), "value": balance["shipped_kg"], "datatype": "Float"},
		{"label": _("On Hand (kg)"), "value": balance["on_hand_kg"], "datatype": "Float"},
		{"label": _("Process Losses (kg)"), "value": balance["loss_kg"], "datatype": "Float"},
		{
			"label": _("Weighing Deduction (kg)"),
			"value": balance["weighing_deduction_kg"],
			"datatype": "Float",
		},
		{
			"label": _("Unaccounted (kg)"),
			"value": balance["unaccounted_kg"],
			"datatype": "Float",
			"indicator": "Green" if balance["balanced"] else "Red",
		},
		{
			"label": _("Transfers Balanced"),
			"value": f"{good} / {len(transfers)}",
			"datatype": "Data",
			"indicator": "Green" if good == len(transfers) else "Red",
		},
	]
