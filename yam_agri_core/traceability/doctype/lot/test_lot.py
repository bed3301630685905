# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from yam_agri_core.exceptions import (
	DateRangeError,
	QuantityError,
	RoleRequiredError,
	SiteMismatchError,
	StatusTransitionError,
)
from yam_agri_core.tests.utils import TEST_IGNORE, make_bin, make_lot, make_site, make_ticket, make_user
from yam_agri_core.traceability.doctype.lot.lot import set_lot_status

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestLot(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name
		cls.operator = make_user(["Site Operator"], [cls.site], "operator")
		cls.qm = make_user(["Quality Manager"], [cls.site], "qm")

	def test_at01_site_bin_and_harvest_lot(self):
		site = make_site(site_name="Taiz Silo 1")
		storage_bin = make_bin(site.name, "S1")
		lot = make_lot(site.name, 3000, storage_bin=storage_bin.name, variety="Yemeni Bayadi")
		self.assertTrue(lot.name.startswith(f"LOT-{today()[:4]}-"))
		self.assertEqual(lot.status, "Draft")
		self.assertEqual(lot.crop, "Wheat")
		self.assertEqual(lot.season, "2026-Spring")
		self.assertEqual(lot.available_qty_kg, 3000)

	def test_quantities(self):
		with self.assertRaises(QuantityError):
			make_lot(self.site, 0)
		with self.assertRaises(QuantityError):
			make_lot(self.site, 100, available_qty_kg=150)
		lot = make_lot(self.site, 100)
		lot.available_qty_kg = -1
		with self.assertRaises(QuantityError):
			lot.save()

	def test_dates(self):
		with self.assertRaises(DateRangeError):
			make_lot(self.site, harvest_date=add_days(today(), 2))
		with self.assertRaises(DateRangeError):
			make_lot(self.site, harvest_date=add_days(today(), -2), receipt_date=add_days(today(), -5))

	def test_bin_of_another_site_is_refused_and_nothing_saved(self):
		other_bin = make_bin(make_site().name, "X1")
		before = frappe.db.count("Lot")
		with self.assertRaises(SiteMismatchError) as error:
			make_lot(self.site, storage_bin=other_bin.name)
		self.assertIn("Storage Bin", str(error.exception))
		self.assertEqual(frappe.db.count("Lot"), before)

	def test_lifecycle_and_quality_decisions(self):
		lot = make_lot(self.site)
		with self.set_user(self.operator):
			self.assertEqual(set_lot_status(lot.name, "Received"), "Received")
			self.assertEqual(set_lot_status(lot.name, "In Storage"), "In Storage")
			with self.assertRaises(RoleRequiredError):
				set_lot_status(lot.name, "Released")
			with self.assertRaises(RoleRequiredError):
				set_lot_status(lot.name, "Rejected")
		with self.set_user(self.qm):
			self.assertEqual(set_lot_status(lot.name, "Released"), "Released")
		with self.set_user(self.operator):
			self.assertEqual(set_lot_status(lot.name, "Shipped"), "Shipped")
			with self.assertRaises(StatusTransitionError):
				set_lot_status(lot.name, "Rejected")

	def test_lots_do_not_move_back(self):
		lot = make_lot(self.site, status="Received")
		lot.status = "Draft"
		with self.assertRaises(StatusTransitionError):
			lot.save()

	def test_quality_manager_rejects_from_any_state_before_shipped(self):
		lot = make_lot(self.site)
		with self.set_user(self.qm):
			self.assertEqual(set_lot_status(lot.name, "Rejected"), "Rejected")

	def test_lot_with_descendant_records_cannot_be_deleted(self):
		lot = make_lot(self.site)
		make_ticket(self.site, 4000, 1000, lot=lot.name)
		with self.assertRaises(frappe.LinkExistsError):
			frappe.delete_doc("Lot", lot.name)
		self.assertTrue(frappe.db.exists("Lot", lot.name))
