"""The field page (/field) on a phone: captured offline, kept across a reload, sent once when online.

Playwright with Debian's Chromium, a 390x844 phone with its geolocation granted and mocked, in English
and Arabic, as the demo's farm supervisor (granted one farm) and as the desk user with no grant. Run by
tests/browser/serve_and_run.sh (the site prepared by yam_agri_core.tests.browser_setup.prepare).
"""

from __future__ import annotations

import os
import re
import struct
import time
import zlib

import pytest
from browser_desk import CHROMIUM_ARGS
from browser_support import LANGS, PERSONAS, is_app_error, wanted

FARM_USER = "farm.sanaa@yam-demo.example"
FARM_SITE = "YEM-SAN-FARM-01"
OTHER_SITE = "YEM-TAI-SILO-01"
PHONE = {"width": 390, "height": 844}
GPS = {"latitude": 15.3694, "longitude": 44.191, "accuracy": 12}
TIMEOUT = 60_000
#: the steps whose screenshots the README shows (docs/screenshots/field-NAME-LANG.png)
README_SHOTS = ("lot", "outbox-offline", "refused", "desk-lot")
#: a farmer the demo data does not have: found offline in the page's cached supplier list
SUPPLIER = "Saleh Al-Hamdani Farm"


def png(width: int, height: int, seed: int) -> bytes:
	"""A striped RGB PNG, larger than the 1280 px the phone shrinks photos to."""
	row = bytes((x * 7 + seed * 40) % 256 for x in range(width) for _ in range(3))
	raw = b"".join(b"\x00" + row for _ in range(height))

	def chunk(kind: bytes, data: bytes) -> bytes:
		return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

	header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
	return (
		b"\x89PNG\r\n\x1a\n"
		+ chunk(b"IHDR", header)
		+ chunk(b"IDAT", zlib.compress(raw, 9))
		+ chunk(b"IEND", b"")
	)


def jpeg_size(data: bytes) -> tuple[int, int]:
	"""(width, height) from a JPEG's start-of-frame marker."""
	i = 2
	while i < len(data):
		marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
		if marker in (0xC0, 0xC1, 0xC2):
			height, width = struct.unpack(">HH", data[i + 5 : i + 9])
			return width, height
		i += 2 + length
	raise AssertionError("no JPEG frame")


