# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.store import get_active_policy
from yam_agri_core.tests.utils import TEST_IGNORE, ensure_crop, make_season_policy, make_user

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestSeasonPolicy(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.crop = ensure_crop("Sorghum")

	def test_named_by_crop_and_season_and_unique(self):
		policy = make_season_policy(self.crop, " 2031-Spring ", ["Moisture"], ["HACCP"])
		self.assertEqual(policy.name, f"{self.crop}-2031-Spring")
		self.assertEqual(policy.season, "2031-Spring")
		with self.assertRaises(frappe.DuplicateEntryError):
			make_season_policy(self.crop, "2031-Spring")
		frappe.clear_messages()

	def test_validation(self):
		with self.assertRaises(frappe.ValidationError):
			make_season_policy(self.crop, "Spring")
		with self.assertRaises(frappe.ValidationError):
			make_season_policy(self.crop, "2031-Autumn", ["Moisture", "Moisture"])
		with self.assertRaises(frappe.ValidationError):
			make_season_policy(self.crop, "2031-Winter", certificates=["HACCP", "HACCP"])
		self.assertFalse(frappe.db.exists("Season Policy", {"crop": self.crop, "season": "2031-Autumn"}))

	def test_active_policy_for_the_gate(self):
		make_season_policy(self.crop, "2032-Spring", ["Moisture", "Aflatoxin"], ["Phytosanitary"], 30)
		policy = get_active_policy(self.crop, "2032-Spring")
		self.assertEqual(policy.mandatory_tests, ("Moisture", "Aflatoxin"))
		self.assertEqual(policy.mandatory_certificates, ("Phytosanitary",))
		self.assertEqual(policy.max_test_age_days, 30)
		make_season_policy(self.crop, "2032-Autumn", ["Moisture"], is_active=0)
		self.assertIsNone(get_active_policy(self.crop, "2032-Autumn"))
		self.assertIsNone(get_active_policy(self.crop, "2033-Spring"))
		self.assertIsNone(get_active_policy(self.crop, None))

	def test_quality_manager_edits_others_read(self):
		qm = make_user(["Quality Manager"], [], "qm")
		operator = make_user(["Site Operator"], [], "operator")
		with self.set_user(qm):
			policy = frappe.get_doc(
				{"doctype": "Season Policy", "crop": self.crop, "season": "2034-Spring", "is_active": 1}
			).insert()
		with self.set_user(operator):
			self.assertTrue(frappe.get_doc("Season Policy", policy.name).has_permission("read"))
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc(
					{"doctype": "Season Policy", "crop": self.crop, "season": "2034-Autumn"}
				).insert()
		frappe.clear_messages()
