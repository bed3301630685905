"""Form scripts, list views and connections name only what exists (DocType JSON, read as data; no Frappe)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.doctype_meta import APP, DOCTYPES, fields_of
from tests.test_translations import translations

FORM_DOCTYPES = (
	"Lot",
	"Scale Ticket",
	"Nonconformance",
	"Certificate",
	"Observation",
	"Device",
	"QC Test",
	"Lot Transfer",
)
STANDARD = {"name", "docstatus", "owner", "creation", "modified", "modified_by", "__islocal", "amended_from"}
JS_STRING = re.compile(r'__\(\s*"((?:[^"\\]|\\.)*)"', re.S)


def folder(doctype: str) -> Path:
	return DOCTYPES[doctype]["_path"].parent


def script(doctype: str, suffix: str = "") -> Path:
	return folder(doctype) / f"{folder(doctype).name}{suffix}.js"


def doc_fields(text: str) -> set[str]:
	"""Fields read as ``doc.x`` / ``frm.doc.x`` (not ``node.x`` of trace data)."""
	return set(re.findall(r"(?<![\w.])(?:frm\.)?doc\.(\w+)", text))


@pytest.mark.parametrize("doctype", FORM_DOCTYPES)
def test_every_list_view_has_an_indicator_on_fields_that_exist(doctype):
	path = script(doctype, "_list")
	assert path.exists(), f"{doctype}: {path.name}"
	text = path.read_text(encoding="utf-8")
	assert f'frappe.listview_settings["{doctype}"]' in text
	# Frappe colours a ``status`` that is one of the DocType's states before it asks get_indicator
	states_apply = bool(DOCTYPES[doctype].get("states")) and "status" in fields_of(doctype)
	assert states_apply != ("get_indicator(doc)" in text), doctype
	known = set(fields_of(doctype)) | STANDARD
	formatters = re.search(r"formatters:\s*\{(.*)", text, re.S)
	if formatters:
		assert set(re.findall(r"^\t\t(\w+)\(value", formatters.group(1), re.M)) <= known, doctype
	add_fields = re.search(r"add_fields:\s*\[([^\]]*)\]", text)
	named = set(re.findall(r'"(\w+)"', add_fields.group(1))) if add_fields else set()
	filters = {
		f for spec in re.findall(r'[`"](\w+,[^`"]*)[`"]', text) for f in re.findall(r"(?:^|\|)(\w+),", spec)
	}
	assert not (named | doc_fields(text) | filters) - known, doctype


@pytest.mark.parametrize("doctype", FORM_DOCTYPES)
def test_list_columns_and_filters_a_person_scans(doctype):
	fields = fields_of(doctype).values()
	columns = [f["fieldname"] for f in fields if f.get("in_list_view")]
	assert 3 <= len(columns) <= 6, (doctype, columns)
	assert "site" in columns and any(f.get("in_standard_filter") for f in fields)


@pytest.mark.parametrize("path", sorted(APP.glob("*/doctype/*/*.js")), ids=lambda p: p.name)
def test_form_scripts_read_fields_that_exist(path):
	meta = next((d for d in DOCTYPES.values() if d["_path"].parent == path.parent), None)
	if meta is None:
		return
	known = set(fields_of(meta["name"])) | STANDARD
	assert not doc_fields(path.read_text(encoding="utf-8")) - known, path.name


def dashboard_data(path: Path) -> dict:
	"""``get_data()``'s returned literal, with ``_("x")`` read as ``"x"``."""
	tree = ast.parse(path.read_text(encoding="utf-8"))
	function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "get_data")
	returned = next(n for n in ast.walk(function) if isinstance(n, ast.Return)).value

	class Untranslate(ast.NodeTransformer):
		def visit_Call(self, node):
			assert isinstance(node.func, ast.Name) and node.func.id == "_", ast.dump(node)
			return node.args[0]

	return ast.literal_eval(Untranslate().visit(returned))