class Phone:
	"""One phone (a browser context) logged in to /field through the page's own login form."""

	def __init__(self, browser, env, user: str, lang: str):
		self.env, self.user, self.lang = env, user, lang
		self.errors: list[str] = []
		self.dialogs: list[str] = []
		self.context = browser.new_context(
			viewport=PHONE,
			device_scale_factor=2,
			is_mobile=True,
			has_touch=True,
			geolocation=GPS,
			permissions=["geolocation"],
			locale="ar" if lang == "ar" else "en-US",
			service_workers="allow",
		)
		self.page = self.context.new_page()
		self.page.set_default_timeout(TIMEOUT)
		self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
		self.page.on("console", self._console)
		self.page.on("dialog", self._dialog)

	def _console(self, message) -> None:
		# offline on purpose: the failed fetches of an offline phone are not errors of the page
		offline = "ERR_INTERNET_DISCONNECTED" in message.text or "Failed to fetch" in message.text
		if is_app_error(message) and not offline:
			where = (message.location or {}).get("url", "")
			self.errors.append(f"console: {message.text} {where}".strip())

	def _dialog(self, dialog) -> None:
		self.dialogs.append(dialog.message)
		dialog.dismiss()

	def login(self) -> None:
		self.page.goto(f"{self.env.url}/field")
		self.page.fill("#login-form input[name=usr]", self.user)
		self.page.fill("#login-form input[name=pwd]", self.env.password)
		self.page.click("#login-form button[type=submit]")
		self.page.wait_for_selector("nav.tabs")
		self.page.wait_for_function("navigator.serviceWorker.controller !== null")

	def state(self) -> list[dict]:
		return self.page.evaluate(
			"() => window.yamField.state.outbox.map(i => ({key: i.key, kind: i.kind, state: i.state,"
			" name: i.name || null, message: i.message || '', photos: (i.photos || []).length}))"
		)

	def wait_states(self, expected: dict[str, str]) -> list[dict]:
		deadline = time.monotonic() + TIMEOUT / 1000
		while True:
			items = self.state()
			states = {i["key"]: i["state"] for i in items}
			if all(states.get(key) == want for key, want in expected.items()):
				return items
			if time.monotonic() > deadline:
				raise AssertionError(f"outbox states {states}, expected {expected}")
			self.page.wait_for_timeout(300)

	def tab(self, view: str) -> None:
		self.page.click(f'.tab[data-view="{view}"]')

	def capture_lot(
		self,
		qty: int,
		season: str,
		photos: int,
		variety: str = "Bayadi",
		shot: str | None = None,
		supplier: str | None = None,
	) -> str:
		self.tab("lot")
		form = self.page.locator("#lot-form")
		form.locator("select[name=site]").select_option(FARM_SITE)
		form.locator("select[name=crop]").select_option("Wheat")
		form.locator("input[name=variety]").fill(variety)
		form.locator("input[name=season]").fill(season)
		form.locator("input[name=declared_qty_kg]").fill(str(qty))
		form.locator("textarea[name=notes]").fill(f"field test {qty}")
		if supplier:
			self.page.fill("#supplier", supplier.split()[1][:5])
			self.page.click(f'#supplier-list button[data-value="{supplier}"]')
			assert self.page.input_value("#supplier") == supplier
		for index in range(photos):
			self.page.set_input_files(
				"#photo-input",
				files=[{"name": f"p{index}.png", "mimeType": "image/png", "buffer": png(2000, 1500, index)}],
			)
			self.page.wait_for_function(f"document.querySelectorAll('.photos figure').length === {index + 1}")
		self.page.wait_for_function("/\\d/.test(document.querySelector('#gps-text').textContent)")
		if shot:
			self.shot(shot, full_page=True)
		before = {i["key"] for i in self.state()}
		self.page.click("#save-lot")
		self.page.wait_for_function(f"window.yamField.state.outbox.length === {len(before) + 1}")
		return next(i["key"] for i in self.state() if i["key"] not in before)

	def capture_moisture(self, lot_key: str, value: float, shot: str | None = None) -> str:
		self.tab("moisture")
		form = self.page.locator("#moisture-form")
		form.locator("select[name=lot]").select_option(f"key:{lot_key}")
		form.locator("input[name=value]").fill(str(value))
		form.locator("input[name=instrument]").fill("Wile 55")
		if shot:
			self.shot(shot)
		before = {i["key"] for i in self.state()}
		self.page.click("#save-moisture")
		self.page.wait_for_function(f"window.yamField.state.outbox.length === {len(before) + 1}")
		return next(i["key"] for i in self.state() if i["key"] not in before)

	def shot(self, name: str, full_page: bool = False) -> None:
		folder = self.env.readme_dir if self.env.readme_dir and name in README_SHOTS else self.env.shot_dir
		folder.mkdir(parents=True, exist_ok=True)
		self.page.screenshot(path=str(folder / f"field-{name}-{self.lang}.png"), full_page=full_page)

	def close(self) -> None:
		self.context.close()


@pytest.fixture(scope="module")
def chromium():
	from playwright.sync_api import sync_playwright

	with sync_playwright() as playwright:
		browser = playwright.chromium.launch(
			executable_path=os.environ.get("YAM_BROWSER_CHROMIUM") or "/usr/bin/chromium", args=CHROMIUM_ARGS
		)
		yield browser
		browser.close()


@pytest.fixture(scope="module")
def farm_user(browser_env):
	"""The demo's farm supervisor with the suite's password; its language is restored afterwards."""
	admin = browser_env.admin
	_roles, sites, language = admin.user_info(FARM_USER)
	assert sites == [FARM_SITE], sites
	if not admin.names("Supplier", [["name", "=", SUPPLIER]]):
		answer = admin.session.post(
			f"{browser_env.url}/api/resource/Supplier", json={"supplier_name": SUPPLIER}, timeout=60
		)
		assert answer.status_code == 200, answer.text
	answer = admin.session.put(
		f"{browser_env.url}/api/resource/User/{FARM_USER}", json={"new_password": browser_env.password}
	)
	assert answer.status_code == 200, answer.text
	yield FARM_USER
	admin.set_language(FARM_USER, language)


def lot_of_key(admin, key: str) -> list[dict]:
	return admin.call(
		"frappe.client.get_list",
		doctype="Lot",
		fields=["name", "site", "supplier", "gps_latitude", "gps_longitude", "gps_accuracy_m", "location"],
		filters={"capture_key": key},
		limit_page_length=0,
	)


def files_of(admin, lot: str) -> list[dict]:
	return admin.call(
		"frappe.client.get_list",
		doctype="File",
		fields=["file_url", "is_private", "file_name"],
		filters={"attached_to_doctype": "Lot", "attached_to_name": lot},
		limit_page_length=0,
	)


