"""Lot Transfer, its child tables, the Mock Recall report and the Lot fields traceability adds, read
as data (no Frappe)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from doctype_meta import DOCTYPES, FRAMEWORK_DOCTYPES, fields_of, options, perm

from yam_agri_core.rules.sites import SITE_DOCTYPES
from yam_agri_core.rules.transfers import TRANSFER_TYPES

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "yam_agri_core"
REPORT = APP / "traceability" / "report" / "mock_recall"

CONTRACT = {
	"Lot Transfer": {
		"transfer_type": ("Select", list(TRANSFER_TYPES)),
		"transfer_date": "Date",
		"site": ("Link", "Site"),
		"source_lots": ("Table", "Lot Transfer Source"),
		"destination_lots": ("Table", "Lot Transfer Destination"),
		"process_loss_kg": "Float",
		"loss_reason": "Small Text",
		"total_source_kg": "Float",
		"total_destination_kg": "Float",
		"remarks": "Small Text",
		"amended_from": ("Link", "Lot Transfer"),
	},
	"Lot Transfer Source": {
		"lot": ("Link", "Lot"),
		"qty_kg": "Float",
		"site": ("Link", "Site"),
		"crop": ("Link", "Crop"),
		"available_before_kg": "Float",
	},
	"Lot Transfer Destination": {
		"lot": ("Link", "Lot"),
		"new_lot_site": ("Link", "Site"),
		"storage_bin": ("Link", "Storage Bin"),
		"lot_type": ("Select", None),
		"qty_kg": "Float",
		"site": ("Link", "Site"),
	},
}


@pytest.mark.parametrize("doctype", sorted(CONTRACT))
def test_fields(doctype):
	fields = fields_of(doctype)
	for fieldname, spec in CONTRACT[doctype].items():
		assert fieldname in fields, f"{doctype}.{fieldname}"
		fieldtype, target = (spec, None) if isinstance(spec, str) else spec
		assert fields[fieldname]["fieldtype"] == fieldtype, f"{doctype}.{fieldname}"
		if fieldtype in ("Link", "Table"):
			assert fields[fieldname]["options"] == target
		elif target:
			assert options(fields[fieldname]) == target


def test_lot_transfer_naming_and_submission():
	meta = DOCTYPES["Lot Transfer"]
	series = fields_of("Lot Transfer")["naming_series"]
	assert meta["autoname"] == "naming_series:"
	assert series["default"] == "LTR-.YYYY.-.#####" and options(series) == ["LTR-.YYYY.-.#####"]
	assert meta["is_submittable"] == 1 and meta["module"] == "Traceability"
	assert meta["track_changes"] == 1
	amended = fields_of("Lot Transfer")["amended_from"]
	assert amended["no_copy"] == 1 and amended["read_only"] == 1


def test_transfer_date_defaults_to_today():
	assert fields_of("Lot Transfer")["transfer_date"]["default"] == "Today"


def test_site_is_mandatory_indexed_and_isolated():
	site = fields_of("Lot Transfer")["site"]
	assert site["reqd"] == 1 and site["search_index"] == 1 and site["in_standard_filter"] == 1
	assert "Lot Transfer" in SITE_DOCTYPES


def test_child_tables():
	for child in ("Lot Transfer Source", "Lot Transfer Destination"):
		meta = DOCTYPES[child]
		assert meta["istable"] == 1 and meta["module"] == "Traceability"
		assert fields_of(child)["lot"].get("search_index") == 1, "the genealogy walks lot"
	assert fields_of("Lot Transfer Source")["lot"]["reqd"] == 1
	assert not fields_of("Lot Transfer Destination")["lot"].get("reqd"), "blank creates a new lot"
	for child, read_only in (
		("Lot Transfer Source", ("site", "crop", "available_before_kg")),
		("Lot Transfer Destination", ("site",)),
	):
		for fieldname in read_only:
			assert fields_of(child)[fieldname]["read_only"] == 1, f"{child}.{fieldname}"


def test_destination_lot_types_are_lot_types():
	lot_types = set(options(fields_of("Lot")["lot_type"]))
	assert set(options(fields_of("Lot Transfer Destination")["lot_type"])) <= lot_types


def test_loss_reason_is_required_with_a_loss():
	assert "process_loss_kg" in fields_of("Lot Transfer")["loss_reason"]["mandatory_depends_on"]


def test_computed_totals_are_read_only():
	for fieldname in ("total_source_kg", "total_destination_kg"):
		assert fields_of("Lot Transfer")[fieldname]["read_only"] == 1


def test_permissions():
	assert perm("Lot Transfer", "Site Operator").get("submit") == 1
	assert not perm("Lot Transfer", "Site Operator").get("cancel"), "a Quality Manager cancels"
	assert perm("Lot Transfer", "Quality Manager").get("cancel") == 1
	auditor = perm("Lot Transfer", "Auditor")
	assert auditor.get("read") == 1
	for right in ("write", "create", "delete", "submit", "cancel", "amend", "import"):
		assert not auditor.get(right)
	owner = perm("Lot Transfer", "Platform Owner")
	assert owner.get("read") == 1 and not owner.get("write")


def test_lot_fields_for_traceability():
	lot = fields_of("Lot")
	assert lot["customer"]["fieldtype"] == "Link" and lot["customer"]["options"] == "Customer"
	assert not lot["customer"].get("reqd")
	assert lot["source_transfer"]["options"] == "Lot Transfer" and lot["source_transfer"]["read_only"] == 1
	assert "Customer" in FRAMEWORK_DOCTYPES


def test_mock_recall_report():
	meta = json.loads((REPORT / "mock_recall.json").read_text())
	assert meta["name"] == meta["report_name"] == "Mock Recall"
	assert meta["report_type"] == "Script Report" and meta["module"] == "Traceability"
	assert meta["ref_doctype"] == "Lot" and meta["is_standard"] == "Yes"
	assert {r["role"] for r in meta["roles"]} >= {"Quality Manager", "Auditor"}
	source = (REPORT / "mock_recall.py").read_text()
	assert "execute" in {n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
	assert '"lot"' in (REPORT / "mock_recall.js").read_text()


def test_trace_methods_are_whitelisted_and_typed():
	tree = ast.parse((APP / "traceability" / "trace.py").read_text())
	whitelisted = {
		node.name: node
		for node in tree.body
		if isinstance(node, ast.FunctionDef)
		and any("whitelist" in ast.unparse(d) for d in node.decorator_list)
	}
	assert set(whitelisted) == {"trace_backward", "trace_forward", "get_mock_recall"}
	for node in whitelisted.values():
		assert [(a.arg, ast.unparse(a.annotation)) for a in node.args.args] == [("lot", "str")]


def test_lot_weighed_quantity_fields():
	lot = fields_of("Lot")
	for fieldname, label in (
		("weighed_qty_kg", "Weighed Quantity (kg)"),
		("weight_difference_kg", "Weight Difference (kg)"),
		("weighing_deduction_kg", "Weighing Deduction (kg)"),
	):
		field = lot[fieldname]
		assert field["fieldtype"] == "Float" and field["label"] == label, fieldname
		assert field["read_only"] == 1 and field["no_copy"] == 1 and field.get("description"), fieldname
	order = DOCTYPES["Lot"]["field_order"]
	assert order.index("declared_qty_kg") < order.index("weighed_qty_kg") < order.index("section_origin")
