"""Every Print Format of the app: the print view renders in the user's language and direction, the PDF
downloads, and a user with no grant gets neither."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from browser_rest import RestError
from browser_support import cases, ids, shipped

PRINTS = shipped("Print Format")


def _record(desk, doctype: str, rest) -> str | None:
	for filters in ([[doctype, "docstatus", "=", 1]], []):
		try:
			names = rest.names(doctype, filters)
		except RestError:
			names = []
		if names:
			return names[0]
	return None


@pytest.mark.parametrize("print_format", PRINTS, ids=ids(PRINTS))
@pytest.mark.parametrize("persona,lang", cases())
def test_print_format_renders_and_downloads_as_pdf(desk, print_format):
	assert not print_format.error, print_format.error
	doctype = print_format.data["doc_type"]
	own = _record(desk, doctype, desk.persona.rest)
	record = own or _record(desk, doctype, desk.env.admin)
	if not record:
		pytest.skip(f"no {doctype} on the site to print")
	query = urlencode({"doctype": doctype, "name": record, "format": print_format.name})
	pdf = desk.persona.rest.get(f"/api/method/frappe.utils.print_format.download_pdf?{query}")
	page = desk.context.new_page()
	errors: list[str] = []
	page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
	try:
		answer = page.goto(f"{desk.env.url}/printview?{query}", wait_until="networkidle")
		if not own:
			assert answer.status in (403, 404) or not page.locator(".print-format").count(), (
				f"{desk.persona.key} printed {doctype} {record} of a site it is not granted"
			)
			assert pdf.status_code != 200 or not pdf.content.startswith(b"%PDF"), (
				f"{desk.persona.key} downloaded the PDF of {doctype} {record} of a site it is not granted"
			)
			return
		assert answer.status == 200, f"printview of {print_format.name} answered {answer.status}"
		assert page.locator(".print-format").count(), f"printview of {print_format.name} has no .print-format"
		want = "rtl" if desk.lang == "ar" else "ltr"
		assert page.evaluate("() => document.documentElement.getAttribute('dir')") == want
		path = desk.env.shot_path("Print Format", print_format.name, desk.persona.key, desk.lang)
		page.locator(".print-format").first.screenshot(path=str(path))
		assert not errors, f"printview of {print_format.name} raised: {errors}"
		assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), (
			f"PDF of {print_format.name} ({doctype} {record}): HTTP {pdf.status_code} {pdf.text[:300]!r}"
		)
	finally:
		page.close()
