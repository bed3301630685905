"""The field page (/field) against Desk's New Lot form on an emulated 2G link, side by side.

On a 390x844 phone in headless Chromium, the link emulated through the DevTools protocol
(``Network.emulateNetworkConditions``: 800 ms latency, 250 kbit/s each way), as a logged-in farm
supervisor, it prints for each page:

- the first load (cold cache): seconds until the page can take a lot, and the bytes on the wire;
- a repeat visit (warm cache: the browser's, and for /field its service worker): seconds and bytes;
- seconds from tapping Save to the lot stored on the server (online on 2G);
- for /field, seconds from the link coming back to a lot captured offline being stored.

The figures are printed, never asserted. Goal of the issue: first load under 150 KB and 10 s, repeat
visit under 2 s. The app server does not compress; nginx of the stack gzips text, so ``--serve SITE``
starts gunicorn for SITE with a gzip layer like nginx's (text, JS, CSS, JSON) and measures through it:

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/benchmarks/bench_field.py --serve field.test \\
        --port 8024 --user farm.sanaa@yam-demo.example --password '...' [--lang ar]
    ../env/bin/python benchmarks/bench_field.py --url http://127.0.0.1:8023 --user ... --password ...

Run it on a bench site with the demo data (``yam_agri_core.tests.browser_setup.prepare``). The lots it
saves are real records of the user's first site (season 2026-Bench).
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

LATENCY_MS = 800
KBIT_S = 250
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--no-first-run",
	"--disable-background-networking",
]
TIMEOUT_MS = 600_000
FIELD_READY = "document.documentElement.dataset.fieldReady === '1' && !!document.querySelector('nav.tabs')"
DESK_READY = (
	"!!(window.cur_frm && cur_frm.doctype === 'Lot' && cur_frm.is_new() && cur_frm.fields_dict.site"
	" && cur_frm.wrapper && cur_frm.wrapper.offsetParent !== null)"
)
COMPRESSIBLE = (
	"text/",
	"application/javascript",
	"application/json",
	"application/manifest+json",
	"image/svg",
)


# --- the server, gzipped as nginx serves it ------------------------------------------------------------


class Gzip:
	"""WSGI layer compressing text answers as the stack's nginx does (``gzip on``; level 6)."""

	def __init__(self, app):
		self.app = app

	def __call__(self, environ, start_response):
		if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", ""):
			return self.app(environ, start_response)
		seen, body = {}, []

		def capture(status, headers, exc_info=None):
			seen["status"], seen["headers"] = status, headers
			return body.append

		result = self.app(environ, capture)
		try:
			body.extend(result)
		finally:
			if hasattr(result, "close"):
				result.close()
		data, headers = b"".join(body), seen["headers"]
		names = {k.lower(): v for k, v in headers}
		if (
			len(data) > 512
			and "content-encoding" not in names
			and names.get("content-type", "").startswith(COMPRESSIBLE)
		):
			data = gzip.compress(data, 6)
			headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
			headers += [
				("Content-Encoding", "gzip"),
				("Content-Length", str(len(data))),
				("Vary", "Accept-Encoding"),
			]
		start_response(seen["status"], headers)
		return [data]


def gzip_application():
	"""gunicorn's factory (``bench_field:gzip_application()``): the site of YAM_FIELD_BENCH_SITE."""
	import frappe.app

	frappe.app._site = os.environ["YAM_FIELD_BENCH_SITE"]
	return Gzip(frappe.app.application_with_statics())


def serve(site: str, port: int) -> subprocess.Popen:
	import requests

	gunicorn = Path(sys.executable).with_name("gunicorn")
	process = subprocess.Popen(
		[
			str(gunicorn),
			"--bind",
			f"127.0.0.1:{port}",
			"--workers",
			"2",
			"--timeout",
			"300",
			"--pythonpath",
			str(Path(__file__).resolve().parent),
			"bench_field:gzip_application()",
		],
		env={**os.environ, "YAM_FIELD_BENCH_SITE": site},
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
		start_new_session=True,
	)
	for _ in range(60):
		try:
			if requests.get(f"http://127.0.0.1:{port}/api/method/ping", timeout=5).ok:
				return process
		except requests.RequestException:
			pass
		time.sleep(1)
	process.terminate()
	raise SystemExit("gunicorn did not start")


