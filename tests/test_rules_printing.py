"""The data shaping behind the print formats (yam_agri_core.rules.printing)."""

from __future__ import annotations

import datetime as dt

from yam_agri_core.rules import printing as p

TODAY = dt.date(2026, 12, 1)


def test_direction_follows_the_print_language():
	assert p.text_direction("ar") == p.text_direction("ar-YE") == p.text_direction("AR_ye") == "rtl"
	assert p.text_direction("en") == p.text_direction(None) == p.text_direction("") == "ltr"


def test_localized_name_prefers_arabic_in_an_arabic_print_and_keeps_the_code():
	assert p.localized_name("YEM-1", "Ta'iz Silo", "صومعة تعز", "ar") == "صومعة تعز (YEM-1)"
	assert p.localized_name("YEM-1", "Ta'iz Silo", "صومعة تعز", "en") == "Ta'iz Silo (YEM-1)"
	assert p.localized_name("YEM-1", "Ta'iz Silo", None, "ar") == "Ta'iz Silo (YEM-1)"
	assert p.localized_name("YEM-1", None, None, "ar") == "YEM-1"
	assert p.localized_name(None, "Wheat", "قمح", "ar") == "قمح"
	assert p.localized_name("Wheat", "Wheat", None, "en") == "Wheat"


def test_weights_and_percentages_for_print():
	assert p.kg(14000) == "14,000"
	assert p.kg(2200.5) == "2,200.5"
	assert p.kg(None) == ""
	assert p.kg(0) == "0"
	assert p.pct(-26.6667) == "-26.67 %"
	assert p.pct(1.5) == "+1.50 %"
	assert p.pct(None) == ""


def test_weighing_verdict():
	bad = p.weighing_verdict(2200, 3000, 2.0, -26.6667, 1)
	assert bad["state"] == p.MISMATCH
	assert (bad["net"], bad["expected"], bad["difference"], bad["deviation"], bad["tolerance"]) == (
		"2,200",
		"3,000",
		"-800",
		"-26.67 %",
		"± 2.00 %",
	)
	good = p.weighing_verdict(3010, 3000, 2.0, 0.3333, 0)
	assert good["state"] == p.WITHIN_TOLERANCE and good["difference"] == "+10"
	# the stored flag decides: a ticket judged with a zero tolerance stays a mismatch
	assert p.weighing_verdict(3001, 3000, 0.0, 0.0333, 1)["state"] == p.MISMATCH
	none = p.weighing_verdict(3000, None, 2.0, None, 0)
	assert (
		none["state"] == p.NOT_COMPARED and none["expected"] == none["deviation"] == none["difference"] == ""
	)


def test_quality_verdict_judges_the_latest_test_of_each_type():
	tests = [
		{"name": "Q1", "test_type": "Moisture", "test_date": "2026-11-01", "result": "Fail"},
		{"name": "Q2", "test_type": "Moisture", "test_date": "2026-11-20", "result": "Pass"},
		{"name": "Q3", "test_type": "Aflatoxin", "test_date": "2026-11-02", "result": "Pass"},
		{"name": "Q4", "test_type": "Visual", "test_date": "2026-11-02", "result": None},
	]
	verdict = p.quality_verdict(tests)
	assert verdict["verdict"] == p.ALL_PASSED
	assert [t["name"] for t in verdict["latest"]] == ["Q3", "Q2", "Q4"]
	assert (verdict["passed"], verdict["failed"], verdict["without_result"], verdict["superseded"]) == (
		2,
		0,
		1,
		1,
	)
	tests.append({"name": "Q5", "test_type": "Aflatoxin", "test_date": "2026-11-21", "result": "Fail"})
	assert p.quality_verdict(tests)["verdict"] == p.SOME_FAILED
	assert p.quality_verdict([])["verdict"] == p.NO_TESTS
	assert p.quality_verdict([tests[3]])["verdict"] == p.NOT_ASSESSED


def test_same_day_tests_are_ordered_by_name():
	tests = [
		{"name": "Q9", "test_type": "Moisture", "test_date": dt.date(2026, 11, 1), "result": "Pass"},
		{"name": "Q10", "test_type": "Moisture", "test_date": dt.date(2026, 11, 1), "result": "Fail"},
	]
	# names compare as text, as the series pads them (QCT-2026-00009 < QCT-2026-00010)
	assert p.latest_tests(tests)[0]["name"] == "Q9"