DASHBOARDS = sorted(APP.glob("*/doctype/*/*_dashboard.py"))


def test_the_lot_has_connections():
	assert folder("Lot") / "lot_dashboard.py" in DASHBOARDS


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_links_resolve(path):
	owner = next(d for d in DOCTYPES.values() if d["_path"].parent == path.parent)
	data = dashboard_data(path)
	own_fields = fields_of(owner["name"])
	ar = translations()
	for group in data["transactions"]:
		assert group["label"] in ar, group["label"]
		for doctype in group["items"]:
			assert doctype in DOCTYPES, doctype
			internal = data.get("internal_links", {}).get(doctype)
			if internal:
				assert own_fields[internal]["options"] == doctype, (internal, doctype)
				continue
			fieldname = data.get("non_standard_fieldnames", {}).get(doctype, data["fieldname"])
			# Frappe matches a field the parent lacks in its first table that has it
			candidates = [fields_of(doctype)] + [
				fields_of(f["options"]) for f in fields_of(doctype).values() if f["fieldtype"] == "Table"
			]
			field = next((c[fieldname] for c in candidates if fieldname in c), None)
			assert field and field["fieldtype"] == "Link" and field["options"] == owner["name"], (
				doctype,
				fieldname,
			)


def test_document_links_fall_into_the_dashboard_groups():
	"""Frappe merges a DocType's Document Links into the dashboard group of the same label; a label
	the dashboard lacks would add a second group listing the same records."""
	for path in DASHBOARDS:
		owner = next(d for d in DOCTYPES.values() if d["_path"].parent == path.parent)
		labels = {g["label"] for g in dashboard_data(path)["transactions"]}
		assert {link["group"] for link in owner.get("links", [])} <= labels, owner["name"]


def test_lot_connections_cover_what_touches_a_lot():
	items = {
		d for g in dashboard_data(folder("Lot") / "lot_dashboard.py")["transactions"] for d in g["items"]
	}
	assert {"QC Test", "Certificate", "Scale Ticket", "Observation", "Nonconformance"} <= items


def test_the_lot_form_draws_its_genealogy_a_few_generations_at_a_time():
	assert fields_of("Lot")["genealogy_html"]["fieldtype"] == "HTML"
	text = script("Lot").read_text(encoding="utf-8")
	module = ast.parse((APP / "traceability" / "genealogy.py").read_text(encoding="utf-8"))
	endpoint = next(n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == "get_generations")
	assert any("whitelist" in ast.unparse(d) for d in endpoint.decorator_list)
	assert [a.arg for a in endpoint.args.args] == ["lot", "direction", "generations"]
	assert '"yam_agri_core.traceability.genealogy.get_generations"' in text
	assert re.search(r"args: \{ lot, direction, generations: YAM_TRACE_DEPTH \}", text)
	assert "genealogy_html" in text


FORM_FILES = sorted(
	[script(d) for d in FORM_DOCTYPES if script(d).exists()] + [script(d, "_list") for d in FORM_DOCTYPES]
)


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.name)
def test_every_form_string_has_an_arabic_row(path):
	ar = translations()
	missing = [s for s in JS_STRING.findall(path.read_text(encoding="utf-8")) if s not in ar]
	assert not missing, missing


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_labels_are_not_translated_on_the_server(path):
	"""Frappe caches a DocType's dashboard data for the whole site (``doctype_form_meta``): a label
	translated there would be in the language of whoever opened the form first. Desk translates each
	label for its reader (``__(label)`` in ``form_links.html``); ``_`` only marks it for ar.csv."""
	tree = ast.parse(path.read_text(encoding="utf-8"))
	for node in ast.walk(tree):
		if isinstance(node, ast.ImportFrom) and any(alias.name == "_" for alias in node.names):
			assert node.module == "yam_agri_core.rules.messages", f"{path.name} imports _ from {node.module}"