@pytest.mark.parametrize("lang", wanted("YAM_BROWSER_LANGS", LANGS))
def test_field_capture_offline_then_sent_once(chromium, browser_env, farm_user, lang):
	admin = browser_env.admin
	admin.set_language(farm_user, lang)
	phone = Phone(chromium, browser_env, farm_user, lang)
	try:
		phone.login()
		page = phone.page
		assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
		# installable: a valid manifest and a service worker (Playwright's contexts are incognito)
		cdp = phone.context.new_cdp_session(page)
		assert cdp.send("Page.getAppManifest").get("errors") == []
		errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
		assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []
		# only the granted farm can be chosen
		sites = page.eval_on_selector_all("#lot-form select[name=site] option", "o => o.map(x => x.value)")
		assert [s for s in sites if s] == [FARM_SITE]

		# offline: two lots (with photos) and a moisture reading of the first
		phone.context.set_offline(True)
		page.wait_for_selector("#net.off")
		first = phone.capture_lot(1500, "2026-Spring", photos=2, shot="lot", supplier=SUPPLIER)
		second = phone.capture_lot(800, "2026-Spring", photos=1, variety="Hamra")
		reading = phone.capture_moisture(first, 12.5, shot="moisture")
		phone.tab("outbox")
		assert {i["key"]: i["state"] for i in phone.state()} == {
			first: "waiting",
			second: "waiting",
			reading: "waiting",
		}

		# reload offline: the shell comes from the service worker, the outbox from IndexedDB
		page.reload()
		page.wait_for_selector("nav.tabs")
		items = phone.wait_states({first: "waiting", second: "waiting", reading: "waiting"})
		assert {i["key"]: i["photos"] for i in items if i["kind"] == "lot"} == {first: 2, second: 1}
		phone.tab("outbox")
		assert page.locator(".outbox .item.waiting").count() == 3
		phone.shot("outbox-offline")

		# the link returns: sent by itself, each stored once with GPS and photos
		phone.context.set_offline(False)
		items = phone.wait_states({first: "sent", second: "sent", reading: "sent"})
		names = {i["key"]: i["name"] for i in items}
		for key, photos in ((first, 2), (second, 1)):
			rows = lot_of_key(admin, key)
			assert len(rows) == 1, rows
			lot = rows[0]
			assert (lot["name"], lot["site"]) == (names[key], FARM_SITE)
			assert lot["supplier"] == (SUPPLIER if key == first else None)
			assert abs(lot["gps_latitude"] - GPS["latitude"]) < 1e-6
			assert abs(lot["gps_longitude"] - GPS["longitude"]) < 1e-6
			assert lot["gps_accuracy_m"] == GPS["accuracy"] and '"point_type": "circle"' in lot["location"]
			files = files_of(admin, lot["name"])
			assert len(files) == photos and all(f["is_private"] for f in files)
			image = admin.get(files[0]["file_url"]).content
			assert image[:3] == b"\xff\xd8\xff" and max(jpeg_size(image)) == 1280
		test = admin.call("frappe.client.get", doctype="QC Test", name=names[reading])
		assert (test["lot"], test["test_type"], test["value"], test["instrument"]) == (
			names[first],
			"Moisture",
			12.5,
			"Wile 55",
		)
		phone.tab("outbox")
		phone.shot("outbox-sent")

		# the lot's form in Desk draws the phone's position and its accuracy circle
		page.goto(f"{browser_env.url}/app/lot/{names[first]}")
		circle = '[data-fieldname="location"] .leaflet-container path.leaflet-interactive'
		page.wait_for_selector(circle, state="attached")
		page.click('[data-fieldname="section_field_capture"] .section-head')  # a collapsed section
		page.wait_for_selector(circle)
		page.locator('[data-fieldname="section_field_capture"]').scroll_into_view_if_needed()
		phone.shot("desk-lot")
		page.goto(f"{browser_env.url}/field")
		page.wait_for_selector("nav.tabs")

		# a send whose answer was lost is repeated with the same keys: nothing doubled
		page.evaluate(
			"""async () => {
				for (const item of window.yamField.state.outbox) {
					item.state = "waiting"; await window.yamField.idb.put(item);
				}
				await window.yamField.refresh();
				await window.yamField.sendNow();
			}"""
		)
		items = phone.wait_states({first: "sent", second: "sent", reading: "sent"})
		assert {i["key"]: i["name"] for i in items} == names
		for key in (first, second):
			assert len(lot_of_key(admin, key)) == 1
		assert admin.count("QC Test", [["capture_key", "=", reading]]) == 1

		# a season in the wrong form: refused with the server's reason, kept for correction
		wrong = phone.capture_lot(600, "Spring 2026", photos=0)
		items = phone.wait_states({wrong: "refused"})
		reason = next(i["message"] for i in items if i["key"] == wrong)
		assert "2026-Spring" in reason
		if lang == "ar":
			assert re.search("[\u0600-\u06ff]", reason), reason
		phone.tab("outbox")
		shown = page.locator(".outbox .item.refused .reason").first.inner_text()
		isolates = "[\u2066-\u2069]"  # Latin runs isolated in Arabic (by the page, or the server)
		assert re.sub(isolates, "", shown).strip() == re.sub(isolates, "", reason).strip()
		phone.shot("refused")
		page.reload()
		page.wait_for_selector("nav.tabs")
		phone.wait_states({wrong: "refused"})
		assert lot_of_key(admin, wrong) == []

		# logging out with an unsent item warns first (dismissed: still logged in)
		page.click("#logout")
		assert phone.dialogs and "1" in phone.dialogs[-1]
		assert page.locator("nav.tabs").count() == 1
		# and so does Desk's Log out on this device
		page.goto(f"{browser_env.url}/app")
		page.wait_for_function("!!(window.frappe && frappe.app && frappe.session && frappe.session.user)")
		page.evaluate("frappe.app.logout()")
		page.wait_for_selector(".modal.show .modal-body")
		assert "1" in page.locator(".modal.show .modal-body").inner_text()
		page.goto(f"{browser_env.url}/field")
		page.wait_for_selector("nav.tabs")

		# corrected on the phone and sent with the same key
		phone.tab("outbox")
		page.click(".outbox .item.refused .correct")
		page.fill("#lot-form input[name=season]", "2026-Spring")
		page.click("#save-lot")
		phone.wait_states({wrong: "sent"})
		assert len(lot_of_key(admin, wrong)) == 1

		# a forged request for a site not granted is refused by the server
		forged = page.evaluate(
			"""async (site) => {
				const response = await fetch("/api/method/yam_agri_core.field.api.submit_captures", {
					method: "POST", credentials: "same-origin",
					headers: {"Content-Type": "application/json", Accept: "application/json",
						"X-Frappe-CSRF-Token": window.yamField.state.boot.csrf_token},
					body: JSON.stringify({items: [{key: "f-forged-" + Date.now() + "-0000000000", kind: "lot",
						data: {site, crop: "Wheat", season: "2026-Spring", declared_qty_kg: 10}}]}),
				});
				return (await response.json()).message.results[0];
			}""",
			OTHER_SITE,
		)
		assert forged["status"] == "refused" and OTHER_SITE in forged["message"], forged
		assert not phone.errors, phone.errors
	finally:
		phone.close()


