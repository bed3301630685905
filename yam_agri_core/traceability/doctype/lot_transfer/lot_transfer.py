# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

"""Lot Transfer: split, merge or blend lots; submitting moves the grain, cancelling puts it back.

The rules are in ``yam_agri_core.rules.transfer_checks`` (saving and submitting) and
``yam_agri_core.rules.transfer_reversal`` (cancelling). Submitting locks every lot involved
(``SELECT ... FOR UPDATE`` in name order, so that two transfers never deadlock), checks availability
again on the locked rows and moves the quantities in the same transaction: two transfers draining
one lot at the same time queue on the lock, and the second sees what the first left.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt, getdate, now, today

from yam_agri_core import store
from yam_agri_core.permissions import user_has_site
from yam_agri_core.rule_bridge import rules_enforced
from yam_agri_core.rules import transfer_checks, transfer_reversal, transfers
from yam_agri_core.rules.transfers import DestinationLine, LotState, SourceLine
from yam_agri_core.settings import get_setting
from yam_agri_core.traceability.doctype.lot.lot import settle_weighed_quantity

LOT_STATE_FIELDS = (
	"name",
	"site",
	"crop",
	"status",
	"declared_qty_kg",
	"available_qty_kg",
	"variety",
	"season",
	"supplier",
	"weighed_qty_kg",
)


class LotTransfer(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from yam_agri_core.traceability.doctype.lot_transfer_destination.lot_transfer_destination import (
			LotTransferDestination,
		)
		from yam_agri_core.traceability.doctype.lot_transfer_source.lot_transfer_source import (
			LotTransferSource,
		)

		amended_from: DF.Link | None
		destination_lots: DF.Table[LotTransferDestination]
		loss_reason: DF.SmallText | None
		naming_series: DF.Literal["LTR-.YYYY.-.#####"]
		process_loss_kg: DF.Float
		remarks: DF.SmallText | None
		site: DF.Link
		source_lots: DF.Table[LotTransferSource]
		total_destination_kg: DF.Float
		total_source_kg: DF.Float
		transfer_date: DF.Date
		transfer_type: DF.Literal["Split", "Merge", "Blend"]

	# end: auto-generated types
	def validate(self):
		self.reset_rows_of_amendment()
		self.read_lots()
		self.set_row_details()
		self.set_totals()
		with rules_enforced():
			self.validate_transfer_date()
			self.validate_shape()
			self.validate_lines()
			self.validate_sources()
			self.validate_destinations()
			self.validate_crops()
			self.validate_availability()
			self.validate_loss()
			self.validate_mass_balance()
		self.validate_user_sites()

	def before_submit(self):
		self.lock_lots_and_check_availability()

	def on_submit(self):
		self.take_from_sources()
		self.put_into_destinations()

	def before_cancel(self):
		self.validate_user_sites()
		self.lock_lots_and_check_reversal()

	def on_cancel(self):
		self.put_back_into_sources()
		self.take_back_from_destinations()
		self.settle_weighed_sources()

	# --- steps of validate -------------------------------------------------------------------------

	def reset_rows_of_amendment(self):
		"""An amendment creates its own lots: rows whose lot the cancelled original created start blank."""
		if not self.is_new():
			return
		for row in self.destination_lots:
			if row.lot_created:
				row.lot = None
				row.lot_created = 0
				row.created_lot = None

	def read_lots(self):
		names = {row.lot for row in [*self.source_lots, *self.destination_lots] if row.lot}
		self._lots = visible_lots(read_lot_states(names))

	def set_row_details(self):
		for row in self.source_lots:
			state = self._lots.get(row.lot)
			row.site = state.site if state else None
			row.crop = state.crop if state else None
			if self.docstatus == 0:
				row.available_before_kg = state.available_qty_kg if state else None
		bins = {row.storage_bin for row in self.destination_lots if row.storage_bin and not row.lot}
		self._bin_sites = {
			name: site
			for name, site in (
				frappe.get_all(
					"Storage Bin", filters={"name": ["in", list(bins)]}, fields=["name", "site"], as_list=True
				)
				if bins
				else []
			)
			if user_has_site(site, doctype="Storage Bin")
		}  # a bin of a site the user may not see: the new lot refuses it as not found (rule_bridge)
		for row in self.destination_lots:
			if row.lot:
				state = self._lots.get(row.lot)
				row.site = state.site if state else None
			else:
				row.new_lot_site = row.new_lot_site or self.site
				row.site = row.new_lot_site
				row.lot_type = row.lot_type or "Storage"

	def set_totals(self):
		self.process_loss_kg = flt(self.process_loss_kg)
		self.total_source_kg = transfers.total_kg(row.qty_kg for row in self.source_lots)
		self.total_destination_kg = transfers.total_kg(row.qty_kg for row in self.destination_lots)

	def validate_transfer_date(self):
		transfer_checks.validate_transfer_date(
			getdate(self.transfer_date) if self.transfer_date else None, getdate(today())
		)

	def validate_shape(self):
		transfer_checks.validate_shape(self.transfer_type, len(self.source_lots), len(self.destination_lots))

	def validate_lines(self):
		transfer_checks.validate_lines(self.source_lines(), self.destination_lines())

	def validate_sources(self):
		transfer_checks.validate_sources(self.site, self.source_lines())

	def validate_destinations(self):
		transfer_checks.validate_destinations(self.destination_lines())

	def validate_crops(self):
		transfer_checks.validate_crops(self.transfer_type, self.source_lines(), self.destination_lines())

	def validate_availability(self):
		transfer_checks.validate_availability(self.source_lines())

	def validate_loss(self):
		transfer_checks.validate_loss(self.process_loss_kg, self.loss_reason)

	def validate_mass_balance(self):
		transfer_checks.validate_mass_balance(
			self.total_source_kg, self.total_destination_kg, self.process_loss_kg, loss_tolerance_pct()
		)

	def validate_user_sites(self):
		"""Grain leaving one site for another: the user needs every site it leaves or reaches."""
		for site in transfers.sites_involved(self.site, self.destination_lines()):
			if not user_has_site(site, doctype="Lot"):
				frappe.throw(
					_("You need access to site {0} to move grain to or from it").format(site),
					exc=frappe.PermissionError,
					title=_("Not Permitted"),
				)

	# --- submitting --------------------------------------------------------------------------------

	def lock_lots_and_check_availability(self):
		"""Lock every lot of the transfer and check the sources again on the locked rows."""
		self._lots = visible_lots(lock_lots(self.lot_names()))
		with rules_enforced():
			self.validate_sources()
			self.validate_destinations()
			self.validate_availability()
		for row in self.source_lots:
			row.available_before_kg = self._lots[row.lot].available_qty_kg

	def take_from_sources(self):
		for row in self.source_lots:
			add_to_lot(row.lot, available_kg=-flt(row.qty_kg))

	def put_into_destinations(self):
		values = transfers.new_lot_values(self.source_lines())
		for row in self.destination_lots:
			if row.lot:
				add_to_lot(row.lot, available_kg=flt(row.qty_kg), declared_kg=flt(row.qty_kg))
				continue
			lot = self.make_destination_lot(row, values)
			row.db_set({"lot": lot.name, "lot_created": 1, "created_lot": lot.name, "site": lot.site})

	def make_destination_lot(self, row, values: dict):
		lot = frappe.get_doc(
			{
				"doctype": "Lot",
				"lot_type": row.lot_type or "Storage",
				"status": transfers.new_lot_status(row.storage_bin),
				"site": row.new_lot_site or self.site,
				"storage_bin": row.storage_bin,
				**{key: value for key, value in values.items() if value},
				"declared_qty_kg": flt(row.qty_kg),
				"available_qty_kg": flt(row.qty_kg),
				"receipt_date": self.transfer_date,
				"source_transfer": self.name,
				"notes": _("Created by Lot Transfer {0}").format(self.name),
			}
		)
		lot.flags.ignore_permissions = True
		return lot.insert()

	# --- cancelling --------------------------------------------------------------------------------

	def lock_lots_and_check_reversal(self):
		self._lots = lock_lots(self.lot_names())
		created = [row.lot for row in self.destination_lots if row.lot and row.lot_created]
		with rules_enforced():
			transfer_reversal.validate_reversal(
				self.source_lines(),
				self.destination_lines(),
				store.transfers_using(created, exclude=self.name),
			)

	def put_back_into_sources(self):
		for row in self.source_lots:
			add_to_lot(row.lot, available_kg=flt(row.qty_kg))

	def settle_weighed_sources(self):
		"""A weighed source gets back what the scale says is there: the grain put back meets the
		shortfall the weighing could not deduct while the grain was out (``rules.weighed``)."""
		reason = _("Lot Transfer {0} cancelled").format(self.name)
		for row in self.source_lots:
			state = self.lots.get(row.lot)
			if state and state.weighed_qty_kg:
				settle_weighed_quantity(row.lot, reason)

	def take_back_from_destinations(self):
		for row in self.destination_lots:
			if row.lot_created:
				self.empty_created_lot(row.lot)
			else:
				add_to_lot(row.lot, available_kg=-flt(row.qty_kg), declared_kg=-flt(row.qty_kg))

	def empty_created_lot(self, lot: str):
		"""A lot this transfer created is emptied, not deleted: its name may be on labels and papers
		already, and Frappe would hand a deleted last name of the series to the next lot."""
		Lot = frappe.qb.DocType("Lot")
		(
			frappe.qb.update(Lot)
			.set(Lot.declared_qty_kg, 0)
			.set(Lot.available_qty_kg, 0)
			.set(Lot.modified, now())
			.set(Lot.modified_by, frappe.session.user)
			.where(Lot.name == lot)
		).run()
		frappe.get_doc("Lot", lot).add_comment(
			"Info", _("Emptied: Lot Transfer {0}, which created this lot, was cancelled").format(self.name)
		)

	# --- helpers -----------------------------------------------------------------------------------

	def lot_names(self) -> set[str]:
		return {row.lot for row in [*self.source_lots, *self.destination_lots] if row.lot}

	@property
	def lots(self) -> dict[str, LotState]:
		"""The transfer's lots as last read (under the row lock once submitting or cancelling)."""
		if not hasattr(self, "_lots"):
			self.read_lots()
		return self._lots

	def source_lines(self) -> list[SourceLine]:
		return [
			SourceLine(row=row.idx, lot=row.lot, qty_kg=flt(row.qty_kg), state=self.lots.get(row.lot))
			for row in self.source_lots
		]

	def destination_lines(self) -> list[DestinationLine]:
		bin_sites = getattr(self, "_bin_sites", {})
		return [
			DestinationLine(
				row=row.idx,
				lot=row.lot,
				qty_kg=flt(row.qty_kg),
				site=row.site or (None if row.lot else row.new_lot_site or self.site),
				state=self.lots.get(row.lot) if row.lot else None,
				storage_bin=None if row.lot else row.storage_bin,
				storage_bin_site=None if row.lot else bin_sites.get(row.storage_bin),
				created=bool(row.lot_created),
			)
			for row in self.destination_lots
		]


