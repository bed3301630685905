"""What five personas met in Desk (issue 19), checked in headless Chromium for each persona and language:

- the home's number cards all leave "Loading..." on every one of several loads, with no page error and no
  console error (frappe-charts' SVG errors included) on any of them, also when the user leaves the home
  before its charts are drawn and when the network cuts a card's request (it is asked again);
- Grain on Hand is whole kilograms shown in full (never "57.200 K" / "K 57.200");
- the Lot's Connections labels are in the reader's language, whoever opened a Lot before;
- a reader (the auditor) is offered no Set Status on a Lot;
- a user granted one site starts a new Scale Ticket at that site and its only scale, and a new Scale
  Ticket Import at that site;
- a Sent evidence pack's Sent To is read only, and Mark Sent asks to whom.

YAM_BROWSER_HOME_LOADS (default 5) sets how many times the home is loaded per persona and language.
"""

from __future__ import annotations

import csv
import os
import re

import pytest
from browser_support import APP, cases, parse_shown_number

HOME = "/app/yam-agri"
HOME_LOADS = int(os.environ.get("YAM_BROWSER_HOME_LOADS") or 5)
CARDS_DONE = (
	"() => { const cards = [...document.querySelectorAll('.widget.number-widget-box')];"
	" return cards.length > 0 && cards.every(w => !w.querySelector('.number-card-loading')"
	" && !!w.querySelector('.number')); }"
)
CARDS_LOADING = (
	"() => [...document.querySelectorAll('.widget.number-widget-box')]"
	".filter(w => w.querySelector('.number-card-loading') || !w.querySelector('.number'))"
	".map(w => w.getAttribute('number_card_name') || w.innerText.trim().slice(0, 40))"
)
#: the Lot's Connections groups (traceability/doctype/lot/lot_dashboard.py)
LOT_GROUPS = ("Quality", "Weighing", "Monitoring", "Transfers out of this lot")


def arabic() -> dict[str, str]:
	with (APP / "translations" / "ar.csv").open(newline="", encoding="utf-8") as fh:
		return {row[0]: row[1] for row in csv.reader(fh) if row}


def in_reader_language(desk, english: str) -> str:
	return arabic()[english] if desk.lang == "ar" else english


def only_site(desk) -> str | None:
	return desk.persona.sites[0] if len(desk.persona.sites) == 1 else None


@pytest.mark.parametrize("persona,lang", cases())
def test_the_home_cards_always_finish_loading_without_errors(desk):
	if not desk.persona.sites:
		pytest.skip(f"{desk.persona.key} has no site: the home is not theirs")
	problems = []
	for load in range(1, HOME_LOADS + 1):
		mark = desk.open(HOME)
		try:
			desk.page.wait_for_function(CARDS_DONE, timeout=30000)
		except Exception:
			problems.append(f"load {load}: cards still loading: {desk.js(CARDS_LOADING)}")
		desk.page.wait_for_timeout(1500)  # charts draw after the cards; their SVG errors come late
		desk.wait_idle()
		errors = desk.errors[mark:]
		if errors:
			problems.append(f"load {load}: {len(errors)} errors, first: {errors[0][:300]}")
	print(f"\n{desk.persona.key}-{desk.lang}: {HOME_LOADS} home loads, problems: {len(problems)}")
	assert not problems, f"home ({desk.persona.key}, {desk.lang}): " + " | ".join(problems)


@pytest.mark.parametrize("persona,lang", cases())
def test_grain_on_hand_is_whole_kilograms_in_full(desk):
	if not desk.persona.sites:
		pytest.skip(f"{desk.persona.key} has no site")
	mark = desk.open(HOME)
	desk.page.wait_for_function(CARDS_DONE, timeout=30000)
	widget = desk.page.locator('[number_card_name="Grain on Hand (kg)"] .number').first
	text = widget.inner_text().strip()
	assert not re.search(r"[KMBk]\b|\bK", text), f"Grain on Hand reads {text!r}"
	if round(abs(parse_shown_number(text) or 0)) >= 1000:
		assert re.search(r"\d[,٬.]\d{3}\b", text), f"Grain on Hand reads {text!r}: thousands not grouped"
	held = sum(
		float(v or 0)
		for v in desk.env.admin.values(
			"Lot",
			"available_qty_kg",
			[["Lot", "status", "not in", ["Shipped", "Rejected"]], ["Lot", "site", "in", desk.persona.sites]],
		)
	)
	assert parse_shown_number(text) == round(held), f"Grain on Hand reads {text!r}, the lots hold {held} kg"
	desk.assert_clean(mark, "Grain on Hand")


def _a_lot(desk) -> str:
	names = desk.persona.rest.names("Lot")
	if not names:
		pytest.skip(f"{desk.persona.key} may read no lot")
	return names[0]


@pytest.mark.parametrize("persona,lang", cases())
def test_lot_connections_are_in_the_readers_language(desk):
	if not desk.persona.sites:
		pytest.skip(f"{desk.persona.key} has no site")
	lot = _a_lot(desk)
	mark = desk.route("Form", "Lot", lot)
	desk.page.wait_for_function(
		"name => window.cur_frm && cur_frm.doctype === 'Lot' && cur_frm.doc.name === name", arg=lot
	)
	desk.wait_idle()
	shown = desk.js(
		"() => [...document.querySelectorAll('.form-documents .form-link-title')]"
		".map(e => e.textContent.trim())"
	)
	assert shown, "the Lot shows no Connections"
	wanted = {in_reader_language(desk, group) for group in LOT_GROUPS}
	assert set(shown) <= wanted, f"Connections of {lot} read {shown}, the reader's language gives {wanted}"
	desk.assert_clean(mark, "Lot Connections")


