"""Every Script / Query Report of the app: the page shows the rows the REST run gives that user."""

from __future__ import annotations

import datetime

import pytest
from browser_rest import RestError
from browser_support import cases, ids, shipped

REPORTS = [
	item
	for item in shipped("Report")
	if item.error or item.data.get("report_type") in ("Script Report", "Query Report")
]
REPORT_READY = (
	"name => window.frappe && frappe.query_report && frappe.query_report.report_name === name"
	" && frappe.query_report.filters && (!frappe.query_report.last_ajax"
	" || frappe.query_report.last_ajax.state() !== 'pending')"
)
FILTERS = """() => frappe.query_report.filters.map(f => ({
	fieldname: f.df.fieldname, fieldtype: f.df.fieldtype, options: f.df.options, reqd: !!f.df.reqd,
	value: f.get_value()}))"""


def _value_for(desk, spec: dict):
	kind, options = spec["fieldtype"], spec["options"]
	if kind == "Link" and options:
		for rest in (desk.persona.rest, desk.env.admin):
			try:
				names = rest.names(options)
			except RestError:
				names = []
			if names:
				return names[0]
	if kind == "Date":
		return datetime.date.today().isoformat()
	if kind == "Select" and options:
		return next((option for option in str(options).split("\n") if option), None)
	return None


def _fill_required(desk, name: str) -> None:
	missing = {
		spec["fieldname"]: _value_for(desk, spec)
		for spec in desk.js(FILTERS)
		if spec["reqd"] and spec["value"] in (None, "", [])
	}
	missing = {key: value for key, value in missing.items() if value is not None}
	if missing:
		desk.js("values => frappe.query_report.set_filter_value(values)", missing)
		desk.page.wait_for_timeout(800)
		desk.page.wait_for_function(REPORT_READY, arg=name)
		desk.wait_idle()


def _rows(raw: dict | None) -> list:
	if not raw:
		return []
	rows = list(raw.get("result") or [])
	if raw.get("add_total_row") and rows:
		rows = rows[:-1]
	return rows


@pytest.mark.parametrize("report", REPORTS, ids=ids(REPORTS))
@pytest.mark.parametrize("persona,lang", cases())
def test_report_shows_the_rows_the_database_holds_for_the_user(desk, report):
	assert not report.error, report.error
	name = report.name
	roles = {row.get("role") for row in report.data.get("roles") or []}
	if roles and not roles & desk.persona.roles:
		pytest.skip(f"{desk.persona.key} holds none of {name}'s roles {sorted(roles)}")
	mark = desk.route("query-report", name)
	desk.page.wait_for_function(REPORT_READY, arg=name)
	desk.wait_idle()
	_fill_required(desk, name)
	# Frappe's own "Please set filters" (a required filter empty, or a link the user may not see, so
	# cleared) is an uncaught throw of the string "Filter missing": the page shows the message, no rows
	desk.errors[mark:] = [error for error in desk.errors[mark:] if error != "pageerror: Filter missing"]
	filters = desk.js("() => frappe.query_report.get_filter_values(false)")
	page_rows = _rows(desk.js("() => frappe.query_report.raw_data || null"))
	rest_rows = _rows(desk.persona.rest.run_report(name, filters))
	assert len(page_rows) == len(rest_rows), (
		f"{name} page shows {len(page_rows)} rows, REST run gives {len(rest_rows)} (filters {filters})"
	)
	if page_rows:
		assert desk.page.locator(".dt-scrollable .dt-row").count() > 0, f"{name} has rows but draws none"
	sites = set(desk.persona.sites)
	foreign = {row.get("site") for row in rest_rows if isinstance(row, dict) and row.get("site")} - sites
	assert not foreign, f"{name} shows {desk.persona.key} rows of sites {sorted(foreign)}"
	if not sites:
		assert not page_rows, f"{name} shows {len(page_rows)} rows to a user with no site grant"
	desk.shot("Report", name)
	desk.assert_clean(mark, f"report {name}")
