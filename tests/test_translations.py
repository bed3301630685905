"""Every string a user sees has an Arabic translation with the same placeholders."""

from __future__ import annotations

import ast
import csv
import json
import re
from pathlib import Path

from yam_agri_core.rules.roles import APP_ROLES, ROLE_PROFILES

APP = Path(__file__).resolve().parents[1] / "yam_agri_core"
PLACEHOLDER = re.compile(r"\{\d+\}")


def translations() -> dict[str, str]:
	with (APP / "translations" / "ar.csv").open(newline="", encoding="utf-8") as fh:
		return {row[0]: row[1] for row in csv.reader(fh) if row}


def python_strings() -> set[str]:
	found = set()
	for path in APP.rglob("*.py"):
		if "tests" in path.parts or path.name.startswith("test_"):
			continue
		for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
			if (
				isinstance(node, ast.Call)
				and isinstance(node.func, ast.Name)
				and node.func.id == "_"
				and node.args
				and isinstance(node.args[0], ast.Constant)
				and isinstance(node.args[0].value, str)
			):
				found.add(node.args[0].value)
	return found


def js_strings() -> set[str]:
	found = set()
	for path in APP.rglob("*.js"):
		found.update(
			m.group(1) for m in re.finditer(r'__\(\s*"((?:[^"\\]|\\.)*)"', path.read_text(encoding="utf-8"))
		)
	return found


def doctype_strings() -> set[str]:
	found = set()
	for path in APP.glob("*/doctype/*/*.json"):
		meta = json.loads(path.read_text(encoding="utf-8"))
		found.add(meta["name"])
		found.update(state["title"] for state in meta.get("states", []))
		for field in meta["fields"]:
			found.update(field[key] for key in ("label", "description") if field.get(key))
			if field["fieldtype"] == "Select" and field["fieldname"] != "naming_series":
				found.update(o for o in (field.get("options") or "").split("\n") if o)
	return found


def test_every_user_facing_string_is_translated_to_arabic():
	needed = python_strings() | js_strings() | doctype_strings() | set(APP_ROLES) | set(ROLE_PROFILES)
	needed |= {m.strip() for m in (APP / "modules.txt").read_text().splitlines() if m.strip()}
	missing = sorted(needed - set(translations()))
	assert not missing, f"add to translations/ar.csv: {missing}"


def test_translations_keep_placeholders_and_are_arabic():
	for source, target in translations().items():
		assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(target)), source
		assert target.strip(), source
		if re.search(r"[A-Za-z]{4,}", source) and source not in ("ERPNext", "ISO 22000"):
			assert re.search(r"[\u0600-\u06FF]", target), f"not Arabic: {source} -> {target}"


def test_each_english_string_is_translated_once_and_kilograms_read_one_way():
	with (APP / "translations" / "ar.csv").open(newline="", encoding="utf-8") as fh:
		rows = [row for row in csv.reader(fh) if row]
	keys = [row[0] for row in rows]
	assert sorted({k for k in keys if keys.count(k) > 1}) == []
	# "kg" is كغ everywhere: a report next to a print format must not spell it two ways
	assert [row[0] for row in rows if "كجم" in row[1]] == []