@pytest.mark.parametrize("persona,lang", cases())
def test_set_status_is_offered_only_to_those_who_may_change_a_lot(desk):
	if not desk.persona.sites:
		pytest.skip(f"{desk.persona.key} has no site")
	lot = _a_lot(desk)
	mark = desk.route("Form", "Lot", lot)
	desk.page.wait_for_function(
		"name => window.cur_frm && cur_frm.doctype === 'Lot' && cur_frm.doc.name === name", arg=lot
	)
	desk.wait_idle()
	can_write, offered = desk.js(
		"label => [!!(cur_frm.perm[0] && cur_frm.perm[0].write),"
		' !!cur_frm.page.inner_toolbar.find(`[data-label="${encodeURIComponent(label)}"]`).length]',
		in_reader_language(desk, "Set Status"),
	)
	if not can_write:
		assert not offered, f"{desk.persona.key} may not change lot {lot} but is offered Set Status"
	desk.assert_clean(mark, "Lot Set Status")


@pytest.mark.parametrize("persona,lang", cases())
def test_a_one_site_user_starts_a_ticket_and_an_import_at_their_site_and_scale(desk):
	site = only_site(desk)
	if not site or not desk.js("() => frappe.model.can_create('Scale Ticket')"):
		pytest.skip(f"{desk.persona.key} is not a one-site user who weighs trucks")
	mark = len(desk.errors)
	desk.js("() => frappe.new_doc('Scale Ticket')")
	desk.page.wait_for_function(
		"() => window.cur_frm && cur_frm.doctype === 'Scale Ticket' && cur_frm.is_new()"
	)
	desk.page.wait_for_function("site => cur_frm.doc.site === site", arg=site, timeout=15000)
	scales = desk.persona.rest.names(
		"Device",
		[
			["Device", "site", "=", site],
			["Device", "device_type", "=", "Scale"],
			["Device", "is_active", "=", 1],
		],
		2,
	)
	if len(scales) == 1:
		desk.page.wait_for_function("scale => cur_frm.doc.device === scale", arg=scales[0], timeout=15000)
	desk.js("() => frappe.new_doc('Scale Ticket Import')")
	desk.page.wait_for_function(
		"() => window.cur_frm && cur_frm.doctype === 'Scale Ticket Import' && cur_frm.is_new()"
	)
	desk.page.wait_for_function("site => cur_frm.doc.site === site", arg=site, timeout=15000)
	desk.assert_clean(mark, "new Scale Ticket and Scale Ticket Import")


@pytest.mark.parametrize("persona,lang", cases())
def test_a_sent_evidence_packs_sent_to_is_read_only(desk):
	if not desk.js("() => (frappe.boot.user.can_read || []).includes('Evidence Pack')"):
		pytest.skip(f"{desk.persona.key} may not read evidence packs")
	sent = desk.persona.rest.names("Evidence Pack", [["Evidence Pack", "status", "=", "Sent"]])
	if not sent:
		pytest.skip("no Sent evidence pack on the site")
	mark = desk.route("Form", "Evidence Pack", sent[0])
	desk.page.wait_for_function(
		"name => window.cur_frm && cur_frm.doctype === 'Evidence Pack' && cur_frm.doc.name === name",
		arg=sent[0],
	)
	desk.wait_idle()
	editable = desk.js("() => cur_frm.get_field('sent_to').get_status() === 'Write'")
	assert not editable, f"Sent To of sent pack {sent[0]} is editable"
	desk.assert_clean(mark, "sent evidence pack")


@pytest.mark.parametrize("persona,lang", cases())
def test_leaving_the_home_before_its_charts_are_drawn_raises_no_svg_errors(desk):
	if not desk.persona.sites:
		pytest.skip(f"{desk.persona.key} has no site")
	mark = desk.open(HOME)
	for _ in range(3):  # away at once, while the charts' data are on their way, and back
		desk.js("() => { frappe.set_route('List', 'Lot'); }")
		desk.page.wait_for_timeout(1500)
		desk.js("() => { frappe.set_route('yam-agri'); }")
		desk.page.wait_for_function(CARDS_DONE, timeout=30000)
		desk.wait_idle()
	drawn = desk.js("() => document.querySelectorAll('.widget.dashboard-widget-box .frappe-chart').length")
	assert drawn, "the home's charts are drawn once it is shown again"
	assert not [e for e in desk.errors[mark:] if "NaN" in e or "negative value" in e], desk.errors[mark:][:3]
	desk.assert_clean(mark, "home left and shown again")


@pytest.mark.parametrize("persona,lang", cases())
def test_a_card_request_cut_by_the_network_is_asked_again(desk):
	if not desk.persona.sites:
		pytest.skip(f"{desk.persona.key} has no site")
	cut = {"count": 0}

	def cut_first(route):
		if cut["count"] < 3:
			cut["count"] += 1
			route.abort("internetdisconnected")
		else:
			route.continue_()

	pattern = "**/api/method/frappe.desk.doctype.number_card.number_card.get_result"
	desk.page.route(pattern, cut_first)
	try:
		mark = desk.open(HOME)
		desk.page.wait_for_function(CARDS_DONE, timeout=30000)
		desk.wait_idle(1500)
	finally:
		desk.page.unroute(pattern)
	assert cut["count"] == 3, "the test cut three card requests"
	errors = [e for e in desk.errors[mark:] if "ERR_INTERNET_DISCONNECTED" not in e]
	assert not errors, f"a cut card request raised: {errors[:3]}"
