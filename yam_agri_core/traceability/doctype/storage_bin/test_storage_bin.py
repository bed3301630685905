# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.exceptions import SiteMismatchError
from yam_agri_core.tests.utils import TEST_IGNORE, make_bin, make_lot, make_site

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestStorageBin(FrappeTestCase):
	def test_bin_code_unique_within_a_site_only(self):
		a, b = make_site(), make_site()
		bin_a = make_bin(a.name, "b1")
		self.assertEqual(bin_a.bin_code, "B1")
		self.assertEqual(bin_a.name, f"{a.name}-B1")
		make_bin(b.name, "B1")
		with self.assertRaises(frappe.DuplicateEntryError):
			make_bin(a.name, "B1")

	def test_current_lot_of_another_site_is_refused(self):
		a, b = make_site(), make_site()
		lot_b = make_lot(b.name)
		with self.assertRaises(SiteMismatchError):
			make_bin(a.name, "B2", current_lot=lot_b.name)

	def test_holding_a_lot_marks_the_bin_in_use(self):
		a = make_site()
		self.assertEqual(make_bin(a.name, "B3", current_lot=make_lot(a.name).name).status, "In Use")
