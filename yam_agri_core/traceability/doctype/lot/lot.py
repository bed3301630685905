# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate, today

from yam_agri_core import store
from yam_agri_core.exceptions import LinkedRecordsExistError
from yam_agri_core.quality.dispatch_gate import check_lot_dispatch
from yam_agri_core.rule_bridge import check_links_same_site, rules_enforced, session_roles
from yam_agri_core.rules import dispatch, lots


class Lot(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		available_qty_kg: DF.Float
		crop: DF.Link
		customer: DF.Link | None
		declared_qty_kg: DF.Float
		harvest_date: DF.Date | None
		lot_type: DF.Literal["Harvest", "Storage", "Shipment", "Processing"]
		naming_series: DF.Literal["LOT-.YYYY.-.#####"]
		notes: DF.SmallText | None
		receipt_date: DF.Date | None
		season: DF.Data | None
		site: DF.Link
		source_transfer: DF.Link | None
		status: DF.Literal["Draft", "Received", "In Storage", "Released", "Shipped", "Rejected"]
		storage_bin: DF.Link | None
		supplier: DF.Link | None
		variety: DF.Data | None

	# end: auto-generated types
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
		self.refuse_if_in_a_genealogy()

	def on_update(self):
		store.forget_lot(self.name)

	def refuse_if_in_a_genealogy(self):
		"""A lot that a submitted transfer took from (or put grain into) is part of a genealogy."""
		transfer = store.submitted_transfer_of_lot(self.name)
		if transfer:
			frappe.throw(
				_(
					"Lot {0} is part of the genealogy recorded by Lot Transfer {1}; it cannot be deleted"
				).format(self.name, transfer),
				exc=LinkedRecordsExistError,
				title=_("Not Deleted"),
			)


@frappe.whitelist()
def set_lot_status(lot: str, status: str) -> str:
	"""Move a lot to ``status`` (Desk buttons Receive / Store / Release / Ship / Reject)."""
	doc = frappe.get_doc("Lot", lot)
	doc.check_permission("write")
	doc.status = status
	doc.save()
	return doc.status
