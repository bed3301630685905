# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import threading
import time

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.exceptions import (
	LinkedRecordsExistError,
	LotStateError,
	MassBalanceError,
	OverdrawError,
	YamValidationError,
)
from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	make_bin,
	make_lot,
	make_site,
	make_stored_lot,
	make_transfer,
	make_user,
)
from yam_agri_core.traceability.trace import trace_forward

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


def qty(lot: str) -> tuple[float, float]:
	declared, available = frappe.db.get_value("Lot", lot, ["declared_qty_kg", "available_qty_kg"])
	return float(declared), float(available)


def row_counts() -> dict[str, int]:
	return {
		doctype: frappe.db.count(doctype)
		for doctype in ("Lot", "Lot Transfer", "Lot Transfer Source", "Lot Transfer Destination")
	}


class TestLotTransfer(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site(site_type="Silo").name
		cls.farm = make_site(site_type="Farm").name

	def test_splitting_5000_into_6000_is_refused_and_nothing_changes(self):
		lot = make_stored_lot(self.site, 5000).name
		before = row_counts()
		with self.assertRaises(MassBalanceError):
			make_transfer(self.site, "Split", [(lot, 5000)], [(None, 3000), (None, 3000)])
		with self.assertRaises(OverdrawError):
			make_transfer(self.site, "Split", [(lot, 6000)], [(None, 3000), (None, 3000)])
		self.assertEqual(row_counts(), before)
		self.assertEqual(qty(lot), (5000, 5000))

	def test_overdraw_found_under_the_lock_on_submit_changes_nothing(self):
		lot = make_stored_lot(self.site, 5000).name
		draft = make_transfer(self.site, "Split", [(lot, 4000)], [(None, 2000), (None, 2000)], submit=False)
		frappe.db.set_value("Lot", lot, "available_qty_kg", 3000)  # grain used meanwhile
		before = row_counts()
		with self.assertRaises(OverdrawError):
			frappe.get_doc("Lot Transfer", draft.name).submit()
		self.assertEqual(row_counts(), before)
		self.assertEqual(qty(lot), (5000, 3000))
		self.assertEqual(frappe.db.get_value("Lot Transfer", draft.name, "docstatus"), 0)

	def test_split_balances_and_creates_lots(self):
		storage_bin = make_bin(self.site, "SPL").name
		lot = make_stored_lot(self.site, 5000, variety="Sonalika").name
		transfer = make_transfer(
			self.site,
			"Split",
			[(lot, 5000)],
			[{"qty_kg": 2990, "storage_bin": storage_bin, "lot_type": "Shipment"}, (None, 2000)],
			loss=10,
		)
		self.assertEqual((transfer.total_source_kg, transfer.total_destination_kg), (5000, 4990))
		self.assertEqual(qty(lot), (5000, 0))
		self.assertEqual(transfer.source_lots[0].available_before_kg, 5000)
		created = [frappe.get_doc("Lot", row.lot) for row in transfer.destination_lots]
		self.assertEqual(
			[(c.declared_qty_kg, c.available_qty_kg) for c in created], [(2990, 2990), (2000, 2000)]
		)
		first, second = created
		self.assertEqual(
			(first.status, first.storage_bin, first.lot_type), ("In Storage", storage_bin, "Shipment")
		)
		self.assertEqual((second.status, second.lot_type), ("Received", "Storage"))
		for c in created:
			self.assertEqual(
				(c.site, c.crop, c.season, c.variety), (self.site, "Wheat", "2026-Spring", "Sonalika")
			)
			self.assertEqual(c.source_transfer, transfer.name)
		self.assertTrue(all(row.lot_created for row in transfer.destination_lots))

	def test_partial_split_leaves_the_rest_in_the_source(self):
		"""1,500 kg of a 3,000 kg lot into one new shipment lot: the other 1,500 kg stay in it."""
		lot = make_stored_lot(self.site, 3000, variety="Sonalika").name
		transfer = make_transfer(
			self.site, "Split", [(lot, 1500)], [{"qty_kg": 1500, "lot_type": "Shipment"}]
		)
		self.assertEqual(qty(lot), (3000, 1500))
		self.assertEqual(transfer.source_lots[0].available_before_kg, 3000)
		created = frappe.get_doc("Lot", transfer.destination_lots[0].lot)
		self.assertEqual((created.declared_qty_kg, created.available_qty_kg), (1500, 1500))
		self.assertEqual(
			(created.lot_type, created.variety, created.source_transfer),
			("Shipment", "Sonalika", transfer.name),
		)
		edges = [(e["source"], e["destination"], e["qty_kg"]) for e in trace_forward(lot)["edges"]]
		self.assertEqual(edges, [(lot, created.name, 1500)])
		# the source still holds grain: a second split takes from what is left, not more
		with self.assertRaises(OverdrawError) as error:
			make_transfer(self.site, "Split", [(lot, 1600)], [(None, 1600)])
		self.assertIn("1,500 kg available", str(error.exception))
		self.assertEqual(qty(lot), (3000, 1500))

	def test_partial_split_with_a_loss_balances(self):
		lot = make_stored_lot(self.site, 3000).name
		with self.assertRaises(MassBalanceError):
			make_transfer(self.site, "Split", [(lot, 1500)], [(None, 1490)])
		transfer = make_transfer(self.site, "Split", [(lot, 1500)], [(None, 1490)], loss=10)
		self.assertEqual((transfer.total_source_kg, transfer.total_destination_kg), (1500, 1490))
		self.assertEqual(qty(lot), (3000, 1500))
		self.assertEqual(qty(transfer.destination_lots[0].lot), (1490, 1490))
		with self.assertRaises(MassBalanceError):  # 20 kg is more than 1 % of the 1,500 kg taken
			make_transfer(self.site, "Split", [(lot, 1500)], [(None, 1480)], loss=20)

	def test_cancelling_a_partial_split_restores_the_source(self):
		lot = make_stored_lot(self.site, 3000).name
		transfer = make_transfer(self.site, "Split", [(lot, 1500)], [(None, 1495)], loss=5)
		created = transfer.destination_lots[0].lot
		transfer.reload()
		transfer.cancel()
		self.assertEqual(qty(lot), (3000, 3000))
		self.assertEqual(qty(created), (0, 0))

	def test_the_whole_lot_into_one_destination(self):
		lot = make_stored_lot(self.site, 3000).name
		target = make_stored_lot(self.site, 1000).name
		make_transfer(self.site, "Split", [(lot, 3000)], [(target, 3000)])
		self.assertEqual(qty(lot), (3000, 0))
		self.assertEqual(qty(target), (4000, 4000))
		other = make_stored_lot(self.site, 2000).name
		transfer = make_transfer(self.site, "Split", [(other, 2000)], [(None, 2000)])
		self.assertEqual(qty(other), (2000, 0))
		self.assertEqual(qty(transfer.destination_lots[0].lot), (2000, 2000))

	def test_a_split_taking_more_than_available_is_refused_and_nothing_changes(self):
		lot = make_stored_lot(self.site, 3000).name
		before = row_counts()
		with self.assertRaises(OverdrawError):
			make_transfer(self.site, "Split", [(lot, 3500)], [(None, 3500)])
		with self.assertRaises(YamValidationError):  # a split needs a destination
			make_transfer(self.site, "Split", [(lot, 1500)], [])
		self.assertEqual(row_counts(), before)
		self.assertEqual(qty(lot), (3000, 3000))

	def test_merge_into_an_existing_lot_balances(self):
		a = make_stored_lot(self.site, 3000, variety="Sonalika").name
		b = make_stored_lot(self.site, 2000, variety="Sonalika").name
		target = make_stored_lot(self.site, 1000, variety="Sonalika").name
		make_transfer(self.site, "Merge", [(a, 3000), (b, 1500)], [(target, 4500)])
		self.assertEqual(qty(a), (3000, 0))
		self.assertEqual(qty(b), (2000, 500))
		self.assertEqual(qty(target), (5500, 5500))

	def test_merge_keeps_one_variety_but_blend_mixes(self):
		a = make_stored_lot(self.site, 3000, variety="Sonalika").name
		b = make_stored_lot(self.site, 2000, variety="Bohoth 13").name
		with self.assertRaises(YamValidationError):
			make_transfer(self.site, "Merge", [(a, 3000), (b, 2000)], [(None, 5000)])
		transfer = make_transfer(
			self.site, "Blend", [(a, 3000), (b, 2000)], [(None, 2500), (None, 2480)], loss=20
		)
		self.assertEqual((qty(a)[1], qty(b)[1]), (0, 0))
		for row in transfer.destination_lots:
			lot = frappe.get_doc("Lot", row.lot)
			self.assertFalse(lot.variety)
			self.assertEqual(lot.declared_qty_kg, row.qty_kg)

	def test_loss_beyond_the_tolerance_is_refused(self):
		lot = make_stored_lot(self.site, 1000).name
		with self.assertRaises(MassBalanceError):
			make_transfer(self.site, "Split", [(lot, 1000)], [(None, 490), (None, 490)], loss=20)
		with self.assertRaises(YamValidationError):
			make_transfer(
				self.site, "Split", [(lot, 1000)], [(None, 495), (None, 495)], loss=10, loss_reason=" "
			)
		self.assertEqual(qty(lot), (1000, 1000))
		# the tolerance is YAM Agri Settings' transfer_loss_tolerance_pct
		frappe.db.set_single_value("YAM Agri Settings", "transfer_loss_tolerance_pct", 2.5)
		frappe.clear_document_cache("YAM Agri Settings", "YAM Agri Settings")
		try:
			make_transfer(self.site, "Split", [(lot, 1000)], [(None, 490), (None, 490)], loss=20)
		finally:
			frappe.db.set_single_value("YAM Agri Settings", "transfer_loss_tolerance_pct", 1.0)
			frappe.clear_document_cache("YAM Agri Settings", "YAM Agri Settings")
		self.assertEqual(qty(lot), (1000, 0))

	def test_sources_must_hold_grain(self):
		draft = make_lot(self.site, 1000).name
		with self.assertRaises(LotStateError):
			make_transfer(self.site, "Split", [(draft, 1000)], [(None, 500), (None, 500)])

	def test_a_lot_cannot_be_source_and_destination(self):
		lot = make_stored_lot(self.site, 1000).name
		with self.assertRaises(YamValidationError):
			make_transfer(self.site, "Split", [(lot, 1000)], [(lot, 500), (None, 500)])

	def test_sources_are_of_the_transfers_site(self):
		lot = make_stored_lot(self.farm, 1000).name
		with self.assertRaises(YamValidationError):
			make_transfer(self.site, "Split", [(lot, 1000)], [(None, 500), (None, 500)])

	def test_cancel_puts_everything_back(self):
		a = make_stored_lot(self.site, 3000).name
		b = make_stored_lot(self.site, 2000).name
		target = make_stored_lot(self.site, 1000).name
		transfer = make_transfer(
			self.site, "Blend", [(a, 3000), (b, 2000)], [(target, 2000), (None, 2990)], loss=10
		)
		created = transfer.destination_lots[1].lot
		before = row_counts()
		transfer.reload()
		transfer.cancel()
		self.assertEqual(qty(a), (3000, 3000))
		self.assertEqual(qty(b), (2000, 2000))
		self.assertEqual(qty(target), (1000, 1000))
		# the lot it created is emptied, never deleted (its name is never handed out again)
		self.assertEqual(qty(created), (0, 0))
		self.assertEqual(row_counts(), before)
		self.assertTrue(
			frappe.db.exists(
				"Comment", {"reference_name": created, "content": ["like", f"%{transfer.name}%"]}
			)
		)
		transfer.reload()
		self.assertEqual(transfer.destination_lots[1].lot, created)
		self.assertEqual(trace_forward(a)["edges"], [])
		# the amendment creates its own lot again
		amended = frappe.copy_doc(transfer)
		amended.amended_from = transfer.name
		amended.docstatus = 0
		amended.insert(ignore_permissions=True)
		self.assertFalse(amended.destination_lots[1].lot)
		amended.submit()
		self.assertNotEqual(amended.destination_lots[1].lot, created)
		self.assertEqual(qty(a), (3000, 0))

	def test_cancel_refused_when_the_grain_moved_on(self):
		lot = make_stored_lot(self.site, 5000).name
		first = make_transfer(self.site, "Split", [(lot, 5000)], [(None, 3000), (None, 2000)])
		child = first.destination_lots[0].lot
		later = make_transfer(self.site, "Split", [(child, 3000)], [(None, 1000), (None, 2000)])
		first.reload()
		with self.assertRaises(LinkedRecordsExistError) as error:
			first.cancel()
		self.assertIn(later.name, str(error.exception))
		self.assertEqual(qty(lot), (5000, 0))
		self.assertEqual(frappe.db.get_value("Lot Transfer", first.name, "docstatus"), 1)
		# once the later transfer is cancelled, the first one can be
		later.reload()
		later.cancel()
		first.reload()
		first.cancel()
		self.assertEqual(qty(lot), (5000, 5000))

	def test_cancel_refused_after_shipping(self):
		lot = make_stored_lot(self.site, 2000).name
		transfer = make_transfer(self.site, "Split", [(lot, 2000)], [(None, 1000), (None, 1000)])
		frappe.db.set_value("Lot", transfer.destination_lots[0].lot, "status", "Shipped")
		transfer.reload()
		with self.assertRaises(LinkedRecordsExistError) as error:
			transfer.cancel()
		self.assertIn("Shipped", str(error.exception))
		self.assertEqual(qty(lot), (2000, 0))

	def test_a_lot_other_lots_descend_from_cannot_be_deleted(self):
		lot = make_stored_lot(self.site, 2000).name
		transfer = make_transfer(self.site, "Split", [(lot, 2000)], [(None, 1000), (None, 1000)])
		with self.assertRaises(LinkedRecordsExistError):
			frappe.delete_doc("Lot", lot)
		with self.assertRaises(LinkedRecordsExistError):
			frappe.delete_doc("Lot", transfer.destination_lots[0].lot)
		self.assertTrue(frappe.db.exists("Lot", lot))

	def test_farm_to_silo_needs_both_sites(self):
		lot = make_stored_lot(self.farm, 2000).name
		silo_bin = make_bin(self.site, "F2S").name
		farm_only = make_user(["Site Operator"], [self.farm], "farm")
		both = make_user(["Site Operator"], [self.farm, self.site], "both")
		silo_only = make_user(["Site Operator", "Quality Manager"], [self.site], "silo")

		def transfer():
			return frappe.get_doc(
				{
					"doctype": "Lot Transfer",
					"transfer_type": "Split",
					"site": self.farm,
					"source_lots": [{"lot": lot, "qty_kg": 2000}],
					"destination_lots": [
						{"qty_kg": 1000, "new_lot_site": self.site, "storage_bin": silo_bin},
						{"qty_kg": 1000},
					],
				}
			)

		with self.set_user(farm_only):
			with self.assertRaises(frappe.PermissionError):
				transfer().insert()
		with self.set_user(both):
			doc = transfer().insert()
			doc.submit()
		silo_lot = frappe.get_doc("Lot", doc.destination_lots[0].lot)
		self.assertEqual(
			(silo_lot.site, silo_lot.storage_bin, silo_lot.status), (self.site, silo_bin, "In Storage")
		)
		self.assertEqual(frappe.db.get_value("Lot", doc.destination_lots[1].lot, "site"), self.farm)
		with self.set_user(silo_only):
			self.assertFalse(frappe.get_doc("Lot Transfer", doc.name).has_permission("read"))
			self.assertNotIn(doc.name, frappe.get_list("Lot Transfer", pluck="name", limit_page_length=0))
			self.assertTrue(frappe.get_doc("Lot", silo_lot.name).has_permission("read"))
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc("Lot Transfer", doc.name).cancel()
		with self.set_user(farm_only):
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc("Lot Transfer", doc.name).cancel()  # operators do not cancel

	def test_storage_bin_of_the_destination_site(self):
		lot = make_stored_lot(self.farm, 2000).name
		farm_bin = make_bin(self.farm, "WRONG").name
		with self.assertRaises(YamValidationError):
			make_transfer(
				self.farm,
				"Split",
				[(lot, 2000)],
				[{"qty_kg": 1000, "new_lot_site": self.site, "storage_bin": farm_bin}, (None, 1000)],
			)


def _submit_in_thread(site: str, sites_path: str, name: str, result: dict, before_commit=None, start=None):
	"""Submit transfer ``name`` on a connection of its own and commit (or roll back on refusal)."""
	frappe.init(site=site, sites_path=sites_path)
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		doc = frappe.get_doc("Lot Transfer", name)
		if start:
			start.wait(timeout=30)
		began = time.monotonic()
		try:
			doc.submit()
			if before_commit:
				before_commit()
			frappe.db.commit()
			result[name] = ("submitted", time.monotonic() - began)
		except Exception as error:
			frappe.db.rollback()
			result[name] = (error, time.monotonic() - began)
	finally:
		frappe.destroy()


class TestConcurrentTransfers(FrappeTestCase):
	"""Two connections drain one lot at the same time. These tests commit (the other connections must
	see the records) and delete what they made."""

	def setUp(self):
		self.site = make_site(site_type="Silo").name
		self.lot = make_stored_lot(self.site, 5000).name
		self.transfers = []

	def tearDown(self):
		frappe.db.rollback()
		frappe.set_user("Administrator")
		lots = [self.lot]
		for name in reversed(self.transfers):
			if frappe.db.get_value("Lot Transfer", name, "docstatus") == 1:
				frappe.get_doc("Lot Transfer", name).cancel()
			lots += frappe.get_all(
				"Lot Transfer Destination", {"parent": name, "lot_created": 1}, pluck="lot"
			)
			frappe.delete_doc("Lot Transfer", name, force=True, ignore_missing=True)
		for lot in lots:
			frappe.delete_doc("Lot", lot, force=True, ignore_missing=True)
		frappe.delete_doc("Site", self.site, force=True, ignore_missing=True)
		frappe.db.commit()

	def draft(self, kg: float) -> str:
		doc = make_transfer(
			self.site, "Split", [(self.lot, kg)], [(None, kg / 2), (None, kg / 2)], submit=False
		)
		self.transfers.append(doc.name)
		return doc.name

	def run_threads(self, targets) -> None:
		threads = [threading.Thread(target=target) for target in targets]
		for thread in threads:
			thread.start()
		for thread in threads:
			thread.join(timeout=120)
		frappe.db.rollback()  # a fresh snapshot of what the threads committed

	def test_the_second_transfer_waits_for_the_lock_and_is_refused(self):
		first, second = self.draft(3000), self.draft(3000)
		frappe.db.commit()
		result, locked = {}, threading.Event()

		def hold_the_lock():
			locked.set()
			time.sleep(1.5)  # the first transfer keeps the lot locked before it commits

		site, path = frappe.local.site, frappe.local.sites_path
		self.run_threads(
			[
				lambda: _submit_in_thread(site, path, first, result, before_commit=hold_the_lock),
				lambda: _submit_in_thread(site, path, second, result, start=locked),
			]
		)
		self.assertEqual(result[first][0], "submitted")
		self.assertIsInstance(result[second][0], OverdrawError)
		self.assertGreater(result[second][1], 1.0, "the second submit waited for the first one's lock")
		self.assertEqual(qty(self.lot), (5000, 2000))
		self.assertEqual(frappe.db.get_value("Lot Transfer", second, "docstatus"), 0)

	def test_many_transfers_at_once_never_overdraw(self):
		names = [self.draft(2000) for _ in range(4)]
		frappe.db.commit()
		result, start = {}, threading.Event()
		site, path = frappe.local.site, frappe.local.sites_path
		targets = [
			(lambda name=name: _submit_in_thread(site, path, name, result, start=start)) for name in names
		]
		threading.Timer(0.5, start.set).start()
		self.run_threads(targets)
		submitted = [n for n in names if result[n][0] == "submitted"]
		refused = [n for n in names if isinstance(result[n][0], OverdrawError)]
		self.assertEqual((len(submitted), len(refused)), (2, 2), result)
		self.assertEqual(qty(self.lot), (5000, 1000))
