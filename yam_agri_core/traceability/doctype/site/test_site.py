# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.exceptions import YamValidationError
from yam_agri_core.store import get_site_bands
from yam_agri_core.tests.utils import TEST_IGNORE, make_site, unique

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestSite(FrappeTestCase):
	def test_site_code_is_normalised_and_names_the_site(self):
		code = unique("yem-tai silo").lower()
		site = make_site(code)
		self.assertEqual(site.name, code.upper().replace(" ", "-"))
		self.assertEqual(site.scale_tolerance_pct, 2.0)
		self.assertEqual(site.is_active, 1)

	def test_bad_site_code_is_refused(self):
		with self.assertRaises(YamValidationError) as error:
			make_site("YEM__BAD")
		self.assertIn("Site Code", str(error.exception))

	def test_thresholds_must_be_ordered_and_unique_per_metric(self):
		row = {
			"metric": "Temperature",
			"valid_min": 10,
			"valid_max": 30,
			"critical_min": 15,
			"critical_max": 35,
		}
		with self.assertRaises(YamValidationError):
			make_site(thresholds=[row])
		good = {**row, "critical_min": 5}
		with self.assertRaises(frappe.ValidationError):
			make_site(thresholds=[good, good])

	def test_site_bands_are_cached_and_refreshed_on_save(self):
		site = make_site(
			thresholds=[
				{
					"metric": "Temperature",
					"valid_min": 0,
					"valid_max": 20,
					"critical_min": -5,
					"critical_max": 25,
				}
			]
		)
		self.assertEqual(get_site_bands(site.name)["Temperature"].critical_max, 25)
		site.thresholds[0].critical_max = 27
		site.save()
		self.assertEqual(get_site_bands(site.name)["Temperature"].critical_max, 27)
