# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate, today

from yam_agri_core.quality.dispatch_gate import check_lot_dispatch
from yam_agri_core.rules import dispatch, lots
from yam_agri_core.validation import check_links_same_site, rules_enforced, session_roles


class Lot(Document):
	def validate(self):
		with rules_enforced():
			self.set_initial_available_qty()
			self.validate_quantities()
			self.validate_dates()
			self.validate_season()
			self.validate_status_change()
			self.validate_dispatch_gate()
		self.validate_same_site_links()

	def set_initial_available_qty(self):
		self.available_qty_kg = lots.initial_available_qty(
			self.declared_qty_kg, self.available_qty_kg, self.is_new()
		)

	def validate_quantities(self):
		lots.validate_quantities(self.declared_qty_kg, self.available_qty_kg)

	def validate_dates(self):
		lots.validate_dates(
			getdate(self.harvest_date) if self.harvest_date else None,
			getdate(self.receipt_date) if self.receipt_date else None,
			getdate(today()),
		)

	def validate_season(self):
		self.season = (self.season or "").strip() or None
		lots.validate_season(self.season)

	def validate_status_change(self):
		before = self.get_doc_before_save()
		lots.validate_status_change(before.status if before else None, self.status, session_roles())

	def validate_dispatch_gate(self):
		"""Released and Shipped need the evidence of the lot's Season Policy (rules.dispatch)."""
		before = self.get_doc_before_save()
		if dispatch.gate_applies(before.status if before else None, self.status):
			check_lot_dispatch(self)

	def validate_same_site_links(self):
		check_links_same_site(self, [("storage_bin", "Storage Bin")])

	def on_trash(self):
		self.refuse_if_other_lots_descend_from_it()

	def refuse_if_other_lots_descend_from_it(self):
		from yam_agri_core.traceability.doctype.lot_transfer.lot_transfer import (
			refuse_deleting_lot_in_genealogy,
		)

		refuse_deleting_lot_in_genealogy(self.name)


@frappe.whitelist()
def set_lot_status(lot: str, status: str) -> str:
	"""Move a lot to ``status`` (Desk buttons Receive / Store / Release / Ship / Reject)."""
	doc = frappe.get_doc("Lot", lot)
	doc.check_permission("write")
	if status not in lots.STATUSES:
		frappe.throw(_("Status {0} is not a lot status").format(status), exc=frappe.ValidationError)
	doc.status = status
	doc.save()
	return doc.status
