# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from yam_agri_core.exceptions import DateRangeError, YamValidationError
from yam_agri_core.validation import check_links_same_site


class Device(Document):
	def validate(self):
		self.normalize_device_id()
		self.validate_same_site_links()
		self.validate_calibration_dates()
		self.validate_stale_after()

	def normalize_device_id(self):
		self.device_id = (self.device_id or "").strip()

	def validate_same_site_links(self):
		check_links_same_site(self, [("storage_bin", "Storage Bin")])

	def validate_calibration_dates(self):
		if self.last_calibration_date and self.calibration_due_date:
			if str(self.calibration_due_date) < str(self.last_calibration_date):
				frappe.throw(
					_("Calibration Due Date cannot be before Last Calibration Date"),
					exc=DateRangeError,
					title=_("Not Saved"),
				)

	def validate_stale_after(self):
		if self.stale_after_minutes is None or self.stale_after_minutes <= 0:
			frappe.throw(
				_("Silent After (minutes) must be greater than zero"),
				exc=YamValidationError,
				title=_("Not Saved"),
			)
