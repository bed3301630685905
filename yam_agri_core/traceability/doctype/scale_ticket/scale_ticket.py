# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document

from yam_agri_core.alerts.events import alert_scale_ticket_mismatch
from yam_agri_core.exceptions import DuplicateTicketError
from yam_agri_core.rules import weighing
from yam_agri_core.settings import get_setting
from yam_agri_core.validation import check_links_same_site, rules_enforced


class ScaleTicket(Document):
	def validate(self):
		self.clear_copied_nonconformance()
		self.set_expected_net_from_lot()
		self.set_tolerance_from_site()
		with rules_enforced():
			self.compute_weighing()
		self.validate_same_site_links()
		self.validate_unique_ticket_no()

	def on_submit(self):
		self.open_mismatch_nonconformance()
		self.alert_quality_managers()

	def clear_copied_nonconformance(self):
		"""Only submitting links a nonconformance; a copy or an amendment starts without one."""
		if self.is_new():
			self.nonconformance = None

	def set_expected_net_from_lot(self):
		if not self.expected_net_kg and self.lot:
			self.expected_net_kg = frappe.db.get_value("Lot", self.lot, "declared_qty_kg")

	def set_tolerance_from_site(self):
		if self.tolerance_pct is None or (self.is_new() and not self.tolerance_pct):
			site_tolerance = frappe.db.get_value("Site", self.site, "scale_tolerance_pct")
			# a site without a tolerance of its own (blank or 0) uses the default of YAM Agri Settings
			self.tolerance_pct = site_tolerance or get_setting("default_scale_tolerance_pct")

	def compute_weighing(self):
		result = weighing.weigh(self.gross_kg, self.tare_kg, self.expected_net_kg, self.tolerance_pct)
		self.tare_kg = self.tare_kg or 0
		self.net_kg = result.net_kg
		self.deviation_pct = result.deviation_pct
		self.mismatch_flag = int(result.mismatch)

	def validate_same_site_links(self):
		check_links_same_site(self, [("lot", "Lot"), ("device", "Device")])

	def validate_unique_ticket_no(self):
		self.ticket_no = (self.ticket_no or "").strip()
		Ticket = frappe.qb.DocType("Scale Ticket")
		query = (
			frappe.qb.from_(Ticket)
			.select(Ticket.name)
			.where(
				(Ticket.site == self.site)
				& (Ticket.ticket_no == self.ticket_no)
				& (Ticket.docstatus < 2)
				& (Ticket.name != (self.name or ""))
			)
			.limit(1)
		)
		if self.amended_from:
			query = query.where(Ticket.name != self.amended_from)
		duplicate = query.run(pluck=True)
		if duplicate:
			frappe.throw(
				_("Ticket No {0} is already used on site {1} by Scale Ticket {2}").format(
					self.ticket_no, self.site, duplicate[0]
				),
				exc=DuplicateTicketError,
				title=_("Not Saved"),
			)

	def open_mismatch_nonconformance(self):
		"""A mismatched ticket opens exactly one Weight Mismatch nonconformance, linked both ways.

		A retried submit finds the one it already opened; an amendment of a mismatched ticket carries
		its nonconformance over instead of opening a second one.
		"""
		if not self.mismatch_flag:
			return
		nc_name = (
			frappe.db.get_value("Nonconformance", {"scale_ticket": self.name, "nc_type": "Weight Mismatch"})
			or (
				self.amended_from and frappe.db.get_value("Scale Ticket", self.amended_from, "nonconformance")
			)
			or self.make_mismatch_nonconformance().name
		)
		if frappe.db.get_value("Nonconformance", nc_name, "scale_ticket") != self.name:
			frappe.db.set_value("Nonconformance", nc_name, "scale_ticket", self.name)
		if self.nonconformance != nc_name:
			self.db_set("nonconformance", nc_name)

	def alert_quality_managers(self):
		alert_scale_ticket_mismatch(self)

	def make_mismatch_nonconformance(self):
		nc = frappe.get_doc(
			{
				"doctype": "Nonconformance",
				"nc_type": "Weight Mismatch",
				"severity": weighing.mismatch_severity(self.deviation_pct, self.tolerance_pct),
				"site": self.site,
				"lot": self.lot,
				"scale_ticket": self.name,
				"description": _(
					"Scale Ticket {0} (ticket no {1}): net weight {2} kg deviates {3}% from the expected {4} kg, "
					"beyond the tolerance of {5}%."
				).format(
					self.name,
					self.ticket_no,
					weighing.format_kg(self.net_kg),
					f"{self.deviation_pct:+.2f}",
					weighing.format_kg(self.expected_net_kg),
					self.tolerance_pct,
				),
			}
		)
		nc.flags.ignore_permissions = True
		nc.insert()
		return nc
