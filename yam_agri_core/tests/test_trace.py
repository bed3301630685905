"""Trace backward, trace forward and mock recall on a five-generation genealogy across two sites."""

import frappe
from frappe.desk import query_report
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	make_certificate,
	make_nc,
	make_qc_test,
	make_site,
	make_stored_lot,
	make_ticket,
	make_transfer,
	make_user,
)
from yam_agri_core.traceability.genealogy import FORWARD, Genealogy
from yam_agri_core.traceability.report.mock_recall.mock_recall import execute as run_mock_recall
from yam_agri_core.traceability.trace import get_mock_recall, trace_backward, trace_forward

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE

ROLES = ["Site Operator", "Quality Manager"]


def edges_by_lot(trace: dict) -> set[tuple[str, str, float]]:
	"""Edges as (source, destination, kg) with the lots' names (placeholders keep their ids)."""
	label = {node_id: node["lot"] or node_id for node_id, node in trace["nodes"].items()}
	return {(label[e["source"]], label[e["destination"]], e["qty_kg"]) for e in trace["edges"]}


def depths(trace: dict) -> dict[str, int]:
	return {node["lot"] or node_id: node["depth"] for node_id, node in trace["nodes"].items()}


class TestTrace(FrappeTestCase):
	"""Farm (site A) and silo (site B)::

	F1 (A, 4000) --T1 split--> G1 (A, 2000), G2 (B, 2000: farm to silo)
	G1 + F2 (A, 3000) --T2 merge--> H1 (A, 5000)
	G2 --T3 split (B)--> K1 (B, 1000), K2 (B, 990), 10 kg lost
	H1 + F3 (A, 1000, another variety) --T4 blend--> M1 (A, 6000)
	M1 --T5 split--> S1 (A, 3000, shipment), S2 (A, 3000)
	"""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.a = make_site(site_type="Farm").name
		cls.b = make_site(site_type="Silo").name
		lots = {}
		lots["F1"] = make_stored_lot(cls.a, 4000, variety="Sonalika").name
		lots["F2"] = make_stored_lot(cls.a, 3000, variety="Sonalika").name
		lots["F3"] = make_stored_lot(cls.a, 1000, variety="Bohoth 13").name
		t1 = make_transfer(
			cls.a, "Split", [(lots["F1"], 4000)], [(None, 2000), {"qty_kg": 2000, "new_lot_site": cls.b}]
		)
		lots["G1"], lots["G2"] = (row.lot for row in t1.destination_lots)
		t2 = make_transfer(cls.a, "Merge", [(lots["G1"], 2000), (lots["F2"], 3000)], [(None, 5000)])
		lots["H1"] = t2.destination_lots[0].lot
		t3 = make_transfer(cls.b, "Split", [(lots["G2"], 2000)], [(None, 1000), (None, 990)], loss=10)
		lots["K1"], lots["K2"] = (row.lot for row in t3.destination_lots)
		t4 = make_transfer(cls.a, "Blend", [(lots["H1"], 5000), (lots["F3"], 1000)], [(None, 6000)])
		lots["M1"] = t4.destination_lots[0].lot
		t5 = make_transfer(
			cls.a, "Split", [(lots["M1"], 6000)], [{"qty_kg": 3000, "lot_type": "Shipment"}, (None, 3000)]
		)
		lots["S1"], lots["S2"] = (row.lot for row in t5.destination_lots)
		frappe.db.set_value("Lot", lots["S1"], "status", "Shipped")
		cls.lots = lots
		cls.transfers = {"T1": t1.name, "T2": t2.name, "T3": t3.name, "T4": t4.name, "T5": t5.name}
		cls.ticket = make_ticket(cls.a, 14000, 10000, 4000, lot=lots["F1"], submit=True).name
		cls.outbound = make_ticket(
			cls.a, 13000, 10000, 3000, lot=lots["S1"], direction="Outbound", submit=True
		).name
		cls.certificate = make_certificate(cls.a, lot=lots["F1"]).name
		cls.nc = make_nc(cls.b, lot=lots["K1"]).name
		cls.qc_f1 = make_qc_test(lots["F1"], "Moisture", 12.5).name
		cls.qc_draft = make_qc_test(lots["F1"], "Moisture", 15.0, submit=False).name
		cls.qc_k1 = make_qc_test(lots["K1"], "Moisture", 13.0).name
		cls.qc_s1 = make_qc_test(lots["S1"], "Visual", None, result="Pass").name
		cls.user_a = make_user(ROLES, [cls.a], "trace-a")
		cls.user_b = make_user(ROLES, [cls.b], "trace-b")
		cls.nobody = make_user(ROLES, [], "trace-none")

	def name(self, *keys):
		return tuple(self.lots[k] for k in keys)

	def test_trace_backward_of_a_shipment(self):
		trace = trace_backward(self.lots["S1"])
		L = self.lots
		self.assertEqual(
			edges_by_lot(trace),
			{
				(L["M1"], L["S1"], 3000),
				(L["H1"], L["M1"], 5000),
				(L["F3"], L["M1"], 1000),
				(L["G1"], L["H1"], 2000),
				(L["F2"], L["H1"], 3000),
				(L["F1"], L["G1"], 2000),
			},
		)
		self.assertEqual(
			depths(trace),
			{L["S1"]: 0, L["M1"]: 1, L["H1"]: 2, L["F3"]: 2, L["G1"]: 3, L["F2"]: 3, L["F1"]: 4},
		)
		self.assertFalse(trace["truncated"])
		f1 = trace["nodes"][L["F1"]]
		self.assertEqual([t["name"] for t in f1["scale_tickets"]], [self.ticket])
		self.assertEqual([c["name"] for c in f1["certificates"]], [self.certificate])
		edge = next(e for e in trace["edges"] if e["destination"] == L["S1"])
		self.assertEqual((edge["transfer"], edge["transfer_type"]), (self.transfers["T5"], "Split"))
		# the nested tree: S1 <- M1 <- (F3, H1 <- (F2, G1 <- F1))
		tree = trace["tree"]
		self.assertEqual(tree["id"], L["S1"])
		(m1,) = tree["children"]
		self.assertEqual((m1["id"], m1["qty_kg"], m1["depth"]), (L["M1"], 3000, 1))
		self.assertEqual({c["id"] for c in m1["children"]}, {L["H1"], L["F3"]})

	def test_trace_forward_of_a_harvest_lot(self):
		trace = trace_forward(self.lots["F1"])
		L = self.lots
		self.assertEqual(
			edges_by_lot(trace),
			{
				(L["F1"], L["G1"], 2000),
				(L["F1"], L["G2"], 2000),
				(L["G1"], L["H1"], 2000),
				(L["G2"], L["K1"], 1000),
				(L["G2"], L["K2"], 990),
				(L["H1"], L["M1"], 5000),
				(L["M1"], L["S1"], 3000),
				(L["M1"], L["S2"], 3000),
			},
		)
		self.assertEqual(
			depths(trace),
			{
				L["F1"]: 0,
				L["G1"]: 1,
				L["G2"]: 1,
				L["H1"]: 2,
				L["K1"]: 2,
				L["K2"]: 2,
				L["M1"]: 3,
				L["S1"]: 4,
				L["S2"]: 4,
			},
		)
		self.assertEqual(trace["nodes"][L["K1"]]["nonconformances"][0]["name"], self.nc)
		self.assertEqual(trace["nodes"][L["G2"]]["site"], self.b)

	def test_a_user_of_the_farm_sees_the_silo_lots_as_placeholders(self):
		L = self.lots
		with self.set_user(self.user_a):
			trace = trace_forward(L["F1"])
		restricted = {node_id: node for node_id, node in trace["nodes"].items() if node["restricted"]}
		self.assertEqual(len(restricted), 3)  # G2, K1, K2
		for node_id, node in restricted.items():
			self.assertTrue(node_id.startswith("restricted-"))
			self.assertIsNone(node["lot"])
			for key in ("site", "crop", "supplier", "scale_tickets", "nonconformances", "declared_qty_kg"):
				self.assertNotIn(key, node)
		text = frappe.as_json(trace)
		for key in ("G2", "K1", "K2"):
			self.assertNotIn(L[key], text)
		self.assertNotIn(self.nc, text)
		self.assertNotIn(self.transfers["T3"], text)  # the silo's own split
		self.assertIn(self.transfers["T1"], text)  # the farm's split that sent grain to the silo
		quantities = sorted(e["qty_kg"] for e in trace["edges"] if e["destination"] in restricted)
		self.assertEqual(quantities, [990, 1000, 2000])
		self.assertEqual(len(trace["nodes"]), 9)

	def test_a_user_of_the_silo_sees_the_farm_lots_as_placeholders(self):
		L = self.lots
		with self.set_user(self.user_b):
			trace = trace_backward(L["K1"])
			with self.assertRaises(frappe.PermissionError):
				trace_backward(L["F1"])
		self.assertEqual(depths(trace), {L["K1"]: 0, L["G2"]: 1, "restricted-1": 2})
		self.assertEqual(edges_by_lot(trace), {("restricted-1", L["G2"], 2000), (L["G2"], L["K1"], 1000)})
		text = frappe.as_json(trace)
		for secret in (L["F1"], self.ticket, self.certificate, self.transfers["T1"], self.a):
			self.assertNotIn(secret, text)

	def test_no_grant_no_trace(self):
		with self.set_user(self.nobody):
			for method in (trace_backward, trace_forward, get_mock_recall):
				with self.assertRaises(frappe.PermissionError):
					method(self.lots["F1"])

	def test_mock_recall_lists_everything_downstream_and_balances(self):
		L = self.lots
		recall = get_mock_recall(L["F1"])
		self.assertEqual(
			{row["lot"] for row in recall["lots"]},
			set(self.name("F1", "G1", "G2", "H1", "K1", "K2", "M1", "S1", "S2")),
		)
		self.assertEqual({row["lot"] for row in recall["shipments"]}, {L["S1"]})
		s1 = next(row for row in recall["lots"] if row["lot"] == L["S1"])
		self.assertEqual(
			(s1["status"], s1["shipped_kg"], s1["outbound_tickets"]), ("Shipped", 3000, self.outbound)
		)
		balance = recall["mass_balance"]
		# 4000 from F1, plus 3000 (F2) and 1000 (F3) merged in from outside the tree
		self.assertEqual(
			(balance["entered_kg"], balance["shipped_kg"], balance["on_hand_kg"], balance["loss_kg"]),
			(8000, 3000, 4990, 10),
		)
		self.assertEqual((balance["unaccounted_kg"], balance["balanced"]), (0, 1))
		self.assertEqual(len(balance["transfers"]), 5)
		self.assertTrue(all(t["balanced"] for t in balance["transfers"]))

	def test_mock_recall_shows_grain_edited_by_hand(self):
		frappe.db.set_value("Lot", self.lots["S2"], "available_qty_kg", 2900)
		balance = get_mock_recall(self.lots["F1"])["mass_balance"]
		self.assertEqual((balance["unaccounted_kg"], balance["balanced"]), (100, 0))
		frappe.db.set_value("Lot", self.lots["S2"], "available_qty_kg", 3000)

	def test_mock_recall_report(self):
		columns, data, message, _chart, summary = run_mock_recall({"lot": self.lots["F1"]})
		self.assertIn("lot", [c["fieldname"] for c in columns])
		self.assertEqual(len(data), 9)
		self.assertFalse(message)
		cards = {card["label"]: card["value"] for card in summary}
		self.assertEqual(cards["Unaccounted (kg)"], 0)
		self.assertEqual(cards["Transfers Balanced"], "5 / 5")
		with self.set_user(self.user_a):
			_columns, data, *_ = run_mock_recall({"lot": self.lots["F1"]})
			desk = query_report.run("Mock Recall", filters={"lot": self.lots["F1"]})
			self.assertEqual(len(desk["result"]), 9)
			with self.assertRaises(frappe.PermissionError):
				query_report.run("Mock Recall", filters={"lot": self.lots["K1"]})
		restricted = [row for row in data if row["restricted"]]
		self.assertEqual(len(restricted), 3)
		for row in restricted:
			self.assertIsNone(row["lot"])
			self.assertNotIn("site", row)

	def test_cycles_stop(self):
		"""Grain poured back into the lot it came from makes a cycle; the trace still ends."""
		a = make_stored_lot(self.a, 1000).name
		other = make_stored_lot(self.a, 500).name
		split = make_transfer(self.a, "Split", [(a, 1000)], [(None, 600), (None, 400)])
		b = split.destination_lots[0].lot
		make_transfer(self.a, "Merge", [(b, 600), (other, 500)], [(a, 1100)])
		trace = trace_forward(a)
		self.assertEqual(depths(trace), {a: 0, b: 1, split.destination_lots[1].lot: 1})
		self.assertIn((b, a, 600), edges_by_lot(trace))
		(back_to_a,) = next(c for c in trace["tree"]["children"] if c["id"] == b)["children"]
		self.assertEqual((back_to_a["id"], back_to_a.get("repeat")), (a, 1))
		backward = trace_backward(a)
		self.assertEqual(set(depths(backward)), {a, b, other})

	def test_depth_cap_marks_the_trace_truncated(self):
		genealogy = Genealogy(self.lots["F1"], FORWARD, max_depth=2)
		result = genealogy.as_dict()
		self.assertTrue(result["truncated"])
		self.assertEqual(max(node["depth"] for node in result["nodes"].values()), 2)

	def test_both_traces_list_qc_tests_of_every_lot(self):
		L = self.lots
		backward = trace_backward(L["S1"])
		(f1_test,) = backward["nodes"][L["F1"]]["qc_tests"]  # the draft is not a result
		self.assertEqual(
			(f1_test["name"], f1_test["test_type"], f1_test["result"], f1_test["value"], f1_test["unit"]),
			(self.qc_f1, "Moisture", "Pass", 12.5, "%"),
		)
		self.assertEqual(str(f1_test["test_date"]), frappe.utils.today())
		self.assertEqual([t["name"] for t in backward["nodes"][L["S1"]]["qc_tests"]], [self.qc_s1])
		self.assertEqual(backward["nodes"][L["M1"]]["qc_tests"], [])
		forward = trace_forward(L["F1"])
		self.assertEqual([t["name"] for t in forward["nodes"][L["F1"]]["qc_tests"]], [self.qc_f1])
		self.assertEqual([t["name"] for t in forward["nodes"][L["K1"]]["qc_tests"]], [self.qc_k1])
		self.assertEqual([t["name"] for t in forward["nodes"][L["S1"]]["qc_tests"]], [self.qc_s1])
		self.assertNotIn(self.qc_draft, frappe.as_json(forward))

	def test_a_lot_of_a_site_not_granted_shows_no_qc_tests(self):
		L = self.lots
		with self.set_user(self.user_a):
			forward = trace_forward(L["F1"])
			recall = get_mock_recall(L["F1"])
		for node in forward["nodes"].values():
			if node["restricted"]:
				self.assertNotIn("qc_tests", node)
		self.assertEqual([t["name"] for t in forward["nodes"][L["F1"]]["qc_tests"]], [self.qc_f1])
		for text in (frappe.as_json(forward), frappe.as_json(recall)):
			self.assertNotIn(self.qc_k1, text)
		with self.set_user(self.user_b):
			backward = trace_backward(L["K1"])
		self.assertEqual([t["name"] for t in backward["nodes"][L["K1"]]["qc_tests"]], [self.qc_k1])
		self.assertNotIn(self.qc_f1, frappe.as_json(backward))

	def test_mock_recall_lists_qc_tests(self):
		recall = get_mock_recall(self.lots["F1"])
		rows = {row["lot"]: row for row in recall["lots"]}
		self.assertIn("Moisture: Pass 12.5 %", rows[self.lots["F1"]]["qc_summary"])
		self.assertEqual([t["name"] for t in rows[self.lots["K1"]]["qc_tests"]], [self.qc_k1])
		columns, *_ = run_mock_recall({"lot": self.lots["F1"]})
		self.assertIn("qc_summary", [c["fieldname"] for c in columns])
