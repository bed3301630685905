# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document

from yam_agri_core.rule_bridge import rules_enforced
from yam_agri_core.rules import settings


class YAMAgriSettings(Document):
	def validate(self):
		with rules_enforced():
			self.validate_knobs()

	def validate_knobs(self):
		settings.validate_settings(
			{knob.fieldname: self.get(knob.fieldname) for knob in settings.SETTING_RANGES}
		)
