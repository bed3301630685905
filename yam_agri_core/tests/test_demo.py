import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.demo import make_demo_data


class TestDemoData(FrappeTestCase):
	def test_demo_data_is_realistic_and_idempotent(self):
		first = make_demo_data()
		second = make_demo_data()
		self.assertEqual(first, second)
		self.assertEqual(frappe.db.count("Scale Ticket", {"mismatch_flag": 1, "site": "YEM-TAI-SILO-01"}), 1)
		self.assertTrue(frappe.db.count("Observation", {"quality_flag": "Quarantine"}))
		self.assertTrue(frappe.db.count("Certificate", {"status": "Expiring Soon"}))
		self.assertTrue(frappe.db.count("Nonconformance", {"status": "Open"}) >= 2)
		with self.set_user("silo.taiz@yam-demo.example"):
			self.assertEqual(set(frappe.get_list("Site", pluck="name")), {"YEM-TAI-SILO-01"})
