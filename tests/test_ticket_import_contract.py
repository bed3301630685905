"""Scale Ticket Import (FR-SCL-01..02) read as data: its DocType, the Operator field of Scale Ticket, the
API method and the form's buttons (no Frappe)."""

from __future__ import annotations

import ast

from doctype_meta import APP, DOCTYPES, fields_of, options, perm

from yam_agri_core.rules.sites import SITE_DOCTYPES

IMPORT = "Scale Ticket Import"
FOLDER = APP / "traceability" / "doctype" / "scale_ticket_import"
STATES = ["Draft", "Previewed", "Importing", "Imported", "Partially Imported", "Failed"]


def whitelisted(path) -> dict[str, ast.FunctionDef]:
	return {
		n.name: n
		for n in ast.parse(path.read_text()).body
		if isinstance(n, ast.FunctionDef) and any("whitelist" in ast.unparse(d) for d in n.decorator_list)
	}


def test_the_import_doctype():
	meta = DOCTYPES[IMPORT]
	assert meta["module"] == "Traceability" and not meta.get("is_submittable") and not meta.get("istable")
	series = fields_of(IMPORT)["naming_series"]
	assert meta["autoname"] == "naming_series:"
	assert series["default"] == "STI-.YYYY.-.#####" and options(series) == ["STI-.YYYY.-.#####"]
	fields = fields_of(IMPORT)
	assert (fields["site"]["fieldtype"], fields["site"]["options"]) == ("Link", "Site")
	assert fields["import_file"]["fieldtype"] == "Attach" and fields["import_file"]["reqd"] == 1
	assert fields["error_report"]["fieldtype"] == "Attach" and fields["error_report"]["read_only"] == 1
	assert options(fields["status"]) == STATES and fields["status"]["default"] == "Draft"
	for fieldname in ("status", "total_rows", "imported_count", "skipped_count", "rejected_count"):
		assert fields[fieldname]["read_only"] == 1, fieldname
	assert fields["import_log"]["read_only"] == 1 and fields["rows_html"]["fieldtype"] == "HTML"


def test_the_import_is_isolated_by_site():
	site = fields_of(IMPORT)["site"]
	assert site["reqd"] == 1 and site["search_index"] == 1 and site["in_standard_filter"] == 1
	assert IMPORT in SITE_DOCTYPES


def test_who_imports():
	for role in ("Site Operator", "Quality Manager"):
		rights = perm(IMPORT, role)
		assert rights.get("read") == rights.get("write") == rights.get("create") == 1, role
		assert not rights.get("delete"), role
	assert perm(IMPORT, "System Manager").get("delete") == 1
	auditor = perm(IMPORT, "Auditor")
	assert auditor.get("read") == 1
	for right in ("write", "create", "delete", "submit", "cancel", "amend", "import"):
		assert not auditor.get(right), right


def test_scale_ticket_records_its_operator():
	operator = fields_of("Scale Ticket")["operator"]
	assert (operator["fieldtype"], operator["label"]) == ("Data", "Operator")
	assert fields_of("Scale Ticket")["import_batch"]["fieldtype"] == "Data"


def test_the_api_method():
	methods = whitelisted(APP / "api.py")
	node = methods["import_scale_tickets"]
	assert "methods=['POST']" in ast.unparse(node.decorator_list[0])
	args = [a.arg for a in node.args.args]
	assert args == ["site", "content", "filename", "dry_run"]
	defaults = [ast.literal_eval(d) for d in node.args.defaults]
	assert defaults == [None, "tickets.csv", 0]


def test_the_form_buttons_call_whitelisted_methods():
	methods = whitelisted(FOLDER / "scale_ticket_import.py")
	assert {"preview_import", "start_import"} <= set(methods)
	for node in methods.values():
		assert [(a.arg, ast.unparse(a.annotation)) for a in node.args.args] == [("name", "str")]
	script = (FOLDER / "scale_ticket_import.js").read_text()
	path = "yam_agri_core.traceability.doctype.scale_ticket_import.scale_ticket_import."
	assert path in script
	for call in ('__("Preview")', '__("Import")', '"preview_import"', '"start_import"'):
		assert call in script, call


def test_the_digest_uses_the_key_of_a_single_submit():
	source = (APP / "alerts" / "imports.py").read_text()
	assert "alerting.alert_key(alerting.SCALE_TICKET_MISMATCH, t.name)" in source
	events = (APP / "alerts" / "events.py").read_text()
	assert "alerting.alert_key(alerting.SCALE_TICKET_MISMATCH, ticket.name)" in events