# --- the phone -----------------------------------------------------------------------------------------


class Link:
	"""Bytes on the wire of one page (Network.loadingFinished), on the emulated 2G link."""

	def __init__(self, context, page):
		self.cdp = context.new_cdp_session(page)
		self.cdp.send("Network.enable")
		self.bytes = 0
		self.cdp.on("Network.loadingFinished", self._finished)
		self.set(offline=False)

	def _finished(self, event) -> None:
		self.bytes += int(event.get("encodedDataLength") or 0)

	def set(self, offline: bool) -> None:
		throughput = KBIT_S * 1000 / 8
		self.cdp.send(
			"Network.emulateNetworkConditions",
			{
				"offline": offline,
				"latency": LATENCY_MS,
				"downloadThroughput": throughput,
				"uploadThroughput": throughput,
			},
		)

	def take(self) -> int:
		taken, self.bytes = self.bytes, 0
		return taken


def visit(page, link: Link, url: str, ready: str) -> tuple[float, int]:
	link.take()
	start = time.monotonic()
	page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
	page.wait_for_function(ready, timeout=TIMEOUT_MS, polling=100)
	seconds = time.monotonic() - start
	page.wait_for_timeout(1500)  # what the page still fetches right after it is usable
	return seconds, link.take()


def new_phone(browser, url: str, user: str, password: str):
	context = browser.new_context(
		viewport=PHONE,
		is_mobile=True,
		has_touch=True,
		geolocation={"latitude": 15.3694, "longitude": 44.191, "accuracy": 10},
		permissions=["geolocation"],
		service_workers="allow",
	)
	answer = context.request.post(f"{url}/api/method/login", form={"usr": user, "pwd": password})
	if not answer.ok:
		raise SystemExit(f"login of {user} failed: {answer.status} {answer.text()[:200]}")
	page = context.new_page()
	return context, page, Link(context, page)


def field_figures(browser, url: str, user: str, password: str) -> dict:
	context, page, link = new_phone(browser, url, user, password)
	try:
		first = visit(page, link, f"{url}/field", FIELD_READY)
		page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=TIMEOUT_MS)
		repeat = visit(page, link, f"{url}/field", FIELD_READY)
		fill_field_lot(page)
		start = time.monotonic()
		page.click("#save-lot")
		wait_all_sent(page)
		save = time.monotonic() - start
		link.set(offline=True)
		page.wait_for_selector("#net.off", timeout=TIMEOUT_MS)
		fill_field_lot(page)
		page.click("#save-lot")
		page.wait_for_function("window.yamField.state.outbox.some(i => i.state === 'waiting')")
		start = time.monotonic()
		link.set(offline=False)
		wait_all_sent(page)
		back_online = time.monotonic() - start
		return {"first": first, "repeat": repeat, "save": save, "online": back_online}
	finally:
		context.close()


def fill_field_lot(page) -> None:
	form = page.locator("#lot-form")
	site = page.eval_on_selector_all("#lot-form select[name=site] option", "o => o.map(x => x.value)")
	form.locator("select[name=site]").select_option(next(s for s in site if s))
	crop = page.eval_on_selector_all("#lot-form select[name=crop] option", "o => o.map(x => x.value)")
	form.locator("select[name=crop]").select_option(next(c for c in crop if c))
	form.locator("input[name=season]").fill("2026-Bench")
	form.locator("input[name=declared_qty_kg]").fill("1000")


def wait_all_sent(page) -> None:
	page.wait_for_function(
		"window.yamField.state.outbox.length && window.yamField.state.outbox.every(i => i.state !== 'waiting')"
		" && !window.yamField.state.sending",
		timeout=TIMEOUT_MS,
		polling=100,
	)
	refused = page.evaluate(
		"window.yamField.state.outbox.filter(i => i.state === 'refused').map(i => i.message)"
	)
	if refused:
		raise SystemExit(f"the field page's lot was refused: {refused}")


