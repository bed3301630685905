"""The Desk (workspaces, number cards, dashboard charts and their chart sources) read as data: every
link, shortcut, card and chart points at something that exists, filters name real fields and
options, roles exist, names are translated; and the pure rules behind the cards (no Frappe)."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from doctype_meta import APP, DOCTYPES, FRAMEWORK_DOCTYPES, MODULES, fields_of, options

from yam_agri_core.rules import dashboards
from yam_agri_core.rules.roles import APP_ROLES, QUALITY_MANAGER, SENSOR_GATEWAY, SYSTEM_MANAGER

ROLES = {*APP_ROLES, QUALITY_MANAGER, SYSTEM_MANAGER}
WORKSPACES = {"YAM Agri", "Grain Traceability", "Grain Quality", "Bin Monitoring"}
#: Report names fixed for everyone this session (owners), and the existing Mock Recall.
REPORTS = {
	"Certificate Register": "Quality",
	"Nonconformance Ageing": "Quality",
	"User Access Audit": "Quality",
	"Quarantine Review": "Monitoring",
	"Device Health": "Monitoring",
	"Archived Readings": "Monitoring",
	"Scale Ticket Mismatches": "Traceability",
	"Lot Stock": "Traceability",
	"Mock Recall": "Traceability",
}
#: Standard fields every DocType has (filters may name them).
STANDARD_FIELDS = {"name", "creation", "modified", "owner", "docstatus"}
ADMIN_DOCTYPES = {
	"Error Log",
	"Scheduled Job Log",
	"Email Queue",
	"RQ Job",
	"System Health Report",
	"User Permission",
}


def load(kind: str) -> dict[str, dict]:
	found = {}
	for path in APP.glob(f"*/{kind}/*/*.json"):
		if path.stem == path.parent.name:
			data = json.loads(path.read_text())
			data["_path"] = path
			found[data["name"]] = data
	return found


WS, CARDS, CHARTS, SOURCES = (
	load(k) for k in ("workspace", "number_card", "dashboard_chart", "dashboard_chart_source")
)


def app_doctypes() -> set[str]:
	return set(DOCTYPES)


def known_doctype(name: str) -> bool:
	return name in DOCTYPES or name in FRAMEWORK_DOCTYPES


def report_names() -> set[str]:
	return {
		json.loads(p.read_text())["name"] for p in APP.glob("*/report/*/*.json") if p.stem == p.parent.name
	}


def translations() -> dict[str, str]:
	with (APP / "translations" / "ar.csv").open(newline="", encoding="utf-8") as fh:
		return {row[0]: row[1] for row in csv.reader(fh) if row}


def whitelisted(module_path: Path) -> set[str]:
	tree = ast.parse(module_path.read_text())
	return {
		node.name
		for node in tree.body
		if isinstance(node, ast.FunctionDef)
		and any("whitelist" in ast.unparse(d) for d in node.decorator_list)
	}


def method_exists(dotted: str) -> bool:
	module, _, function = dotted.rpartition(".")
	path = APP.parent / (module.replace(".", "/") + ".py")
	return path.exists() and function in whitelisted(path)


def filter_rows(raw: str | None) -> list[list]:
	rows = json.loads(raw or "[]")
	return rows if isinstance(rows, list) else []


def check_filter(doctype: str, row: list) -> None:
	assert row[0] == doctype, row
	fieldname, operator, value = row[1], row[2], row[3]
	if fieldname in STANDARD_FIELDS:
		return
	if doctype not in DOCTYPES:
		return
	field = fields_of(doctype).get(fieldname)
	assert field, f"{doctype} has no field {fieldname}"
	if field["fieldtype"] == "Select" and operator in ("=", "!=", "in", "not in"):
		for v in value if isinstance(value, list) else [value]:
			assert v in options(field), f"{doctype}.{fieldname} has no option {v!r}"
	if operator == "is":
		assert value in ("set", "not set")
		return
	if operator == "Timespan":
		assert field["fieldtype"] in ("Date", "Datetime") and value in (
			"next 30 days",
			"last 7 days",
			"today",
		)


# --- workspaces ---------------------------------------------------------------------------------


def test_the_four_workspaces_exist_in_their_modules():
	assert set(WS) == WORKSPACES
	assert {n: WS[n]["module"] for n in WORKSPACES if n != "YAM Agri"} == {
		"Grain Traceability": "Traceability",
		"Grain Quality": "Quality",
		"Bin Monitoring": "Monitoring",
	}
	for ws in WS.values():
		assert ws["module"] in MODULES and ws["public"] == 1 and ws["title"] == ws["name"] == ws["label"]
		assert ws["_path"].parent.parent.parent.name == ws["module"].lower()


@pytest.mark.parametrize("name", sorted(WORKSPACES))
def test_workspace_roles_exist_and_exclude_the_gateway(name):
	roles = {r["role"] for r in WS[name]["roles"]}
	assert roles and roles <= ROLES
	assert SENSOR_GATEWAY not in roles and SYSTEM_MANAGER in roles


@pytest.mark.parametrize("name", sorted(WORKSPACES))
def test_workspace_links_point_at_real_doctypes_and_reports(name):
	reports = report_names()
	for link in WS[name]["links"]:
		if link["type"] == "Card Break":
			continue
		if link["link_type"] == "DocType":
			assert known_doctype(link["link_to"]), link
		else:
			assert (
				link["link_type"] == "Report" and link["link_to"] in REPORTS and link["is_query_report"] == 1
			)
			assert link["link_to"] in reports, f"report {link['link_to']} not in the app (yet)"


@pytest.mark.parametrize("name", sorted(WORKSPACES))
def test_workspace_shortcuts_point_at_real_things_with_real_filters(name):
	for sc in WS[name]["shortcuts"]:
		if sc["type"] == "DocType":
			assert known_doctype(sc["link_to"]), sc
			for row in filter_rows(sc.get("stats_filter")):
				check_filter(sc["link_to"], row)
		elif sc["type"] == "URL":
			# a page the app serves itself (the field page: yam_agri_core/www/field)
			page = APP / "www" / sc["url"].strip("/")
			assert sc["url"].startswith("/") and (page.is_dir() or page.with_suffix(".html").exists()), sc
		else:
			assert sc["type"] == "Report" and sc["link_to"] in REPORTS


@pytest.mark.parametrize("name", sorted(WORKSPACES))
def test_workspace_content_blocks_match_its_tables(name):
	ws = WS[name]
	blocks = json.loads(ws["content"])
	kinds = {
		"shortcut": ("shortcut_name", {s["label"] for s in ws["shortcuts"]}),
		"number_card": ("number_card_name", {c["label"] for c in ws["number_cards"]}),
		"chart": ("chart_name", {c["label"] for c in ws["charts"]}),
		"card": ("card_name", {lk["label"] for lk in ws["links"] if lk["type"] == "Card Break"}),
	}
	seen = {k: set() for k in kinds}
	for block in blocks:
		if block["type"] in kinds:
			key, names = kinds[block["type"]]
			assert block["data"][key] in names, block
			seen[block["type"]].add(block["data"][key])
	assert all(seen[k] == kinds[k][1] for k in kinds), "every row of the tables is placed on the page"
	assert {c["number_card_name"] for c in ws["number_cards"]} <= set(CARDS)
	assert {c["chart_name"] for c in ws["charts"]} <= set(CHARTS)
	assert len({b["id"] for b in blocks}) == len(blocks)


def test_the_runbook_daily_checklist_is_one_click_from_home():
	shortcuts = {s["link_to"]: s for s in WS["YAM Agri"]["shortcuts"]}
	assert ADMIN_DOCTYPES <= set(shortcuts)
	nc = filter_rows(shortcuts["Nonconformance"]["stats_filter"])
	# every Critical nonconformance not closed, as the Open Critical card and Nonconformance Ageing count
	assert [r[1:4] for r in nc] == [["status", "!=", "Closed"], ["severity", "=", "Critical"]]
	card = filter_rows(CARDS["Open Critical Nonconformances"]["filters_json"])
	assert [r[1:4] for r in card] == [r[1:4] for r in nc]
	cert = filter_rows(shortcuts["Certificate"]["stats_filter"])
	assert [r[1:4] for r in cert] == [
		["status", "in", ["Active", "Expiring Soon"]],
		["expiry_date", "Timespan", "next 30 days"],
	]
	obs = filter_rows(shortcuts["Observation"]["stats_filter"])
	assert [r[1:4] for r in obs] == [["quality_flag", "=", "Quarantine"]]


def test_home_shows_every_card():
	assert {c["number_card_name"] for c in WS["YAM Agri"]["number_cards"]} == set(CARDS)
	assert {c["chart_name"] for c in WS["YAM Agri"]["charts"]} == set(CHARTS)


# --- number cards -------------------------------------------------------------------------------

EXPECTED_CARDS = {
	"Open Critical Nonconformances",
	"Overdue Nonconformances",
	"Certificates Expiring in 30 Days",
	"Expired Certificates",
	"Quarantined Readings (24 h)",
	"Silent Devices",
	"Calibration Due",
	"Mismatched Tickets (7 Days)",
	"Grain on Hand (kg)",
}


def test_the_cards_of_the_issue_exist():
	assert set(CARDS) == EXPECTED_CARDS


@pytest.mark.parametrize("name", sorted(EXPECTED_CARDS))
def test_card_is_standard_public_and_readable_by_personas(name):
	card = CARDS[name]
	assert card["is_standard"] == 1 and card["is_public"] == 1 and card["label"] == name
	assert card["module"] in MODULES
	# Frappe lets a non System Manager read a card whose document_type they can read
	assert card["document_type"] in DOCTYPES
	if card["type"] == "Custom":
		assert method_exists(card["method"]), card["method"]
		assert card["method"].startswith("yam_agri_core.desk.")
	else:
		assert card["type"] == "Document Type"
		for row in filter_rows(card["filters_json"]) + filter_rows(card["dynamic_filters_json"]):
			check_filter(card["document_type"], row)
		for row in filter_rows(card["dynamic_filters_json"]):
			assert row[3] in dashboards.DYNAMIC_EXPRESSIONS, row[3]
		if card["function"] != "Count":
			assert card["aggregate_function_based_on"] in fields_of(card["document_type"])


def test_grain_on_hand_shows_whole_kilograms_in_full():
	"""Frappe shortens a Sum card's Float to "57.200 K" ("K 57.200" right to left): the card is a custom
	one (desk.cards.grain_on_hand) giving whole kg, shown in full and grouped ("57,200")."""
	card = CARDS["Grain on Hand (kg)"]
	assert (card["type"], card["method"]) == ("Custom", "yam_agri_core.desk.cards.grain_on_hand")
	assert card["show_full_number"] == 1


# --- charts -------------------------------------------------------------------------------------

EXPECTED_CHARTS = {
	"Bin Temperature",
	"Nonconformances by Status and Severity",
	"Weighed kg per Day",
	"Grain on Hand by Site and Crop",
}


def test_the_charts_of_the_issue_exist_with_their_sources():
	assert set(CHARTS) == EXPECTED_CHARTS
	assert set(SOURCES) == EXPECTED_CHARTS


@pytest.mark.parametrize("name", sorted(EXPECTED_CHARTS))
def test_chart_source_method_is_whitelisted_in_desk(name):
	chart, source = CHARTS[name], SOURCES[name]
	assert chart["chart_type"] == "Custom" and chart["source"] == name and chart["is_standard"] == 1
	assert source["module"] == chart["module"]
	js = source["_path"].with_suffix(".js").read_text()
	assert f'frappe.dashboards.chart_sources["{name}"]' in js
	method = re.search(r'method: "([\w.]+)"', js).group(1)
	assert method.startswith("yam_agri_core.desk.charts.") and method_exists(method)
	# a Custom chart is shown to the roles listed on it (Frappe's has_permission reads them)
	roles = {r["role"] for r in chart["roles"]}
	assert roles and roles <= ROLES and SENSOR_GATEWAY not in roles
	assert chart["document_type"] in DOCTYPES
	json.loads(chart["custom_options"] or "{}")


# --- translations -------------------------------------------------------------------------------


def desk_strings() -> set[str]:
	found = set(WS) | set(CARDS) | set(CHARTS)
	for ws in WS.values():
		found |= {s["label"] for s in ws["shortcuts"]} | {
			s["format"] for s in ws["shortcuts"] if s.get("format")
		}
		found |= {lk["label"] for lk in ws["links"]}
		for block in json.loads(ws["content"]):
			if block["type"] == "header":
				found.add(re.sub(r"<[^>]+>", "", block["data"]["text"]))
	for source in SOURCES.values():
		found |= set(re.findall(r'__\("([^"]+)"\)', source["_path"].with_suffix(".js").read_text()))
	for path in (APP / "desk").glob("*.py"):
		found |= set(re.findall(r'_\("([^"]+)"\)', path.read_text()))
	found |= set(dashboards.NC_STATUSES) | set(dashboards.NC_SEVERITIES) | set(dashboards.DIRECTIONS)
	found |= set(dashboards.PERIODS)
	return found


def test_every_desk_name_has_an_arabic_row():
	ar = translations()
	missing = sorted(s for s in desk_strings() if not ar.get(s))
	assert not missing, f"add to translations/ar.csv: {missing}"


# --- the pure rules -----------------------------------------------------------------------------

NOW = dt.datetime(2026, 12, 1, 10, 30)


def test_dynamic_expressions_resolve_on_the_server():
	today = NOW.date()
	assert dashboards.resolve_dynamic("frappe.datetime.get_today()", today, NOW) == today
	day_ago = next(e for e in dashboards.DYNAMIC_EXPRESSIONS if "system_datetime" in e)
	assert dashboards.resolve_dynamic(day_ago, today, NOW) == NOW - dt.timedelta(days=1)


def test_silent_devices_follow_each_devices_own_window():
	created = NOW - dt.timedelta(days=3)
	devices = [
		{"last_seen_at": NOW - dt.timedelta(minutes=59), "creation": created, "stale_after_minutes": 60},
		{"last_seen_at": NOW - dt.timedelta(minutes=60), "creation": created, "stale_after_minutes": 60},
		{"last_seen_at": NOW - dt.timedelta(minutes=20), "creation": created, "stale_after_minutes": 15},
		{"last_seen_at": None, "creation": NOW - dt.timedelta(minutes=5), "stale_after_minutes": None},
		{"last_seen_at": None, "creation": NOW - dt.timedelta(hours=2), "stale_after_minutes": None},
	]
	assert dashboards.count_silent(devices, NOW) == 3


def test_calibration_due_until_is_the_alerts_bound():
	assert dashboards.calibration_due_until(dt.date(2026, 12, 1), 7) == dt.date(2026, 12, 8)


def test_period_window_and_buckets():
	start, bucket = dashboards.period_window("Last 24 Hours", NOW)
	assert (start, bucket) == (dt.datetime(2026, 11, 30, 10), dashboards.HOURLY)
	assert len(dashboards.buckets(start, NOW, bucket)) == 25
	start, bucket = dashboards.period_window("Last 7 Days", NOW)
	assert (start, bucket) == (dt.datetime(2026, 11, 24), dashboards.DAILY)
	assert len(dashboards.buckets(start, NOW, bucket)) == 8
	start, bucket = dashboards.period_window("Last 30 Days", NOW)
	assert (start, len(dashboards.buckets(start, NOW, bucket))) == (dt.datetime(2026, 11, 1), 31)
	# a year: every month from the one a year back to this one, across the turn of the year
	start, bucket = dashboards.period_window("Last Year", NOW)
	slots = dashboards.buckets(start, NOW, bucket)
	assert (start, bucket, len(slots)) == (dt.datetime(2025, 12, 1), dashboards.MONTHLY, 13)
	assert slots[1] == dt.datetime(2026, 1, 1) and slots[-1] == dt.datetime(2026, 12, 1)
	# no period, or one it does not know: the last 24 hours (the morning look)
	assert dashboards.period_window(None, NOW) == dashboards.period_window("Last 24 Hours", NOW)
	assert dashboards.period_window("nonsense", NOW) == dashboards.period_window("Last 24 Hours", NOW)


def test_every_period_has_a_short_label_format():
	assert {bucket for _back, bucket in dashboards.PERIODS.values()} == set(dashboards.LABEL_FORMATS)
	assert dashboards.LABEL_FORMATS == {"hour": "HH:mm", "day": "dd-MM", "month": "MMM yyyy"}


def rollup_row(
	bin_, total=0.0, valid=0, warning=0, highest=None, quarantined=0, q_total=0.0, q_high=None, **slot
):
	return {
		"storage_bin": bin_,
		"total": total,
		"valid": valid,
		"warning": warning,
		"highest": highest,
		"quarantined": quarantined,
		"quarantined_total": q_total,
		"highest_quarantined": q_high,
		**slot,
	}


def test_temperature_series_averages_per_bin_with_gaps_and_keeps_the_hottest_bins():
	start, bucket = dashboards.period_window("Last 7 Days", NOW)
	rows = [
		rollup_row("B1", 50.0, 1, 1, 26, day="2026-11-30"),
		rollup_row("B1", 30.0, 1, 0, 30, day=dt.date(2026, 12, 1)),
		rollup_row("B2", 40.0, 2, 0, 21, day="2026-12-01"),
		rollup_row("B3", 99.0, 1, 0, 99, day="2026-01-01"),  # outside the window
	]
	drawn = dashboards.temperature_series(rows, start, NOW, bucket, max_bins=1)
	assert drawn.slots == dashboards.buckets(start, NOW, bucket)  # every day of the window
	assert drawn.series == [("B1", [None] * 6 + [25.0, 30.0])] and drawn.quarantined == {}
	both = dashboards.temperature_series(rows, start, NOW, bucket)
	assert both.series == [("B1", [None] * 6 + [25.0, 30.0]), ("B2", [None] * 7 + [20.0])]


def test_a_bin_whose_readings_were_quarantined_is_a_gap_and_marked_never_zero():
	start, bucket = dashboards.period_window("Last 24 Hours", NOW)
	rows = [
		rollup_row("S1", 42.0, 2, 0, 22, hour="2026-12-01 08:00:00"),
		rollup_row("S1", 21.0, 1, 0, 21, hour=dt.datetime(2026, 12, 1, 9)),
		# S2: its real 43.7 degree readings were quarantined
		rollup_row("S2", 0.0, 0, 0, 0, quarantined=2, q_total=87.4, q_high=43.8, hour="2026-12-01 08:00:00"),
		rollup_row("S2", 25.0, 1, 0, 25, hour=dt.datetime(2026, 12, 1, 9)),
	]
	drawn = dashboards.temperature_series(rows, start, NOW, bucket)
	s2 = dict(drawn.series)["S2"]
	eight = drawn.slots.index(dt.datetime(2026, 12, 1, 8))
	assert s2[eight] is None and s2[eight + 1] == 25.0 and 0 not in s2
	assert drawn.quarantined == {"S2": 2}
	# the bin that needs a look is drawn before hotter ones when bins must be left out
	assert [b for b, _v in dashboards.temperature_series(rows, start, NOW, bucket, max_bins=1).series] == [
		"S2"
	]
	# asked for, the quarantined readings are drawn (and still marked)
	asked = dashboards.temperature_series(rows, start, NOW, bucket, include_quarantined=True)
	assert dict(asked.series)["S2"][eight] == 43.7 and asked.quarantined == {"S2": 2}


def test_hourly_rows_land_in_their_hour_and_monthly_rows_in_their_month():
	start, bucket = dashboards.period_window("Last 24 Hours", NOW)
	drawn = dashboards.temperature_series(
		[rollup_row("B1", 20, 1, 0, 20, hour="2026-12-01 09:00:00")], start, NOW, bucket
	)
	assert drawn.series[0][1][drawn.slots.index(dt.datetime(2026, 12, 1, 9))] == 20.0
	start, bucket = dashboards.period_window("Last Year", NOW)
	rows = [
		rollup_row("B1", 600, 20, 10, 31, year=2026, month=2),
		rollup_row("B1", 40, 2, 0, 21, year=2025, month=12),
	]
	drawn = dashboards.temperature_series(rows, start, NOW, bucket)
	assert drawn.series == [("B1", [20.0, None, 20.0] + [None] * 10)]


def test_legend_names_are_bin_codes_and_name_the_site_when_codes_repeat():
	info = {
		"YEM-TAI-SILO-01-S1": ("S1", "YEM-TAI-SILO-01"),
		"YEM-TAI-SILO-01-S2": ("S2", "YEM-TAI-SILO-01"),
		"YEM-HOD-STORE-01-S1": ("S1", "YEM-HOD-STORE-01"),
		"NO-CODE": (None, "X"),
	}
	one_site = ["YEM-TAI-SILO-01-S1", "YEM-TAI-SILO-01-S2", "NO-CODE"]
	assert dashboards.legend_names(one_site, info) == {
		"YEM-TAI-SILO-01-S1": ("S1", ""),
		"YEM-TAI-SILO-01-S2": ("S2", ""),
		"NO-CODE": ("NO-CODE", ""),
	}
	both = ["YEM-HOD-STORE-01-S1", "YEM-TAI-SILO-01-S1"]
	assert dashboards.legend_names(both, info) == {
		"YEM-HOD-STORE-01-S1": ("S1", " · YEM-HOD-STORE-01"),
		"YEM-TAI-SILO-01-S1": ("S1", " · YEM-TAI-SILO-01"),
	}


def test_status_severity_matrix_in_workflow_order():
	rows = [
		{"status": "Open", "severity": "Critical", "count": 2},
		{"status": "Closed", "severity": "Minor", "count": 5},
		{"status": "Verification", "severity": "Major", "count": 1},
	]
	statuses, data = dashboards.status_severity_matrix(rows)
	assert statuses == ["Open", "Under Investigation", "Corrective Action", "Verification"]
	assert data == [("Critical", [2, 0, 0, 0]), ("Major", [0, 0, 0, 1]), ("Minor", [0, 0, 0, 0])]
	statuses, data = dashboards.status_severity_matrix(rows, include_closed=True)
	assert statuses[-1] == "Closed" and data[2] == ("Minor", [0, 0, 0, 0, 5])


def test_weighed_per_day_fills_every_day_per_direction():
	rows = [
		{"day": "2026-11-30", "direction": "Inbound", "net_kg": 3000},
		{"day": "2026-12-01", "direction": "Outbound", "net_kg": 1200.5},
		{"day": "2026-12-01", "direction": "Inbound", "net_kg": 100},
	]
	labels, data = dashboards.weighed_per_day(rows, dt.date(2026, 11, 29), dt.date(2026, 12, 1))
	assert labels == [dt.date(2026, 11, 29), dt.date(2026, 11, 30), dt.date(2026, 12, 1)]
	assert data == [("Inbound", [0.0, 3000.0, 100.0]), ("Outbound", [0.0, 0.0, 1200.5])]


def test_on_hand_matrix_by_site_and_crop():
	rows = [
		{"site": "A", "crop": "Wheat", "kg": 100},
		{"site": "B", "crop": "Sorghum", "kg": 50},
		{"site": "B", "crop": None, "kg": 5},
	]
	sites, data = dashboards.on_hand_matrix(rows)
	assert sites == ["A", "B"]
	assert data == [("", [0.0, 5.0]), ("Sorghum", [0.0, 50.0]), ("Wheat", [100.0, 0.0])]


@pytest.mark.parametrize(("value", "days"), [(None, 30), ("7", 7), (0, 1), (10_000, 366), ("x", 30)])
def test_clamp_days(value, days):
	assert dashboards.clamp_days(value) == days