def test_certificates_active_first_with_days_left():
	rows = p.certificate_rows(
		[
			{"name": "C1", "status": "Expired", "expiry_date": "2026-10-01"},
			{"name": "C2", "status": "Active", "expiry_date": dt.date(2027, 6, 1)},
			{"name": "C3", "status": "Expiring Soon", "expiry_date": "2026-12-21"},
			{"name": "C4", "status": "Revoked", "expiry_date": None},
		],
		TODAY,
	)
	assert [r["name"] for r in rows] == ["C2", "C3", "C1", "C4"]
	assert [r["days_left"] for r in rows] == [182, 20, -61, None]


def test_capa_timeline():
	opened = dt.datetime(2026, 11, 20, 9, 30)
	assert p.capa_timeline(opened, "2026-11-27", None, TODAY) == {
		"state": p.OVERDUE,
		"days_open": 11,
		"days_late": 4,
		"days_left": None,
	}
	on_track = p.capa_timeline(opened, dt.date(2026, 12, 4), None, TODAY)
	assert (on_track["state"], on_track["days_left"], on_track["days_late"]) == (p.ON_TRACK, 3, 0)
	late = p.capa_timeline(opened, "2026-11-27", dt.datetime(2026, 11, 29, 8), TODAY)
	assert (late["state"], late["days_open"], late["days_late"], late["days_left"]) == (
		p.CLOSED_LATE,
		9,
		2,
		None,
	)
	on_time = p.capa_timeline(opened, "2026-11-27", "2026-11-27 18:00:00", TODAY)
	assert on_time["state"] == p.CLOSED_ON_TIME and on_time["days_late"] == 0
	assert p.capa_timeline(opened, None, None, TODAY)["state"] == p.NO_DUE_DATE
	assert p.capa_timeline(None, None, None, TODAY)["days_open"] is None


def test_capa_steps():
	assert [s["state"] for s in p.capa_steps("Corrective Action")] == [
		"done",
		"done",
		"current",
		"todo",
		"todo",
	]
	assert [s["state"] for s in p.capa_steps("Closed")] == ["done"] * 5
	assert p.capa_steps(None)[0]["state"] == "current"
	assert [s["status"] for s in p.capa_steps("Open")] == [
		"Open",
		"Under Investigation",
		"Corrective Action",
		"Verification",
		"Closed",
	]


def trace(direction="backward"):
	"""L0 <- A (via T1, 600) <- C (T2); L0 <- B (restricted, T3 hidden) ; C reached again under B."""
	nodes = {
		"L0": {"id": "L0", "depth": 0, "lot": "L0", "label": "L0", "site": "S1", "restricted": 0},
		"A": {
			"id": "A",
			"depth": 1,
			"lot": "A",
			"label": "A",
			"site": "S1",
			"restricted": 0,
			"crop": "Wheat",
			"scale_tickets": [{"name": "SCL-2", "net_kg": 600, "ticket_datetime": "2026-11-02 10:00"}],
		},
		"restricted-1": {
			"id": "restricted-1",
			"depth": 1,
			"lot": None,
			"label": "Restricted lot",
			"restricted": 1,
		},
		"C": {
			"id": "C",
			"depth": 2,
			"lot": "C",
			"label": "C",
			"site": "S2",
			"restricted": 0,
			"scale_tickets": [{"name": "SCL-1", "net_kg": 1000, "ticket_datetime": "2026-11-01 08:00"}],
		},
	}
	tree = {
		"id": "L0",
		"depth": 0,
		"children": [
			{"id": "A", "depth": 1, "qty_kg": 600, "transfer": "T1", "children": [
				{"id": "C", "depth": 2, "qty_kg": 600, "transfer": "T2", "children": [], "more": 1},
			]},
			{"id": "restricted-1", "depth": 1, "qty_kg": 400, "transfer": None, "children": [
				{"id": "C", "depth": 2, "qty_kg": 400, "transfer": None, "children": [], "repeat": 1},
			]},
		],
	}  # fmt: skip
	edges = [
		{"source": "A", "destination": "L0", "qty_kg": 600, "transfer": "T1", "transfer_type": "Split",
			"transfer_date": "2026-11-03"},
		{"source": "C", "destination": "A", "qty_kg": 600, "transfer": "T2", "transfer_type": "Merge",
			"transfer_date": "2026-11-02"},
		{"source": "restricted-1", "destination": "L0", "qty_kg": 400, "transfer": None},
	]  # fmt: skip
	return {"lot": "L0", "direction": direction, "truncated": 1, "nodes": nodes, "edges": edges, "tree": tree}


