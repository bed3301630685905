# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from yam_agri_core.exceptions import DateRangeError, SiteMismatchError, YamValidationError
from yam_agri_core.tests.utils import TEST_IGNORE, make_bin, make_device, make_site

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestDevice(FrappeTestCase):
	def test_defaults(self):
		device = make_device(make_site().name)
		self.assertEqual(device.stale_after_minutes, 60)
		self.assertEqual(device.is_active, 1)

	def test_bin_of_another_site_is_refused(self):
		a, b = make_site(), make_site()
		with self.assertRaises(SiteMismatchError):
			make_device(a.name, storage_bin=make_bin(b.name).name)

	def test_calibration_dates(self):
		with self.assertRaises(DateRangeError):
			make_device(
				make_site().name, last_calibration_date=today(), calibration_due_date=add_days(today(), -1)
			)

	def test_silent_after_must_be_positive(self):
		with self.assertRaises(YamValidationError):
			make_device(make_site().name, stale_after_minutes=-5)
