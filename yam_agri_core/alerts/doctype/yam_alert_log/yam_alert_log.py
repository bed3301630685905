# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document


class YAMAlertLog(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		alert_key: DF.Data
		alert_type: DF.Literal[
			"Certificate Expiring",
			"Certificate Expired",
			"Sensor Quarantine",
			"Sensor Silent",
			"Scale Ticket Mismatch",
			"Critical Nonconformance",
			"Calibration Due",
		]
		email_queued: DF.Check
		occurrence: DF.Data | None
		reading_count: DF.Int
		recipient_count: DF.Int
		recipients: DF.SmallText | None
		reference_doctype: DF.Link | None
		reference_name: DF.DynamicLink | None
		sent_at: DF.Datetime | None
		site: DF.Link
		subject: DF.SmallText | None
		window_end: DF.Datetime | None
		window_start: DF.Datetime | None
		worst_value: DF.Data | None
	# end: auto-generated types
	"""One alert that went out: written by ``yam_agri_core.alerts.delivery`` and never edited. Its
	unique ``alert_key`` is what makes an alert go out exactly once."""
