# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from yam_agri_core.exceptions import YamValidationError


class Crop(Document):
	def validate(self):
		self.validate_max_storage_moisture()

	def validate_max_storage_moisture(self):
		if not 5 <= (self.max_storage_moisture_pct or 0) <= 40:
			frappe.throw(
				_("Max Storage Moisture (%) must be between {0} and {1}").format(5, 40),
				exc=YamValidationError,
				title=_("Not Saved"),
			)