@pytest.mark.parametrize("lang", wanted("YAM_BROWSER_LANGS", LANGS))
def test_user_without_a_grant_can_neither_choose_nor_send_a_site(chromium, browser_env, lang):
	user = PERSONAS["nogrant"]
	admin = browser_env.admin
	_roles, _sites, language = admin.user_info(user)
	admin.set_language(user, lang)
	phone = Phone(chromium, browser_env, user, lang)
	try:
		phone.login()
		page = phone.page
		sites = page.eval_on_selector_all("#lot-form select[name=site] option", "o => o.map(x => x.value)")
		assert [s for s in sites if s] == []
		assert page.locator("#lot-form .error").count() == 1
		result = page.evaluate(
			"""async (site) => {
				const response = await fetch("/api/method/yam_agri_core.field.api.submit_captures", {
					method: "POST", credentials: "same-origin",
					headers: {"Content-Type": "application/json", Accept: "application/json",
						"X-Frappe-CSRF-Token": window.yamField.state.boot.csrf_token},
					body: JSON.stringify({items: [{key: "f-nogrant-" + Date.now() + "-000000000", kind: "lot",
						data: {site, crop: "Wheat", season: "2026-Spring", declared_qty_kg: 10}}]}),
				});
				return (await response.json()).message.results[0];
			}""",
			FARM_SITE,
		)
		assert result["status"] == "refused" and FARM_SITE in result["message"], result
		assert not phone.errors, phone.errors
	finally:
		phone.close()
		admin.set_language(user, language)
