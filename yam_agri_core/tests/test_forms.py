"""What the Lot form reads: its genealogy a few generations at a time, and its connections."""

import frappe
from frappe.desk.notifications import _get_linked_document_counts, get_open_count
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.rules.genealogy import MAX_TRACE_DEPTH
from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	make_bin,
	make_certificate,
	make_nc,
	make_qc_test,
	make_site,
	make_stored_lot,
	make_ticket,
	make_transfer,
	make_user,
)
from yam_agri_core.traceability.genealogy import BACKWARD, FORWARD, get_generations, trace_depth

test_ignore = TEST_IGNORE

ROLES = ["Site Operator", "Quality Manager"]


def tree_lots(trace: dict, item: dict | None = None) -> list[tuple[str, int, int]]:
	"""(lot, generation, more) of every tree item, depth first."""
	item = item or trace["tree"]
	out = [(trace["nodes"][item["id"]]["lot"], item["depth"], item.get("more", 0))]
	for child in item["children"]:
		out.extend(tree_lots(trace, child))
	return out


class TestLotForm(FrappeTestCase):
	"""A chain of four generations on site A: A0 --split--> A1 --split--> A2 --split--> A3."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.a = make_site(site_type="Silo").name
		cls.b = make_site(site_type="Silo").name
		chain = [make_stored_lot(cls.a, 8000, storage_bin=make_bin(cls.a, "S1").name).name]
		for qty in (4000, 2000, 1000):
			transfer = make_transfer(cls.a, "Split", [(chain[-1], qty)], [(None, qty)])
			chain.append(transfer.destination_lots[0].lot)
		cls.chain = chain
		cls.ticket = make_ticket(cls.a, 18000, 10000, 8000, lot=chain[0], submit=True).name
		cls.qc = make_qc_test(chain[0]).name
		cls.certificate = make_certificate(cls.a, lot=chain[0]).name
		cls.nc = make_nc(cls.a, lot=chain[0]).name
		cls.user_a = make_user(ROLES, [cls.a], "forms-a")
		cls.user_b = make_user(ROLES, [cls.b], "forms-b")

	def test_the_first_generations_and_where_more_lie(self):
		A0, A1, A2, A3 = self.chain
		trace = get_generations(A0, FORWARD, 2)
		self.assertEqual(tree_lots(trace), [(A0, 0, 0), (A1, 1, 0), (A2, 2, 1)])
		self.assertTrue(trace["truncated"])
		self.assertEqual(trace["max_depth"], 2)
		# the next generations, traced again from the lot that has more
		self.assertEqual(tree_lots(get_generations(A2, FORWARD, 2)), [(A2, 0, 0), (A3, 1, 0)])
		back = get_generations(A3, BACKWARD, 1)
		self.assertEqual(tree_lots(back), [(A3, 0, 0), (A2, 1, 1)])

	def test_the_whole_genealogy_when_no_depth_is_asked(self):
		trace = get_generations(self.chain[0], FORWARD)
		self.assertEqual([lot for lot, _d, _m in tree_lots(trace)], self.chain)
		self.assertFalse(trace["truncated"])
		self.assertFalse(any(more for _l, _d, more in tree_lots(trace)))
		self.assertEqual(trace["max_depth"], MAX_TRACE_DEPTH)

	def test_depth_is_kept_within_bounds(self):
		self.assertEqual(trace_depth(None), MAX_TRACE_DEPTH)
		self.assertEqual(trace_depth(0), MAX_TRACE_DEPTH)
		self.assertEqual(trace_depth(-4), 1)
		self.assertEqual(trace_depth(10_000), MAX_TRACE_DEPTH)
		self.assertEqual(trace_depth("3"), 3)

	def test_a_user_of_another_site_is_refused(self):
		A0 = self.chain[0]
		with self.set_user(self.user_a):
			trace = frappe.call(
				"yam_agri_core.traceability.genealogy.get_generations",
				lot=A0,
				direction="forward",
				generations="2",
			)
			self.assertEqual(len(trace["nodes"]), 3)
			with self.assertRaises(frappe.ValidationError):
				get_generations(A0, "sideways", 2)
		with self.set_user(self.user_b):
			for direction in (FORWARD, BACKWARD):
				with self.assertRaises(frappe.PermissionError):
					get_generations(A0, direction, 2)

	def test_lot_connections_resolve_and_count(self):
		A0, A1 = self.chain[:2]
		data = frappe.get_meta("Lot").get_dashboard_data()
		items = [d for group in data.transactions for d in group["items"]]
		self.assertEqual(
			set(items),
			{
				"QC Test",
				"Certificate",
				"Nonconformance",
				"Scale Ticket",
				"Storage Bin",
				"Observation",
				"Lot Transfer",
			},
		)
		for group in data.transactions:
			self.assertTrue(group["label"])
		counts = get_open_count("Lot", A0)["count"]
		external = {row["doctype"]: row["count"] for row in counts["external_links_found"]}
		internal = {row["doctype"]: row["names"] for row in counts["internal_links_found"]}
		self.assertEqual(
			external,
			{
				"QC Test": 1,
				"Certificate": 1,
				"Nonconformance": 1,
				"Scale Ticket": 1,
				"Observation": 0,
				"Lot Transfer": 1,  # the split that took grain from A0
			},
		)
		self.assertEqual(internal, {"Storage Bin": [frappe.db.get_value("Lot", A0, "storage_bin")]})
		# the list a connection opens is read through the user's permissions
		with self.set_user(self.user_a):
			self.assertEqual(
				frappe.get_list("Lot Transfer", filters={"lot": A1}, pluck="name"),
				[frappe.db.get_value("Lot Transfer Source", {"lot": A1}, "parent")],
			)
		with self.set_user(self.user_b):
			self.assertEqual(frappe.get_list("QC Test", filters={"lot": A0}), [])
			# (get_open_count's timeout check turns this PermissionError into an IndexError: Frappe 15.92)
			with self.assertRaises(frappe.PermissionError):
				_get_linked_document_counts("Lot", A0)
