"""Desk's front door and Arabic pages (issue 19, items 5 and 8), for every persona in English and Arabic:
each persona lands on YAM Agri, its sidebar shows no ERPNext workspace, the pages it opens hold no English
word in Arabic, the lot number shows on a phone, and the runbook's English names are found in Arabic Desk."""

from __future__ import annotations

import re

import pytest
from browser_support import PERSONAS, cases, shipped

HOME = "YAM Agri"

#: workspaces of ERPNext and Frappe a YAM persona has no use for (by their name: the sidebar's item-name)
FOREIGN_WORKSPACES = (
	"Home",
	"Accounting",
	"Payables",
	"Receivables",
	"Financial Reports",
	"Stock",
	"Assets",
	"Buying",
	"Selling",
	"CRM",
	"Manufacturing",
	"Projects",
	"Support",
	"Quality",
	"Website",
	"Build",
	"Tools",
	"ERPNext Settings",
	"ERPNext Integrations",
	"Integrations",
)

#: English words that must not appear on an Arabic page: values the app translates (metrics, crops,
#: certificate types, quarantine reasons, the lot's weighing notes) and Frappe words the app's ar.csv carries
UNTRANSLATED = (
	"Temperature",
	"Humidity",
	"Grain Moisture",
	"Wheat",
	"Sorghum",
	"Barley",
	"Phytosanitary",
	"Organic",
	"Quarantine",
	"is above the critical limit",
	"is below the critical limit",
	"the sensor looks stuck",
	"Weighed",
	"available quantity",
	"submitted",
	"Draft",
	"In Storage",
	"Received",
	"Storage Bin",
	"Nonconformance",
	"Certificate",
	"Scale Ticket",
	# the demo's site names (Desk shows their Arabic names)
	"Ta'iz Central Silo",
	"Bani Hushaysh Farm",
	"Hodeidah Port Store",
)

#: the pages each persona opens: (what, path, the report whose roles may open it)
PAGES = (
	("home", "/app/yam-agri", None),
	("lot list", "/app/lot", None),
	("observation list", "/app/observation", None),
	("certificate register", "/app/query-report/Certificate Register", "Certificate Register"),
	("quarantine review", "/app/query-report/Quarantine Review", "Quarantine Review"),
)
REPORT_ROLES = {
	item.name: {row.get("role") for row in item.data.get("roles") or []} for item in shipped("Report")
}
#: fields of free text the demo fills in English (a variety's name): left out of the word check
FREE_TEXT = ("variety", "notes", "vehicle", "driver", "issuing_body")

LOT_NUMBER = re.compile(r"LOT-\d{4}-\d{5}")


def _page_text(desk) -> str:
	"""The visible text of the current Desk page (not the hidden pages Frappe keeps in the DOM), without
	the values of free-text fields."""
	return desk.js(
		"""fields => {
			let text = [frappe.container.page, document.querySelector('.navbar')]
				.filter(Boolean).map(e => e.innerText).join('\\n');
			for (const name of fields) {
				const found = frappe.container.page.querySelectorAll(`[data-fieldname="${name}"] .control-value`);
				for (const e of found) {
					if (e.innerText.trim()) text = text.split(e.innerText.trim()).join(' ');
				}
			}
			return text;
		}""",
		list(FREE_TEXT),
	)


def _sidebar(desk) -> list[str]:
	desk.page.wait_for_selector(".standard-sidebar-item, .sidebar-item-container", timeout=30000)
	return desk.js(
		"() => [...document.querySelectorAll('.sidebar-item-container[item-name]')]"
		".filter(e => e.offsetParent !== null).map(e => e.getAttribute('item-name'))"
	)


def _english_words(text: str) -> list[str]:
	return [word for word in UNTRANSLATED if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]


@pytest.mark.parametrize("persona,lang", cases())
def test_login_lands_on_yam_agri(browser_env, desk, persona, lang):
	import requests

	answer = requests.post(
		f"{browser_env.url}/api/method/login",
		data={"usr": PERSONAS[persona], "pwd": browser_env.password},
		timeout=60,
	)
	assert answer.status_code == 200, answer.text
	assert answer.json().get("home_page") == "/app/yam-agri", f"{persona} lands on {answer.json()}"
	mark = desk.open("/app")
	desk.page.wait_for_url("**/app/yam-agri**", timeout=30000)
	desk.assert_clean(mark, "Desk's front door")


