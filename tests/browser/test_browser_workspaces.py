"""Every Workspace of the app: its number cards show what the database holds for the user's sites,
its charts draw, and nothing raises."""

from __future__ import annotations

import json

import pytest
from browser_support import (
	aggregate,
	card_filters,
	card_json,
	cases,
	chart_json,
	ids,
	parse_shown_number,
	shipped,
	site_field,
	slug,
	workspace_widgets,
)

WORKSPACES = shipped("Workspace")
CARD_DONE = (
	'label => { const w = document.querySelector(`[number_card_name="${CSS.escape(label)}"]`);'
	" return !!w && !!w.querySelector('.number, .widget-content') && !w.querySelector('.number-card-loading'); }"
)
CHART_DONE = (
	'label => { const w = document.querySelector(`[chart_name="${CSS.escape(label)}"]`);'
	" return !!w && (!!w.querySelector('svg') || [...w.querySelectorAll('.chart-loading-state')]"
	".some(e => e.offsetParent !== null && e.textContent.trim() !== __('Loading...'))); }"
)


def _dynamic_filters(desk, card: dict) -> list:
	raw = card.get("dynamic_filters_json") or "[]"
	rows = json.loads(raw) if isinstance(raw, str) else raw
	out = []
	for row in rows or []:
		value = desk.js("expression => eval(expression)", row[3])
		out.append([row[0], row[1], row[2], value])
	return out


def _expected(desk, card: dict) -> tuple[float, float]:
	"""(value over REST as the persona, value the persona's sites hold read as Administrator)."""
	doctype = card["document_type"]
	function = card.get("function") or "Count"
	field = card.get("aggregate_function_based_on")
	filters = card_filters(card) + _dynamic_filters(desk, card)
	rest = desk.persona.rest
	if function == "Count":
		as_user = float(rest.count(doctype, filters))
	else:
		as_user = aggregate(function, rest.values(doctype, field, filters))
	where = site_field(doctype)
	if not where:
		return as_user, as_user
	sites = desk.persona.sites
	if not sites:
		return as_user, 0.0
	scoped = [*filters, [doctype, where, "in", sites]]
	admin = desk.env.admin
	held = (
		float(admin.count(doctype, scoped))
		if function == "Count"
		else aggregate(function, admin.values(doctype, field, scoped))
	)
	return as_user, held


def _same_as_shown(desk, card: dict, shown_text: str, value: float) -> bool:
	shown = parse_shown_number(shown_text)
	if shown is None:
		return False
	if card.get("show_full_number"):
		want_text = str(value)
	else:
		want_text = desk.js("n => frappe.utils.shorten_number(n, frappe.sys_defaults.country, 5)", value)
	want = parse_shown_number(want_text)
	decimals = len(shown_text.split(".")[1].split()[0]) if "." in shown_text.split()[0] else 0
	return abs(shown - want) <= 0.5 * 10**-decimals + 1e-9


def _check_card(desk, label: str, card_name: str, problems: list) -> None:
	desk.page.wait_for_function(CARD_DONE, arg=label, timeout=30000)
	widget = desk.page.locator(f'[number_card_name="{label}"]').first
	text = widget.locator(".number").first.inner_text() if widget.locator(".number").count() else ""
	card = card_json(card_name)
	if card is None or card.get("type") != "Document Type":
		# a Custom / Report card: its number comes from the card's own method; it must show a number,
		# and 0 to a user with no grant
		if parse_shown_number(text) is None:
			problems.append(f"card {card_name!r} shows no number: {text!r}")
		elif not desk.persona.sites and parse_shown_number(text) != 0:
			problems.append(f"card {card_name!r} shows {text!r} to a user with no site grant")
		return
	as_user, held = _expected(desk, card)
	if as_user != held:
		problems.append(
			f"card {card_name!r}: REST as {desk.persona.key} gives {as_user}, its sites hold {held}"
		)
	if not _same_as_shown(desk, card, text, held):
		problems.append(
			f"card {card_name!r} shows {text!r}, the database holds {held} for {desk.persona.sites}"
		)


def _check_chart(desk, label: str, chart_name: str, problems: list) -> None:
	try:
		desk.page.wait_for_function(CHART_DONE, arg=label, timeout=30000)
	except Exception:
		problems.append(f"chart {chart_name!r} neither drew nor said No Data")
		return
	chart = chart_json(chart_name) or {}
	drawn = desk.page.locator(f'[chart_name="{label}"] svg').count() > 0
	doctype = chart.get("document_type")
	if drawn or not doctype or chart.get("chart_type") not in ("Count", "Sum", "Average", "Group By"):
		return
	where = site_field(doctype)
	filters = card_filters({"filters_json": chart.get("filters_json"), "document_type": doctype})
	if where and desk.persona.sites:
		filters.append([doctype, where, "in", desk.persona.sites])
	if desk.persona.sites and desk.env.admin.count(doctype, filters):
		problems.append(
			f"chart {chart_name!r} says No Data while {doctype} has records of {desk.persona.sites}"
		)


@pytest.mark.parametrize("workspace", WORKSPACES, ids=ids(WORKSPACES))
@pytest.mark.parametrize("persona,lang", cases())
def test_workspace_shows_the_users_numbers_and_charts(desk, workspace):
	assert not workspace.error, workspace.error
	roles = {row.get("role") for row in workspace.data.get("roles") or []}
	if roles and not roles & desk.persona.roles:
		pytest.skip(f"{desk.persona.key} holds none of workspace {workspace.name}'s roles")
	mark = desk.open(f"/app/{slug(workspace.name)}")
	desk.page.wait_for_selector(".codex-editor, .workspace-container, .layout-main-section", timeout=30000)
	desk.wait_idle(1000)
	problems: list[str] = []
	for label, card_name in workspace_widgets(workspace.data, "number_cards", "number_card_name"):
		_check_card(desk, label, card_name, problems)
	for label, chart_name in workspace_widgets(workspace.data, "charts", "chart_name"):
		_check_chart(desk, label, chart_name, problems)
	desk.wait_idle()
	desk.shot("Workspace", workspace.name, full_page=True)
	assert not problems, f"workspace {workspace.name} ({desk.persona.key}, {desk.lang}): " + "; ".join(
		problems
	)
	desk.assert_clean(mark, f"workspace {workspace.name}")
