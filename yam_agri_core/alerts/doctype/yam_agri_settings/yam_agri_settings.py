# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document

from yam_agri_core.rules import alerting
from yam_agri_core.validation import rules_enforced


class YAMAgriSettings(Document):
	def validate(self):
		with rules_enforced():
			self.validate_knobs()

	def validate_knobs(self):
		alerting.validate_settings(
			certificate_warning_days=self.certificate_warning_days,
			calibration_lead_days=self.calibration_lead_days,
			quarantine_window_minutes=self.quarantine_window_minutes,
			alert_lookback_days=self.alert_lookback_days,
			default_scale_tolerance_pct=self.default_scale_tolerance_pct,
			transfer_loss_tolerance_pct=self.transfer_loss_tolerance_pct,
		)
