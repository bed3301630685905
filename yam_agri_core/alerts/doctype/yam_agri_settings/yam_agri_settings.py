# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document

from yam_agri_core.rule_bridge import rules_enforced
from yam_agri_core.rules import settings


class YAMAgriSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		alert_lookback_days: DF.Int
		calibration_lead_days: DF.Int
		certificate_warning_days: DF.Int
		default_scale_tolerance_pct: DF.Float
		keep_readings_live_days: DF.Int
		quarantine_window_minutes: DF.Int
		send_alert_emails: DF.Check
		transfer_loss_tolerance_pct: DF.Float

	# end: auto-generated types
	def validate(self):
		with rules_enforced():
			self.validate_knobs()

	def validate_knobs(self):
		settings.validate_settings(
			{knob.fieldname: self.get(knob.fieldname) for knob in settings.SETTING_RANGES}
		)