def desk_figures(browser, url: str, user: str, password: str, site: str, crop: str) -> dict:
	context, page, link = new_phone(browser, url, user, password)
	try:
		first = visit(page, link, f"{url}/app/lot/new", DESK_READY)
		repeat = visit(page, link, f"{url}/app/lot/new", DESK_READY)
		page.evaluate(
			"""async ([site, crop]) => {
				await cur_frm.set_value({site, crop, season: "2026-Bench", declared_qty_kg: 1000});
			}""",
			[site, crop],
		)
		page.wait_for_timeout(500)
		start = time.monotonic()
		page.keyboard.press("Control+s")
		page.wait_for_function(
			"window.cur_frm && !cur_frm.is_new() && !cur_frm.is_dirty()", timeout=TIMEOUT_MS
		)
		save = time.monotonic() - start
		return {"first": first, "repeat": repeat, "save": save, "online": None}
	finally:
		context.close()


def report(lang: str, field: dict, desk: dict | None) -> None:
	skipped = "(skipped)"
	if desk is None:
		desk = {"first": skipped, "repeat": skipped, "save": skipped, "online": skipped}

	def pair(value) -> str:
		if value == skipped:
			return skipped
		seconds, size = value
		return f"{seconds:6.1f} s {size / 1024:8.1f} KB"

	def secs(value) -> str:
		if value == skipped:
			return skipped
		return "        (none: lost)" if value is None else f"{value:6.1f} s" + " " * 12

	print(
		f"\n2G ({LATENCY_MS} ms, {KBIT_S} kbit/s), phone {PHONE['width']}x{PHONE['height']}, user language {lang}"
	)
	print(f"{'':34}{'/field':>22}   {'Desk /app/lot/new':>22}")
	print(f"{'first load (cold cache)':34}{pair(field['first']):>22}   {pair(desk['first']):>22}")
	print(f"{'repeat visit (warm cache)':34}{pair(field['repeat']):>22}   {pair(desk['repeat']):>22}")
	print(f"{'tap Save -> lot stored (online)':34}{secs(field['save']):>22}   {secs(desk['save']):>22}")
	print(f"{'link back -> offline lot stored':34}{secs(field['online']):>22}   {secs(desk['online']):>22}")
	print("goal: first load < 150 KB and < 10 s; repeat visit < 2 s")


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--url", help="a running server (default: the one --serve starts)")
	parser.add_argument("--serve", metavar="SITE", help="start gunicorn with nginx-like gzip for SITE")
	parser.add_argument("--port", type=int, default=8024)
	parser.add_argument("--user", default="farm.sanaa@yam-demo.example")
	parser.add_argument("--password", required=True)
	parser.add_argument("--admin-password", default="admin")
	parser.add_argument("--lang", default="", help="comma list: set the user's language (as Administrator)")
	parser.add_argument("--chromium", default="/usr/bin/chromium")
	parser.add_argument(
		"--field-only", action="store_true", help="skip Desk (minutes on 2G, more without gzip)"
	)
	args = parser.parse_args()
	if not (args.url or args.serve):
		parser.error("give --url or --serve")
	server = serve(args.serve, args.port) if args.serve else None
	url = (args.url or f"http://127.0.0.1:{args.port}").rstrip("/")
	try:
		run(args, url)
	finally:
		if server:
			os.killpg(server.pid, 15)


def run(args, url: str) -> None:
	import requests
	from playwright.sync_api import sync_playwright

	admin = requests.Session()
	admin.post(
		f"{url}/api/method/login", data={"usr": "Administrator", "pwd": args.admin_password}
	).raise_for_status()
	sites = admin.get(
		f"{url}/api/resource/User Permission",
		params={"filters": f'[["user","=","{args.user}"],["allow","=","Site"]]', "fields": '["for_value"]'},
	).json()["data"]
	site = sites[0]["for_value"]
	crop = admin.get(f"{url}/api/resource/Crop", params={"limit_page_length": 1}).json()["data"][0]["name"]
	language = admin.get(f"{url}/api/resource/User/{args.user}").json()["data"].get("language") or "en"
	langs = [lang for lang in args.lang.split(",") if lang] or [language]
	with sync_playwright() as playwright:
		browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
		try:
			for lang in langs:
				admin.put(f"{url}/api/resource/User/{args.user}", json={"language": lang}).raise_for_status()
				field = field_figures(browser, url, args.user, args.password)
				desk = (
					None
					if args.field_only
					else desk_figures(browser, url, args.user, args.password, site, crop)
				)
				report(lang, field, desk)
		finally:
			browser.close()
			admin.put(f"{url}/api/resource/User/{args.user}", json={"language": language})


if __name__ == "__main__":
	main()
