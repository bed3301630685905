# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.exceptions import YamValidationError
from yam_agri_core.rules.alerting import SETTING_DEFAULTS
from yam_agri_core.settings import get_setting
from yam_agri_core.tests.utils import make_site, make_ticket, test_ignore


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

	def test_scale_tickets_fall_back_to_the_default_tolerance(self):
		site = make_site().name
		frappe.db.set_value("Site", site, "scale_tolerance_pct", 0)
		settings = frappe.get_doc("YAM Agri Settings")
		settings.default_scale_tolerance_pct = 5
		settings.save()
		try:
			ticket = make_ticket(site, 15000, 12000, 3100)
			self.assertEqual(ticket.tolerance_pct, 5)
			self.assertFalse(ticket.mismatch_flag)  # -3.2 % is within 5 %
		finally:
			settings.default_scale_tolerance_pct = 2
			settings.save()
