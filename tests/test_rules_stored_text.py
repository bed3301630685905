"""Texts stored in the writer's language, shown in the reader's (rules.stored_text)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from yam_agri_core.rules import stored_text

APP = Path(__file__).resolve().parents[1] / "yam_agri_core"

ARABIC = {
	"{0} {1} {2} is above the critical limit of {3} {2}": "{0} {1} {2} أعلى من الحد الحرج {3} {2}",
	"the device is inactive": "الجهاز غير نشط",
	"Temperature": "درجة الحرارة",
	"Grain Moisture": "رطوبة الحبوب",
	"unit {0} is wrong for {1}": "الوحدة {0} غير صحيحة لـ {1}",
}


def arabic(text: str) -> str:
	return ARABIC.get(text, text)


def marked_strings(path: Path) -> set[str]:
	return {
		node.args[0].value
		for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
		if isinstance(node, ast.Call)
		and isinstance(node.func, ast.Name)
		and node.func.id == "_"
		and node.args
		and isinstance(node.args[0], ast.Constant)
	}


def test_reason_templates_are_those_of_rules_observations():
	assert {t for t, _kinds in stored_text.REASONS} == marked_strings(APP / "rules" / "observations.py")
	for template, kinds in stored_text.REASONS:
		assert len(kinds) == len(set(re.findall(r"\{(\d+)\}", template))), template


def test_reasons_are_shown_in_the_readers_language_values_kept():
	text = "Grain Moisture 17 % is above the critical limit of 16 %; the device is inactive"
	shown = stored_text.localize_reasons(text, arabic)
	parts = shown.split("; ")
	assert parts[0].startswith("رطوبة الحبوب ") and "أعلى من الحد الحرج" in parts[0]
	assert f"{stored_text.LRI}17{stored_text.PDI} %" in parts[0]
	assert parts[1] == "الجهاز غير نشط"


def test_a_value_with_its_unit_stays_in_order_in_arabic():
	shown = stored_text.localize_reasons("Temperature 43.74 °C is above the critical limit of 35 °C", arabic)
	assert f"{stored_text.LRI}43.74 °C{stored_text.PDI}" in shown
	assert f"{stored_text.LRI}35 °C{stored_text.PDI}" in shown
	assert stored_text.isolate_ltr("2026-Spring") == "2026-Spring"  # no Arabic: nothing to isolate


def test_english_reader_sees_the_text_as_stored():
	text = "Temperature 43.74 °C is above the critical limit of 35 °C; the device is inactive"
	assert stored_text.localize_reasons(text, lambda s: s) == text


def test_unknown_text_is_shown_as_stored():
	assert stored_text.localize_reasons("checked by hand", arabic) == "checked by hand"
	assert stored_text.localize_reasons(None, arabic) == ""


def test_repeated_placeholder_must_repeat():
	template = "{0} {1} {2} is above the critical limit of {3} {2}"
	assert stored_text.match_template(
		"Temperature 40 °C is above the critical limit of 35 °C", [(template, "tntn")]
	)
	assert not stored_text.match_template(
		"Temperature 40 °C is above the critical limit of 35 %", [(template, "tntn")]
	)


def test_lot_timeline_templates_are_the_python_ones():
	"""lot_timeline.js matches the notes lot.py, scale_ticket.py, lot_transfer.py and ticket_import.py write."""
	script = (APP / "public" / "js" / "lot_timeline.js").read_text(encoding="utf-8")
	block = script[script.index("LOT_NOTE_REASONS = [") : script.index("// what marks")]
	templates = set(re.findall(r'^\t"((?:[^"\\]|\\.)*)",$', block, re.M))
	written = set()
	for name in (
		"traceability/doctype/lot/lot.py",
		"traceability/doctype/scale_ticket/scale_ticket.py",
		"traceability/doctype/lot_transfer/lot_transfer.py",
		"traceability/ticket_import.py",
	):
		written |= marked_strings(APP / name)
	assert len(templates) == 9
	assert templates <= written, templates - written
	marked = set(re.findall(r'__\("((?:[^"\\]|\\.)*)"\)', script))
	assert templates <= marked
