# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.exceptions import ImmutableRecordError, SiteMismatchError, UnitError
from yam_agri_core.tests.utils import TEST_IGNORE, make_bin, make_device, make_lot, make_reading, make_site

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestObservation(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name
		cls.bin = make_bin(cls.site, "OB1").name
		cls.lot = make_lot(cls.site).name
		frappe.db.set_value("Storage Bin", cls.bin, "current_lot", cls.lot)

	def device(self, **kwargs):
		return make_device(self.site, storage_bin=self.bin, **kwargs).name

	def test_context_comes_from_the_device(self):
		device = self.device()
		reading = make_reading(device, 22)
		self.assertEqual((reading.site, reading.storage_bin, reading.lot), (self.site, self.bin, self.lot))
		self.assertEqual(reading.quality_flag, "Valid")
		self.assertFalse(reading.flag_reason)
		self.assertEqual(str(frappe.db.get_value("Device", device, "last_seen_at")), str(reading.observed_at))

	def test_at08_hot_bin_is_quarantined_with_a_reason(self):
		reading = make_reading(self.device(), 42)
		self.assertEqual(reading.quality_flag, "Quarantine")
		self.assertIn("42", reading.flag_reason)
		self.assertIn("35", reading.flag_reason)

	def test_warning_band(self):
		reading = make_reading(self.device(), 33)
		self.assertEqual(reading.quality_flag, "Warning")
		self.assertTrue(reading.flag_reason)

	def test_site_thresholds_override_defaults(self):
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
		).name
		self.assertEqual(make_reading(make_device(site).name, 26).quality_flag, "Quarantine")

	def test_grain_moisture_follows_the_crop(self):
		frappe.db.set_value("Crop", "Wheat", "max_storage_moisture_pct", 14)
		device = self.device(device_type="Moisture Sensor")
		self.assertEqual(make_reading(device, 15, "Grain Moisture", "%").quality_flag, "Warning")

	def test_bad_data_is_quarantined(self):
		inactive = self.device(is_active=0)
		self.assertEqual(make_reading(inactive, 22).quality_flag, "Quarantine")
		self.assertEqual(make_reading(self.device(), 22, unit="ppm").quality_flag, "Quarantine")
		self.assertEqual(make_reading(self.device(), 200).quality_flag, "Quarantine")
		self.assertEqual(make_reading(self.device(), 22, minutes_ago=-60).quality_flag, "Quarantine")

	def test_device_of_another_site_is_quarantined(self):
		other_device = make_device(make_site().name).name
		reading = make_reading(other_device, 22, site=self.site)
		self.assertEqual(reading.quality_flag, "Quarantine")

	def test_stuck_sensor_and_impossible_jump(self):
		device = self.device()
		for i in range(19):
			self.assertEqual(make_reading(device, 21.5, minutes_ago=40 - i).quality_flag, "Valid")
		stuck = make_reading(device, 21.5, minutes_ago=20)
		self.assertEqual(stuck.quality_flag, "Quarantine")
		self.assertIn("stuck", stuck.flag_reason)
		jump = make_reading(device, 33.0, minutes_ago=10)
		self.assertEqual(jump.quality_flag, "Quarantine")
		self.assertIn("jump", jump.flag_reason)

	def test_unknown_unit_is_refused_and_nothing_saved(self):
		before = frappe.db.count("Observation")
		with self.assertRaises(UnitError) as error:
			make_reading(self.device(), 22, unit="bananas")
		self.assertIn("Unit", str(error.exception))
		self.assertEqual(frappe.db.count("Observation"), before)

	def test_lot_of_another_site_is_refused(self):
		with self.assertRaises(SiteMismatchError):
			make_reading(self.device(), 22, lot=make_lot(make_site().name).name)

	def test_a_reading_is_never_rewritten_or_deleted(self):
		reading = make_reading(self.device(), 22)
		reading.reload()
		reading.value = 25
		with self.assertRaises(frappe.ValidationError):
			reading.save()
		reading.reload()
		reading.quality_flag = "Quarantine"
		with self.assertRaises(ImmutableRecordError):
			reading.save()
		with self.assertRaises(ImmutableRecordError):
			frappe.delete_doc("Observation", reading.name)

	def test_an_older_reading_does_not_move_last_seen_back(self):
		device = self.device()
		make_reading(device, 22, minutes_ago=1)
		seen = frappe.db.get_value("Device", device, "last_seen_at")
		make_reading(device, 22.2, minutes_ago=30)
		self.assertEqual(frappe.db.get_value("Device", device, "last_seen_at"), seen)
