# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.exceptions import YamValidationError
from yam_agri_core.tests.utils import TEST_IGNORE

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestCrop(FrappeTestCase):
	def test_default_crops_are_installed(self):
		for crop in ("Wheat", "Sorghum", "Barley", "Millet", "Maize"):
			self.assertTrue(frappe.db.exists("Crop", crop), crop)

	def test_max_moisture_must_be_plausible(self):
		with self.assertRaises(YamValidationError):
			frappe.get_doc(
				{"doctype": "Crop", "crop_name": "Teff-X", "max_storage_moisture_pct": 80}
			).insert()
