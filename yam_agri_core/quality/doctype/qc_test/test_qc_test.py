# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from yam_agri_core.exceptions import DateRangeError, UnitError, YamValidationError
from yam_agri_core.tests.utils import TEST_IGNORE, make_lot, make_qc_test, make_site, make_user, unique

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestQCTest(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name
		cls.crop = unique("Crop")
		frappe.get_doc(
			{
				"doctype": "Crop",
				"crop_name": cls.crop,
				"max_storage_moisture_pct": 14,
				"max_aflatoxin_ppb": 10,
				"min_protein_pct": 0,
				"min_germination_pct": 85,
				"max_pesticide_residue_mg_kg": 0.5,
			}
		).insert(ignore_permissions=True)
		cls.lot = make_lot(cls.site, crop=cls.crop, season="2026-Spring").name

	def test_context_comes_from_the_lot(self):
		test = make_qc_test(self.lot, "Moisture", 12.5)
		self.assertTrue(test.name.startswith(f"QCT-{today()[:4]}-"))
		self.assertEqual((test.site, test.crop, test.season), (self.site, self.crop, "2026-Spring"))
		self.assertEqual(test.unit, "%")
		self.assertEqual(test.docstatus, 1)

	def test_site_typed_by_the_user_is_replaced_by_the_lots(self):
		test = make_qc_test(self.lot, "Moisture", 12, site=make_site().name, submit=False)
		self.assertEqual(test.site, self.site)

	def test_result_from_the_crop_limits(self):
		cases = [
			("Moisture", 14, "Pass"),
			("Moisture", 14.2, "Fail"),
			("Aflatoxin", 10, "Pass"),
			("Aflatoxin", 11, "Fail"),
			("Germination", 90, "Pass"),
			("Germination", 80, "Fail"),
			("Pesticide Residue", 0.6, "Fail"),
		]
		for test_type, value, result in cases:
			test = make_qc_test(self.lot, test_type, value, result="Pass" if result == "Fail" else "Fail")
			self.assertEqual(test.result, result, (test_type, value))
			self.assertIn(self.crop, test.limit_applied)

	def test_limit_applied_is_in_the_users_language(self):
		lang = frappe.local.lang
		frappe.local.lang = "ar"
		try:
			test = make_qc_test(self.lot, "Moisture", 15)
		finally:
			frappe.local.lang = lang
		self.assertEqual(test.result, "Fail")
		self.assertIn("لا يزيد على", test.limit_applied)

	def test_visual_and_no_limit_results_are_entered(self):
		with self.assertRaises(YamValidationError):
			make_qc_test(self.lot, "Visual", None)
		visual = make_qc_test(self.lot, "Visual", None, result="Fail", remarks="Insect damage")
		self.assertEqual((visual.result, visual.unit), ("Fail", None))
		with self.assertRaises(YamValidationError):
			make_qc_test(self.lot, "Protein", 11)  # the crop sets no protein minimum
		self.assertEqual(make_qc_test(self.lot, "Protein", 11, result="Pass").result, "Pass")

	def test_units_and_values(self):
		self.assertEqual(make_qc_test(self.lot, "Aflatoxin", 4, unit="µg/kg").unit, "ppb")
		with self.assertRaises(UnitError):
			make_qc_test(self.lot, "Aflatoxin", 4, unit="%")
		with self.assertRaises(YamValidationError):
			make_qc_test(self.lot, "Moisture", 101)
		with self.assertRaises(YamValidationError):
			make_qc_test(self.lot, "Aflatoxin", -1)
		with self.assertRaises(DateRangeError):
			make_qc_test(self.lot, "Moisture", 12, test_date=add_days(today(), 1))

	def test_submitted_test_is_evidence_and_cannot_change(self):
		test = make_qc_test(self.lot, "Moisture", 12)
		test.value = 16
		with self.assertRaises(frappe.UpdateAfterSubmitError):
			test.save()
		self.assertEqual(frappe.db.get_value("QC Test", test.name, "result"), "Pass")

	def test_amending_a_cancelled_test(self):
		test = make_qc_test(self.lot, "Moisture", 16)
		test.cancel()
		amended = frappe.copy_doc(test)
		amended.docstatus = 0
		amended.amended_from = test.name
		amended.value = 13
		amended.insert(ignore_permissions=True)
		amended.submit()
		self.assertEqual(amended.result, "Pass")
		self.assertEqual(amended.name, f"{test.name}-1")

	def test_operator_records_tests_of_own_site_only(self):
		operator = make_user(["Site Operator"], [self.site], "lab")
		other_lot = make_lot(make_site().name, crop=self.crop).name
		with self.set_user(operator):
			test = frappe.get_doc(
				{"doctype": "QC Test", "lot": self.lot, "test_type": "Moisture", "value": 12}
			).insert()
			test.submit()
			self.assertEqual(test.docstatus, 1)
			with self.assertRaises(frappe.PermissionError):
				test.cancel()
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc(
					{
						"doctype": "QC Test",
						"lot": other_lot,
						"site": self.site,
						"test_type": "Moisture",
						"value": 12,
					}
				).insert()
		frappe.clear_messages()

	def test_auditor_reads_only(self):
		auditor = make_user(["Auditor"], [self.site], "auditor")
		test = make_qc_test(self.lot, "Moisture", 12)
		with self.set_user(auditor):
			self.assertTrue(frappe.get_doc("QC Test", test.name).has_permission("read"))
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc(
					{"doctype": "QC Test", "lot": self.lot, "test_type": "Moisture", "value": 1}
				).insert()
		frappe.clear_messages()