def loss_tolerance_pct() -> float:
	"""``transfer_loss_tolerance_pct`` of YAM Agri Settings (``get_setting`` supplies the default)."""
	return flt(get_setting("transfer_loss_tolerance_pct"))


def _lot_state(row: dict) -> LotState:
	return LotState(
		name=row["name"],
		site=row["site"],
		crop=row["crop"],
		status=row["status"],
		declared_qty_kg=flt(row["declared_qty_kg"]),
		available_qty_kg=flt(row["available_qty_kg"]),
		variety=row["variety"],
		season=row["season"],
		supplier=row["supplier"],
		weighed_qty_kg=flt(row["weighed_qty_kg"]),
	)


def visible_lots(states: dict[str, LotState]) -> dict[str, LotState]:
	"""The lots of sites the user may see: a lot of another site reads as one that does not exist, so a
	refusal names nothing of it (its site, status, crop or quantity)."""
	return {name: state for name, state in states.items() if user_has_site(state.site, doctype="Lot")}


def read_lot_states(names) -> dict[str, LotState]:
	return _select_lot_states(names, lock=False)


def lock_lots(names) -> dict[str, LotState]:
	"""Lock the lots' rows until the transaction ends, always in name order (no deadlocks), and read
	their latest committed values."""
	return _select_lot_states(names, lock=True)


def _select_lot_states(names, lock: bool) -> dict[str, LotState]:
	if not names:
		return {}
	Lot = frappe.qb.DocType("Lot")
	query = (
		frappe.qb.from_(Lot).select(*(Lot[f] for f in LOT_STATE_FIELDS)).where(Lot.name.isin(sorted(names)))
	)
	if lock:
		query = query.orderby(Lot.name).for_update()
	rows = query.run(as_dict=True)
	return {row["name"]: _lot_state(row) for row in rows}


def add_to_lot(lot: str, available_kg: float = 0.0, declared_kg: float = 0.0) -> None:
	"""Change a locked lot's quantities in place (relative, so it never writes a stale value)."""
	Lot = frappe.qb.DocType("Lot")
	query = (
		frappe.qb.update(Lot)
		.set(Lot.available_qty_kg, Lot.available_qty_kg + available_kg)
		.set(Lot.modified, now())
		.set(Lot.modified_by, frappe.session.user)
		.where(Lot.name == lot)
	)
	if declared_kg:
		query = query.set(Lot.declared_qty_kg, Lot.declared_qty_kg + declared_kg)
	query.run()
