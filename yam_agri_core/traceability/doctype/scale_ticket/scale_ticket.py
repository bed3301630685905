# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

from contextlib import contextmanager

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt

from yam_agri_core import store
from yam_agri_core.alerts.events import alert_scale_ticket_mismatch
from yam_agri_core.exceptions import DuplicateTicketError
from yam_agri_core.rule_bridge import check_links_same_site, rules_enforced
from yam_agri_core.rules import settings, weighed, weighing
from yam_agri_core.traceability.doctype.lot.lot import (
	added_by_transfers,
	inbound_net_of_lot,
	lock_lot,
	settle_weighed_quantity,
)


class ScaleTicket(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amended_from: DF.Link | None
		deviation_pct: DF.Float
		device: DF.Link | None
		direction: DF.Literal["Inbound", "Outbound"]
		driver: DF.Data | None
		expected_from_lot: DF.Check
		expected_net_kg: DF.Float
		gross_kg: DF.Float
		import_batch: DF.Data | None
		lot: DF.Link | None
		mismatch_flag: DF.Check
		naming_series: DF.Literal["SCL-.YYYY.-.#####"]
		net_kg: DF.Float
		nonconformance: DF.Link | None
		operator: DF.Data | None
		site: DF.Link
		tare_kg: DF.Float
		ticket_datetime: DF.Datetime
		ticket_no: DF.Data
		tolerance_pct: DF.Float
		vehicle: DF.Data | None

	# end: auto-generated types
	def validate(self):
		self.clear_copied_nonconformance()
		self.validate_same_site_links()  # first: a lot of another site is never read
		self.set_expected_net_from_lot()
		self.set_tolerance_from_site()
		with rules_enforced():
			self.compute_weighing()
		self.validate_unique_ticket_no()

	def _submit(self):
		"""Lock the lot before Frappe locks this ticket's row (``check_if_latest``): every submit and
		cancel of a lot's tickets takes the lot first, so two of them queue instead of deadlocking."""
		self.lock_weighed_lot()
		return super()._submit()

	def _cancel(self):
		self.lock_weighed_lot()
		return super()._cancel()

	def before_submit(self):
		self.lock_weighed_lot()  # a ticket inserted as submitted (REST, import) comes this way

	def on_submit(self):
		self.open_mismatch_nonconformance()
		self.alert_quality_managers()
		self.update_weighed_quantity_of_lot()

	def on_cancel(self):
		self.update_weighed_quantity_of_lot()

	def weighs_a_lot(self) -> bool:
		"""Inbound tickets weigh the grain a lot receives; Outbound ones weigh grain leaving."""
		return bool(self.lot) and self.direction == "Inbound"

	def lock_weighed_lot(self):
		"""Take the lot's row lock before this ticket's row is written (see ``lot.lock_lot``)."""
		if self.weighs_a_lot() and not self.flags.defer_lot_settlement:
			lock_lot(self.lot)

	def update_weighed_quantity_of_lot(self):
		"""The lot's weighed quantity is the net of its submitted Inbound tickets (``rules.weighed``)."""
		if self.weighs_a_lot() and not self.flags.defer_lot_settlement:
			# an import sets ``flags.defer_lot_settlement`` and settles each of its lots once
			reason = (
				_("Scale Ticket {0} cancelled") if self.docstatus == 2 else _("Scale Ticket {0} submitted")
			).format(self.name)
			settle_weighed_quantity(self.lot, reason)

	def clear_copied_nonconformance(self):
		"""Only submitting links a nonconformance; a copy or an amendment starts without one."""
		if self.is_new():
			self.nonconformance = None

	def set_expected_net_from_lot(self):
		"""A truck is judged against what its sender declared (Expected Net Weight, typed or imported);
		left blank, against what its lot still expects (``weighing.expected_of_truck``), taken again on
		every save while it stays the lot's, so a draft is judged against what remains when submitted."""
		if self.expected_net_kg and not self.keeps_lot_expectation():
			return
		expected = None
		if self.weighs_a_lot():
			if self.docstatus == 1:
				lock_lot(self.lot)  # tickets of a lot submitted at once queue here (see lot.lock_lot)
			expected = weighing.expected_of_truck(
				weighed.declared_at_receipt(
					store.declared_qty_of_lot(self.lot), added_by_transfers(self.lot)
				),
				inbound_net_of_lot(self.lot),
			)
		self.expected_net_kg = expected or 0
		self.expected_from_lot = int(bool(expected))

	def keeps_lot_expectation(self) -> bool:
		"""Whether a filled Expected Net Weight is the lot's figure of an earlier save, to be taken again.

		A typed figure is the sender's (typing over the lot's figure makes it so); a new ticket that
		arrives with the lot's figure already taken (an import, which counts its earlier rows) keeps it."""
		before = self.get_doc_before_save()
		keeps = weighing.keeps_lot_figure(
			bool(self.expected_from_lot),
			self.is_new(),
			flt(before.expected_net_kg) if before else None,
			flt(self.expected_net_kg),
		)
		if not keeps and not self.is_new():
			self.expected_from_lot = 0
		return keeps

	def set_tolerance_from_site(self):
		"""A ticket without a tolerance of its own takes its site's, 0 % included."""
		self.tolerance_pct = settings.ticket_tolerance(
			self.tolerance_pct, store.site_scale_tolerance(self.site)
		)

	def compute_weighing(self):
		result = weighing.weigh(self.gross_kg, self.tare_kg, self.expected_net_kg, self.tolerance_pct)
		self.tare_kg = self.tare_kg or 0
		self.net_kg = result.net_kg
		self.deviation_pct = result.deviation_pct
		self.mismatch_flag = int(result.mismatch)

	def validate_same_site_links(self):
		check_links_same_site(self, [("lot", "Lot"), ("device", "Device")])

	def validate_unique_ticket_no(self):
		"""A friendly check first; the unique index of :func:`add_ticket_no_guard` settles races."""
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
			self.throw_duplicate_ticket_no(duplicate[0])

	def throw_duplicate_ticket_no(self, other: str | None = None):
		if other:
			message = _("Ticket No {0} is already used on site {1} by Scale Ticket {2}").format(
				self.ticket_no, self.site, other
			)
		else:
			message = _("Ticket No {0} is already used on site {1}").format(self.ticket_no, self.site)
		frappe.throw(message, exc=DuplicateTicketError, title=_("Not Saved"))

	def db_insert(self, *args, **kwargs):
		with self.ticket_no_guarded():
			return super().db_insert(*args, **kwargs)

	def db_update(self, *args, **kwargs):
		with self.ticket_no_guarded():
			return super().db_update(*args, **kwargs)

	@contextmanager
	def ticket_no_guarded(self):
		"""Two saves racing past the read in :meth:`validate_unique_ticket_no` meet the unique index;
		the loser gets the same translated error as a plain duplicate."""
		try:
			yield
		except frappe.UniqueValidationError:
			frappe.clear_last_message()
			self.throw_duplicate_ticket_no(self.holder_of_ticket_no())

	def holder_of_ticket_no(self) -> str | None:
		return frappe.db.get_value(
			"Scale Ticket",
			{
				"site": self.site,
				"ticket_no": self.ticket_no,
				"docstatus": ("<", 2),
				"name": ("!=", self.name),
			},
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
		"""A ticket submitted alone alerts at once; an import sets ``flags.defer_mismatch_alert`` and
		sends one digest for the whole file instead."""
		if not self.flags.defer_mismatch_alert:
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


#: Unique among the tickets of a site that are not cancelled: a generated column (NULL once
#: cancelled, and NULLs never collide) under a unique index. The database enforces it, so two
#: weighbridge submits racing with the same ticket number cannot both land.
TICKET_NO_GUARD_COLUMN = "active_ticket_no"
TICKET_NO_GUARD_INDEX = "unique_active_ticket_no"


def add_ticket_no_guard():
	frappe.db.sql_ddl(
		f"""alter table `tabScale Ticket`
		add column if not exists `{TICKET_NO_GUARD_COLUMN}` varchar(300)
			as (if(`docstatus` < 2, concat(`site`, char(31), `ticket_no`), null)) persistent,
		add unique index if not exists `{TICKET_NO_GUARD_INDEX}` (`{TICKET_NO_GUARD_COLUMN}`)"""
	)


def on_doctype_update():
	add_ticket_no_guard()