@pytest.mark.parametrize("persona,lang", cases())
def test_sidebar_shows_no_erpnext_workspace(desk, persona, lang):
	mark = desk.open("/app/yam-agri")
	shown = _sidebar(desk)
	assert HOME in shown, f"{persona} ({lang}) sidebar: {shown}"
	foreign = [name for name in shown if name in FOREIGN_WORKSPACES]
	assert not foreign, f"{persona} ({lang}) sees {foreign} in the sidebar"
	if persona in ("qa", "auditor"):
		for workspace in ("grain-quality", "yam-agri"):
			desk.open(f"/app/{workspace}")
			try:
				desk.page.wait_for_selector('a.link-item[href="/app/evidence-pack"]', timeout=30000)
			except Exception:
				pytest.fail(f"{persona} ({lang}): no Evidence Pack link on /app/{workspace}")
	desk.assert_clean(mark, "sidebar")


@pytest.mark.parametrize("persona,lang", cases())
def test_pages_hold_no_untranslated_words(desk, persona, lang):
	found: dict[str, list[str]] = {}
	for what, path, report in PAGES:
		if report and REPORT_ROLES.get(report) and not REPORT_ROLES[report] & desk.persona.roles:
			continue
		mark = desk.open(path)
		desk.wait_idle(1500)
		text = _page_text(desk)
		assert text.strip(), f"{what} shows nothing"
		if lang == "ar":
			words = _english_words(text)
			if words:
				found[what] = words
		desk.assert_clean(mark, what)
	if desk.persona.sites:
		lots = desk.persona.rest.names("Lot", limit=1, order_by="modified desc")
		if lots:
			mark = desk.open(f"/app/lot/{lots[0]}")
			desk.page.wait_for_selector(".timeline-items, .new-timeline", timeout=30000)
			desk.wait_idle(1500)
			if lang == "ar":
				words = _english_words(_page_text(desk))
				if words:
					found["lot form"] = words
			desk.assert_clean(mark, "lot form")
	if lang == "ar" and persona == "qa":
		desk.open("/app/yam-agri")
		desk.wait_idle(2000)
		desk.shot("Workspace", HOME, full_page=True)
	assert not found, f"{persona} ({lang}) sees English words: {found}"


@pytest.mark.parametrize("persona,lang", cases())
def test_lot_number_shows_on_a_phone(desk, persona, lang):
	if not desk.persona.sites:
		pytest.skip(f"{persona} has no site: no lot to list")
	desk.page.set_viewport_size({"width": 390, "height": 844})
	try:
		mark = desk.open("/app/lot")
		desk.page.wait_for_selector(".list-row-container, .no-result", timeout=30000)
		titles = desk.js(
			"() => [...document.querySelectorAll('.list-row-container .list-subject a')]"
			".filter(a => a.offsetParent !== null).map(a => a.innerText.trim())"
		)
		assert titles, f"{persona} ({lang}) sees no lot on a phone"
		assert all(LOT_NUMBER.search(title) for title in titles), f"lot list on a phone: {titles}"
		lot = desk.persona.rest.names("Lot", limit=1)[0]
		desk.open(f"/app/lot/{lot}")
		title = desk.js("() => (frappe.container.page.querySelector('.title-text') || {}).innerText || ''")
		assert LOT_NUMBER.search(title), f"lot form title on a phone: {title!r}"
		desk.assert_clean(mark, "lot on a phone")
	finally:
		desk.page.set_viewport_size({"width": 1400, "height": 1000})


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_runbook_names_are_found_in_both_languages(browser_env, lang):
	"""Runbook §4.1 in Arabic Desk: the admin types the English names (Site, YAM Silo Operator) or the
	Arabic ones, and finds them."""
	admin = browser_env.admin

	def search(doctype: str, txt: str) -> list[str]:
		rows = admin.call("frappe.desk.search.search_link", doctype=doctype, txt=txt, _lang=lang) or []
		return [row["value"] for row in rows]

	assert "Site" in search("DocType", "Site")
	assert "Storage Bin" in search("DocType", "Storage Bin")
	assert "YAM Silo Operator" in search("Role Profile", "Silo")
	assert "YAM QA Manager" in search("Role Profile", "QA")
	if lang == "ar":
		assert "Site" in search("DocType", "موقع")
		assert "YAM Silo Operator" in search("Role Profile", "صومعة")


def test_admin_first_login_opens_yam_agri_not_a_setup_wizard(browser_env):
	"""A site made by create-site (install-app runs ERPNext's setup with Yemen's defaults): the admin's first
	login opens YAM Agri."""
	import requests

	session = requests.Session()
	answer = session.post(
		f"{browser_env.url}/api/method/login",
		data={"usr": "Administrator", "pwd": browser_env.admin_password},
		timeout=60,
	)
	assert answer.status_code == 200, answer.text
	assert answer.json().get("home_page") == "/app/yam-agri", answer.json()
	settings = session.get(
		f"{browser_env.url}/api/resource/System Settings/System Settings", timeout=60
	).json()
	assert settings["data"]["setup_complete"] == 1
	assert settings["data"]["time_zone"], "no time zone"
