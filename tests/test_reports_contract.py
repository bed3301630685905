"""The seven Desk reports of issue 10 part 2, read as data (no Frappe): each is a standard Script
Report of the right module, on the right DocType, for the personas that use it, with a thin
``execute``, a site filter and date filters where dates apply."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from yam_agri_core.rules.roles import AUDITOR, PLATFORM_OWNER, QUALITY_MANAGER, SITE_OPERATOR, SYSTEM_MANAGER

APP = Path(__file__).resolve().parents[1] / "yam_agri_core"
EVERYONE = {SYSTEM_MANAGER, QUALITY_MANAGER, SITE_OPERATOR, PLATFORM_OWNER, AUDITOR}

#: name -> (module folder, module, ref_doctype, roles, has date filters)
REPORTS = {
	"Certificate Register": ("quality", "Quality", "Certificate", EVERYONE - {SITE_OPERATOR}, True),
	"Nonconformance Ageing": ("quality", "Quality", "Nonconformance", EVERYONE, True),
	"User Access Audit": ("quality", "Quality", "Site", {SYSTEM_MANAGER, QUALITY_MANAGER, AUDITOR}, False),
	"Quarantine Review": ("monitoring", "Monitoring", "Observation", EVERYONE, True),
	"Archived Readings": ("monitoring", "Monitoring", "Observation", EVERYONE, True),
	"Device Health": ("monitoring", "Monitoring", "Device", EVERYONE - {PLATFORM_OWNER}, False),
	"Scale Ticket Mismatches": ("traceability", "Traceability", "Scale Ticket", EVERYONE, True),
	"Lot Stock": ("traceability", "Traceability", "Lot", EVERYONE, False),
}


def folder(name: str) -> Path:
	module_folder = REPORTS[name][0]
	return APP / module_folder / "report" / name.lower().replace(" ", "_")


def meta(name: str) -> dict:
	return json.loads((folder(name) / f"{folder(name).name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", REPORTS)
def test_report_json(name):
	_folder, module, ref_doctype, roles, _dates = REPORTS[name]
	m = meta(name)
	assert m["name"] == m["report_name"] == name
	assert m["doctype"] == "Report" and m["report_type"] == "Script Report" and m["is_standard"] == "Yes"
	assert m["module"] == module and m["ref_doctype"] == ref_doctype
	assert {r["role"] for r in m["roles"]} == roles
	assert m["disabled"] == 0 and m["prepared_report"] == 0
	assert (folder(name) / "__init__.py").exists() and (folder(name).parent / "__init__.py").exists()


@pytest.mark.parametrize("name", REPORTS)
def test_execute_is_thin_and_reads_site_scoped(name):
	source = (folder(name) / f"{folder(name).name}.py").read_text(encoding="utf-8")
	tree = ast.parse(source)
	functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
	assert "execute" in functions
	execute = functions["execute"]
	assert execute.end_lineno - execute.lineno < 25
	assert "scope.readable_sites" in ast.unparse(execute), "every report reads only the user's sites"
	assert "frappe.db.sql" not in source and "frappe.db.commit" not in source
	for fn in functions.values():
		assert fn.end_lineno - fn.lineno <= 60, fn.name
	assert len(source.splitlines()) <= 400


SHARED_SCRIPT = APP / "public" / "js" / "yam_reports.js"


def report_script(name: str) -> str:
	"""The report's script, with the shared readings filters (yam_agri.reports.reading_filters) written out
	where it spreads them."""
	script = (folder(name) / f"{folder(name).name}.js").read_text(encoding="utf-8")
	if "...yam_agri.reports.reading_filters(" in script:
		shared = SHARED_SCRIPT.read_text(encoding="utf-8")
		body = shared[shared.index("yam_agri.reports.reading_filters = function") :]
		script += body[: body.index("\n};") + 3]
	return script


@pytest.mark.parametrize("name", REPORTS)
def test_filters(name):
	dates = REPORTS[name][4]
	script = report_script(name)
	assert f'frappe.query_reports["{name}"]' in script
	fields = re.findall(r'fieldname: "(\w+)"', script)
	assert re.search(r'fieldname: "site", label: __\("Site"\), fieldtype: "Link", options: "Site"', script)
	assert ("from_date" in fields and "to_date" in fields) == dates
	assert len(fields) == len(set(fields))
	# labels are translated
	assert len(re.findall(r"label: __\(", script)) >= len(fields)


def test_no_two_reports_share_a_name_with_a_doctype_folder():
	for name in REPORTS:
		assert not (APP / REPORTS[name][0] / "doctype" / folder(name).name).exists()
