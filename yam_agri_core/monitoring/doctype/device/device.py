# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document

from yam_agri_core import store
from yam_agri_core.rule_bridge import check_links_same_site, rules_enforced
from yam_agri_core.rules import settings


class Device(Document):
	def validate(self):
		self.normalize_device_id()
		self.validate_same_site_links()
		with rules_enforced():
			self.validate_calibration_dates()
			self.validate_stale_after()

	def on_update(self):
		store.forget_device(self.name)

	def on_trash(self):
		store.forget_device(self.name)

	def normalize_device_id(self):
		self.device_id = (self.device_id or "").strip()

	def validate_same_site_links(self):
		check_links_same_site(self, [("storage_bin", "Storage Bin")])

	def validate_calibration_dates(self):
		settings.validate_calibration_dates(self.last_calibration_date, self.calibration_due_date)

	def validate_stale_after(self):
		settings.validate_stale_after(self.stale_after_minutes)
