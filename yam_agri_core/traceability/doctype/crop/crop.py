# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document

from yam_agri_core import store
from yam_agri_core.rule_bridge import rules_enforced
from yam_agri_core.rules import settings


class Crop(Document):
	def validate(self):
		with rules_enforced():
			self.validate_max_storage_moisture()

	def on_update(self):
		store.forget_crop(self.name)

	def validate_max_storage_moisture(self):
		settings.validate_max_storage_moisture(self.max_storage_moisture_pct)
