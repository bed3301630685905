# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.exceptions import YamValidationError
from yam_agri_core.rules.settings import SETTING_DEFAULTS
from yam_agri_core.settings import get_setting
from yam_agri_core.tests.utils import TEST_IGNORE, make_site, make_ticket

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestYAMAgriSettings(FrappeTestCase):
	def test_defaults_are_in_place_after_install(self):
		for fieldname, default in SETTING_DEFAULTS.items():
			self.assertEqual(float(get_setting(fieldname)), float(default), fieldname)

	def test_out_of_range_knobs_are_refused_with_their_labels(self):
		settings = frappe.get_doc("YAM Agri Settings")
		settings.certificate_warning_days = 0
		settings.quarantine_window_minutes = 0
		with self.assertRaises(YamValidationError) as caught:
			settings.save()
		self.assertIn("Certificate Warning Days", str(caught.exception))
		self.assertIn("Quarantine Batching Window", str(caught.exception))
		self.assertEqual(int(frappe.db.get_single_value("YAM Agri Settings", "certificate_warning_days")), 30)

	def test_a_site_saved_without_a_tolerance_takes_the_default(self):
		settings = frappe.get_doc("YAM Agri Settings")
		settings.default_scale_tolerance_pct = 5
		settings.save()
		try:
			site = make_site()
			self.assertEqual(site.scale_tolerance_pct, 5)
			ticket = make_ticket(site.name, 15000, 12000, 3100)
			self.assertEqual(ticket.tolerance_pct, 5)
			self.assertFalse(ticket.mismatch_flag)  # -3.2 % is within 5 %
		finally:
			settings.default_scale_tolerance_pct = 2
			settings.save()
		self.assertEqual(make_site().scale_tolerance_pct, 2)

	def test_a_zero_tolerance_site_flags_every_deviation(self):
		"""0 % is a tolerance (a weighbridge under legal metrology), not a blank."""
		site = make_site(scale_tolerance_pct=0)
		self.assertEqual(site.reload().scale_tolerance_pct, 0)
		clean = make_ticket(site.name, 15000, 12000, 3000, submit=True)
		self.assertEqual((clean.tolerance_pct, clean.mismatch_flag), (0, 0))
		off_by_10_kg = make_ticket(site.name, 15010, 12000, 3000, submit=True)
		self.assertEqual((off_by_10_kg.tolerance_pct, off_by_10_kg.mismatch_flag), (0, 1))
		self.assertTrue(off_by_10_kg.nonconformance)

	def test_a_ticket_keeps_a_tolerance_typed_on_it(self):
		site = make_site(scale_tolerance_pct=5).name
		self.assertEqual(make_ticket(site, 15100, 12000, 3000, tolerance_pct=0).mismatch_flag, 1)
		self.assertEqual(make_ticket(site, 15100, 12000, 3000).mismatch_flag, 0)
