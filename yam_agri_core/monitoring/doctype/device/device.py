# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document

from yam_agri_core import store
from yam_agri_core.rule_bridge import check_links_same_site, rules_enforced
from yam_agri_core.rules import settings


class Device(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		calibration_due_date: DF.Date | None
		device_id: DF.Data
		device_type: DF.Literal[
			"", "Temperature Sensor", "Humidity Sensor", "Moisture Sensor", "CO2 Sensor", "Scale", "Other"
		]
		is_active: DF.Check
		last_calibration_date: DF.Date | None
		last_seen_at: DF.Datetime | None
		site: DF.Link
		stale_after_minutes: DF.Int
		storage_bin: DF.Link | None

	# end: auto-generated types
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
