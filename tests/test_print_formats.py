"""The app's standard Print Formats: each JSON is a standard Jinja format of an app DocType in the
DocType's module folder, ships its template, and every string its templates translate has Arabic."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "yam_agri_core"
SHARED = APP / "templates" / "print_formats"
PLACEHOLDER = re.compile(r"\{\d+\}")
#: ``_("...")`` / ``_('...')`` with a literal first argument, in a Jinja template.
JINJA_STRING = re.compile(r"""(?<![\w.])_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*[,)]""")

#: The formats every part of the product links to (names fixed for everyone).
EXPECTED = {
	"Scale Ticket Slip A5": "Scale Ticket",
	"Scale Ticket Slip 80mm": "Scale Ticket",
	"Lot Quality Certificate": "Lot",
	"Lot Trace": "Lot",
	"CAPA Report": "Nonconformance",
}
#: The Jinja helpers the templates call (registered in hooks.py under ``jinja["methods"]``).
HELPERS = ("yam_bidi", "yam_ticket_slip", "yam_lot_quality", "yam_lot_trace", "yam_capa_report")


def scrub(name: str) -> str:
	return name.replace(" ", "_").replace("-", "_").lower()


def doctypes() -> dict[str, tuple[str, dict]]:
	found = {}
	for path in APP.glob("*/doctype/*/*.json"):
		meta = json.loads(path.read_text(encoding="utf-8"))
		if meta.get("doctype") == "DocType":
			found[meta["name"]] = (path.parts[-4], meta)
	return found


def print_formats() -> list[tuple[Path, dict]]:
	return [
		(path, json.loads(path.read_text(encoding="utf-8")))
		for path in sorted(APP.glob("*/print_format/*/*.json"))
	]


def templates() -> list[Path]:
	return sorted(APP.glob("*/print_format/*/*.html")) + sorted(SHARED.glob("*.html"))


def template_strings(path: Path) -> set[str]:
	text = path.read_text(encoding="utf-8")
	return {(m.group(1) if m.group(1) is not None else m.group(2)) for m in JINJA_STRING.finditer(text)}


def translations() -> dict[str, str]:
	with (APP / "translations" / "ar.csv").open(newline="", encoding="utf-8") as fh:
		return {row[0]: row[1] for row in csv.reader(fh) if row}


def test_the_fixed_formats_exist():
	assert {meta["name"]: meta["doc_type"] for _p, meta in print_formats()} == EXPECTED


@pytest.mark.parametrize("path, meta", print_formats(), ids=lambda v: v.name if isinstance(v, Path) else "")
def test_format_is_a_standard_jinja_format_of_an_app_doctype(path: Path, meta: dict):
	known = doctypes()
	assert meta["doctype"] == "Print Format"
	assert meta["doc_type"] in known, f"{path.name}: unknown DocType {meta['doc_type']}"
	module_folder, doctype_meta = known[meta["doc_type"]]
	assert meta["standard"] == "Yes"
	assert meta["print_format_type"] == "Jinja"
	assert meta["module"] == doctype_meta["module"], f"{path.name}: module must be the DocType's"
	# Frappe reads a standard format's template from <module>/print_format/<scrub(name)>/<scrub(name)>.html
	assert path.parts[-4] == module_folder and path.parent.name == scrub(meta["name"]) == path.stem
	assert path.with_suffix(".html").is_file(), f"{path.name}: template missing"
	assert (path.parent / "__init__.py").is_file() and (path.parents[1] / "__init__.py").is_file()
	assert not meta.get("disabled") and not meta.get("custom_format") and not meta.get("raw_printing")
	assert not meta.get("html"), "the template lives in the .html file, not in the JSON"
	# a fixed print language would print English to Arabic readers: the reader's language decides
	assert not meta.get("default_print_language")


@pytest.mark.parametrize("path", sorted(APP.glob("*/print_format/*/*.html")), ids=lambda p: p.name)
def test_template_is_bilingual_and_uses_the_shared_parts(path: Path):
	text = path.read_text(encoding="utf-8")
	assert 'dir="{{ ctx.dir }}"' in text, "the root element follows the print language (rtl for Arabic)"
	assert 'lang="{{ ctx.lang }}"' in text
	assert "yam_agri_core/templates/print_formats/yam_print.html" in text
	assert any(f"{helper}(doc.name)" in text for helper in HELPERS[1:]), (
		"data comes from a yam_agri_core.printing helper"
	)
	# text between tags is translated: a bare English word between tags would print English in Arabic
	for chunk in re.findall(r">([^<>{}]*)<", re.sub(r"\{#.*?#\}", "", text, flags=re.S)):
		assert not re.search(r"[A-Za-z]{3,}", chunk), f"untranslated text {chunk.strip()!r} in {path.name}"


def test_helpers_the_templates_call_are_defined():
	source = (APP / "printing.py").read_text(encoding="utf-8")
	called = set().union(
		*(set(re.findall(r"\b(yam_\w+)\(", p.read_text(encoding="utf-8"))) for p in templates())
	)
	assert set(HELPERS) == called
	for helper in called:
		assert re.search(rf"^def {helper}\(", source, re.M), helper


def test_every_template_string_has_an_arabic_row_with_its_placeholders():
	ar = translations()
	needed = set().union(*(template_strings(path) for path in templates()))
	assert len(needed) > 50
	missing = sorted(needed - set(ar))
	assert not missing, f"add to translations/ar.csv: {missing}"
	for source in needed:
		assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(ar[source])), source
		assert re.search(r"[\u0600-\u06FF]", ar[source]), f"not Arabic: {source} -> {ar[source]}"


def test_page_sizes_are_set_for_wkhtmltopdf():
	"""Frappe passes ``.print-format { page-size | page-width | page-height | margin-* }`` of a format's
	style to wkhtmltopdf (``frappe.utils.pdf.read_options_from_html``)."""
	sizes = {}
	for path in APP.glob("*/print_format/*/*.html"):
		rule = re.search(r"\.print-format \{([^}]*)\}", path.read_text(encoding="utf-8"))
		assert rule, f"{path.name}: no .print-format page rule"
		sizes[path.stem] = dict(
			(k.strip(), v.strip()) for k, v in (d.split(":") for d in rule.group(1).split(";") if ":" in d)
		)
	assert sizes["scale_ticket_slip_a5"]["page-size"] == "A5"
	assert sizes["scale_ticket_slip_80mm"]["page-width"] == "80mm"
	assert "page-height" in sizes["scale_ticket_slip_80mm"]
	for name in ("lot_quality_certificate", "lot_trace", "capa_report"):
		assert sizes[name]["page-size"] == "A4"