def test_flatten_tree_depth_first_without_the_start():
	rows = p.flatten_tree(trace())
	assert [(r["id"], r["level"], r["qty"], r["transfer"]) for r in rows] == [
		("A", 1, "600", "T1"),
		("C", 2, "600", "T2"),
		("restricted-1", 1, "400", None),
		("C", 2, "400", None),
	]
	assert [(r["repeat"], r["more"], r["restricted"]) for r in rows] == [
		(0, 0, 0),
		(0, 1, 0),
		(0, 0, 1),
		(1, 0, 0),
	]
	assert rows[0]["crop"] == "Wheat" and "scale_tickets" not in rows[0]
	assert rows[2]["lot"] is None and rows[2]["label"] == "Restricted lot"


def test_flatten_tree_of_a_deep_genealogy_does_not_recurse():
	tree = {"id": "n0", "depth": 0, "children": []}
	node, nodes = tree, {"n0": {"id": "n0", "depth": 0}}
	for i in range(1, 3000):
		child = {"id": f"n{i}", "depth": i, "qty_kg": 1, "transfer": f"T{i}", "children": []}
		node["children"].append(child)
		nodes[f"n{i}"] = {"id": f"n{i}", "depth": i, "lot": f"n{i}"}
		node = child
	rows = p.flatten_tree({"tree": tree, "nodes": nodes})
	assert len(rows) == 2999 and rows[-1]["level"] == 2999
	assert p.flatten_tree({}) == []


def test_trace_transfers_once_each_by_date_without_hidden_ones():
	rows = p.trace_transfers(trace(), trace("forward"))
	assert [(r["name"], r["sources"], r["destinations"]) for r in rows] == [
		("T2", ["C"], ["A"]),
		("T1", ["A"], ["L0"]),
	]


def test_trace_tickets_once_each_by_time():
	rows = p.trace_tickets(trace(), trace("forward"))
	assert [(t["name"], t["lot"], t["net"]) for t in rows] == [("SCL-1", "C", "1,000"), ("SCL-2", "A", "600")]


def test_trace_summary():
	forward = {"nodes": {"L0": {"depth": 0, "site": "S1"}}, "truncated": 0}
	summary = p.trace_summary(trace(), forward)
	assert summary == {
		"ancestors": 3,
		"ancestors_restricted": 1,
		"ancestors_truncated": 1,
		"descendants": 0,
		"descendants_restricted": 0,
		"descendants_truncated": 0,
		"sites": ["S1", "S2"],
	}


def test_bidi_runs_isolate_arabic_words_from_codes_numbers_and_punctuation():
	assert p.bidi_runs("طبع في 12-01-2026 17:36:15 بواسطة Administrator") == [
		("طبع", "rtl"),
		(" ", ""),
		("في", "rtl"),
		(" ", ""),
		("12-01-2026 17:36:15", "ltr"),
		(" ", ""),
		("بواسطة", "rtl"),
		(" ", ""),
		("Administrator", "ltr"),
	]
	assert p.bidi_runs("(كجم)") == [("(", ""), ("كجم", "rtl"), (")", "")]
	assert p.bidi_runs("مفتوحة.") == [("مفتوحة", "rtl"), (".", "")]
	assert p.bidi_runs("صومعة · (YEM-1)")[-1] == ("(YEM-1)", "ltr")


def test_bidi_runs_keep_text_without_arabic_whole_and_lose_nothing():
	assert p.bidi_runs("Fatima Qasem") == [("Fatima Qasem", "ltr")]
	assert p.bidi_runs(" · ") == [(" · ", "")]
	assert p.bidi_runs("") == p.bidi_runs(None) == []
	for text in ("طبع في 12-01-2026 بواسطة Ali", "  بقي  5 يوم\nثم (x) ", "a ب c د 1 ه"):
		assert "".join(chunk for chunk, _d in p.bidi_runs(text)) == text
