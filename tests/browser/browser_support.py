"""Helpers of the browser suite: what the app ships (read from its JSON), REST calls, page checks.

Discovery reads the repository, never the site, so a Workspace, Number Card, Dashboard Chart, Report or
Print Format added under ``yam_agri_core/<module>/<kind>/<name>/<name>.json`` is covered without
editing the suite.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "yam_agri_core"

#: must match yam_agri_core/tests/browser_setup.py DEFAULT_PASSWORD (the setup step sets it)
DEFAULT_PASSWORD = "Yam-Browser-Test-2026"
#: persona key -> login (the setup step makes them; yam_agri_core/tests/browser_setup.py PERSONAS)
PERSONAS = {
	"qa": "qa@yam-demo.example",
	"silo": "silo.taiz@yam-demo.example",
	"auditor": "auditor@yam-demo.example",
	"nogrant": "nogrant@yam-demo.example",
}
LANGS = ("en", "ar")
#: the pages whose screenshots the README shows (written to YAM_BROWSER_SHOTS; every other one to a temp dir)
README_SHOTS = {
	("Workspace", "YAM Agri"): "workspace",
	("Report", "Certificate Register"): "report-certificate-register",
	("Report", "Mock Recall"): "report-mock-recall",
	("Print Format", "Scale Ticket Slip A5"): "ticket-slip-a5",
}
#: console noise that is not an app error: no socket.io server runs beside gunicorn in the suite, the
#: machine has no route out (the Site form's map asks tile.openstreetmap.org for tiles), and Chromium cuts
#: requests in flight when the machine's network changes (the app asks a card's or chart's read again;
#: a card that still fails shows it, which the suite checks)
IGNORED_CONSOLE = (
	re.compile(r"socket\.io", re.I),
	re.compile(r"net::ERR_NETWORK_CHANGED"),
	re.compile(
		r"net::ERR_(NAME_NOT_RESOLVED|INTERNET_DISCONNECTED|CONNECTION_REFUSED).*https?://(?!127\.0\.0\.1|localhost)"
	),
)


def slug(name: str) -> str:
	"""frappe.router.slug / frappe.scrub with dashes: the Desk route of a name."""
	return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def wanted(env_name: str, default: tuple[str, ...]) -> tuple[str, ...]:
	raw = os.environ.get(env_name, "").strip()
	return tuple(part.strip() for part in raw.split(",") if part.strip()) if raw else default


# ------------------------------------------------------------------------------------------------ discovery


@dataclass
class Shipped:
	"""One record the app ships as JSON (or the reason its file could not be read)."""

	kind: str
	name: str
	data: dict = field(default_factory=dict)
	path: Path | None = None
	error: str = ""

	@property
	def id(self) -> str:
		return slug(self.name)


def shipped(kind: str) -> list[Shipped]:
	"""Every ``kind`` (e.g. "Report", "Workspace") JSON of the app, sorted by name."""
	folder = slug(kind).replace("-", "_")
	found = []
	for path in sorted(APP.glob(f"*/{folder}/*/*.json")):
		try:
			data = json.loads(path.read_text(encoding="utf-8"))
		except (OSError, ValueError) as error:
			found.append(Shipped(kind, path.stem, path=path, error=f"{path}: {error}"))
			continue
		if isinstance(data, dict) and data.get("doctype") == kind:
			found.append(Shipped(kind, data.get("name") or path.stem, data, path))
	return sorted(found, key=lambda item: item.name)


def app_doctypes() -> dict[str, dict]:
	"""name -> DocType JSON of the app's DocTypes."""
	return {item.name: item.data for item in shipped("DocType") if not item.error}


def site_field(doctype: str) -> str | None:
	"""The field that holds a record's site ("name" for Site itself), None when not site-bearing."""
	if doctype == "Site":
		return "name"
	meta = app_doctypes().get(doctype)
	if meta and any(df.get("fieldname") == "site" for df in meta.get("fields", [])):
		return "site"
	return None


def desk_doctypes() -> list[Shipped]:
	"""The app's DocTypes a person opens in Desk (child tables left out)."""
	return [item for item in shipped("DocType") if item.error or not item.data.get("istable")]


def workspace_widgets(workspace: dict, table: str, link_field: str) -> list[tuple[str, str]]:
	"""(label, linked record) of a Workspace's number cards or charts that its content places."""
	placed = set()
	try:
		blocks = json.loads(workspace.get("content") or "[]")
	except ValueError:
		blocks = []
	block_type = "number_card" if table == "number_cards" else "chart"
	for block in blocks:
		if block.get("type") == block_type:
			placed.add((block.get("data") or {}).get(f"{block_type}_name"))
	return [
		(row.get("label"), row.get(link_field))
		for row in workspace.get(table) or []
		if row.get("label") in placed
	]


def card_json(name: str) -> dict | None:
	return next((item.data for item in shipped("Number Card") if item.name == name), None)


def chart_json(name: str) -> dict | None:
	return next((item.data for item in shipped("Dashboard Chart") if item.name == name), None)


# ------------------------------------------------------------------------------------------------ numbers

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def parse_shown_number(text: str) -> float | None:
	"""The first number of a card's text ("30,000.00 kg", "1.5 K", Arabic digits), None if there is none."""
	text = text.translate(_DIGITS).replace("٬", ",").replace("٫", ".")
	match = re.search(r"-?\d[\d,]*(?:\.\d+)?", text)
	if not match:
		return None
	return float(match.group(0).replace(",", ""))


def card_filters(card: dict) -> list:
	"""A Number Card's stored filters as a list of [doctype, field, op, value] rows."""
	raw = card.get("filters_json") or "[]"
	filters = json.loads(raw) if isinstance(raw, str) else raw
	if isinstance(filters, dict):
		return [
			[card.get("document_type"), key, *(value if isinstance(value, list) else ["=", value])]
			for key, value in filters.items()
		]
	return [row[:4] for row in filters]


def aggregate(function: str, values: list[float]) -> float:
	"""What a Number Card's function makes of the values (Count is len)."""
	values = [float(value or 0) for value in values]
	if function in (None, "", "Count"):
		return float(len(values))
	if not values:
		return 0.0
	return {
		"Sum": sum(values),
		"Average": sum(values) / len(values),
		"Minimum": min(values),
		"Maximum": max(values),
	}[function]


# ------------------------------------------------------------------------------------------------ errors


def is_app_error(message) -> bool:
	"""A console message that counts as a JavaScript error of the page."""
	if message.type != "error":
		return False
	where = (message.location or {}).get("url", "") if hasattr(message, "location") else ""
	text = f"{message.text} {where}"
	return not any(pattern.search(text) for pattern in IGNORED_CONSOLE)


def cases() -> list:
	"""(persona, lang) pairs of the run, narrowed by YAM_BROWSER_PERSONAS / YAM_BROWSER_LANGS."""
	import pytest

	return [
		pytest.param(persona, lang, id=f"{persona}-{lang}")
		for persona in wanted("YAM_BROWSER_PERSONAS", tuple(PERSONAS))
		for lang in wanted("YAM_BROWSER_LANGS", LANGS)
	]


def ids(items: list[Shipped]) -> list[str]:
	return [item.id for item in items]
