# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe.model.document import Document
from frappe.utils import getdate, now_datetime, today

from yam_agri_core.alerts.events import alert_critical_nonconformance
from yam_agri_core.rule_bridge import check_links_same_site, rules_enforced, session_roles
from yam_agri_core.rules import capa


class Nonconformance(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		assigned_to: DF.Link | None
		certificate: DF.Link | None
		closed_by: DF.Link | None
		closed_on: DF.Datetime | None
		corrective_action: DF.SmallText | None
		description: DF.TextEditor
		due_date: DF.Date | None
		lot: DF.Link | None
		naming_series: DF.Literal["NC-.YYYY.-.#####"]
		nc_type: DF.Literal[
			"",
			"Weight Mismatch",
			"Test Failure",
			"Sensor Alert",
			"Certificate Issue",
			"Customer Complaint",
			"Security Incident",
			"Other",
		]
		observation: DF.Link | None
		preventive_action: DF.SmallText | None
		root_cause: DF.SmallText | None
		scale_ticket: DF.Link | None
		severity: DF.Literal["", "Critical", "Major", "Minor"]
		site: DF.Link
		status: DF.Literal["Open", "Under Investigation", "Corrective Action", "Verification", "Closed"]
		verification_notes: DF.SmallText | None
		verification_result: DF.Literal["", "Effective", "Not Effective"]

	# end: auto-generated types
	def validate(self):
		self.set_default_due_date()
		with rules_enforced():
			self.validate_status_change()
		self.validate_same_site_links()
		self.record_closure()

	def on_update(self):
		self.alert_if_critical()

	def set_default_due_date(self):
		if not self.due_date and self.severity:
			opened = getdate(self.creation) if self.creation else getdate(today())
			self.due_date = capa.default_due_date(self.severity, opened)

	def validate_status_change(self):
		before = self.get_doc_before_save()
		capa.validate_transition(
			before.status if before else None,
			self.status,
			self.severity,
			capa.Evidence(self.root_cause, self.corrective_action, self.verification_result),
			session_roles(),
		)

	def validate_same_site_links(self):
		check_links_same_site(
			self,
			[
				("lot", "Lot"),
				("scale_ticket", "Scale Ticket"),
				("observation", "Observation"),
				("certificate", "Certificate"),
			],
		)

	def record_closure(self):
		before = self.get_doc_before_save()
		if self.status == capa.CLOSED and (not before or before.status != capa.CLOSED):
			self.closed_on = now_datetime()
			self.closed_by = frappe.session.user

	def alert_if_critical(self):
		"""Opened as (or raised to) Critical: the site's Quality Managers and Platform Owners, once."""
		alert_critical_nonconformance(self)
