# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document


class YAMAlertLog(Document):
	"""One alert that went out: written by ``yam_agri_core.alerts.delivery`` and never edited. Its
	unique ``alert_key`` is what makes an alert go out exactly once."""
