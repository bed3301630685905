"""The app's DocType JSON files, read as data (no Frappe): shared by the contract tests."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "yam_agri_core"
FRAMEWORK_DOCTYPES = {
	line.strip()
	for line in (Path(__file__).parent / "contract" / "framework_doctypes.txt").read_text().splitlines()
	if line.strip() and not line.startswith("#")
}
MODULES = [m.strip() for m in (APP / "modules.txt").read_text().splitlines() if m.strip()]


def load_doctypes() -> dict[str, dict]:
	found = {}
	for path in APP.glob("*/doctype/*/*.json"):
		if path.stem != path.parent.name:
			continue
		data = json.loads(path.read_text())
		if data.get("doctype") == "DocType":
			data["_path"] = path
			found[data["name"]] = data
	return found


DOCTYPES = load_doctypes()


def fields_of(doctype: str) -> dict[str, dict]:
	return {f["fieldname"]: f for f in DOCTYPES[doctype]["fields"]}


def options(field: dict) -> list[str]:
	return [o for o in (field.get("options") or "").split("\n") if o]


def perm(doctype: str, role: str) -> dict:
	"""The role's permission row of level 0 on ``doctype`` (empty when it has none)."""
	return next(
		(p for p in DOCTYPES[doctype]["permissions"] if p["role"] == role and not p.get("permlevel")), {}
	)
