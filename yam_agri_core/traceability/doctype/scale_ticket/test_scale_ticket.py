# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import threading

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.exceptions import DuplicateTicketError, SiteMismatchError, WeightError
from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	in_connections,
	make_device,
	make_lot,
	make_site,
	make_stored_lot,
	make_ticket,
	make_transfer,
	make_user,
	unique,
)
from yam_agri_core.traceability.doctype.scale_ticket.scale_ticket import ScaleTicket

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestScaleTicket(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name

	def test_at07_clean_ticket(self):
		ticket = make_ticket(self.site, 15000, 12000, 3000, submit=True)
		self.assertEqual(ticket.net_kg, 3000)
		self.assertEqual(ticket.deviation_pct, 0)
		self.assertEqual(ticket.mismatch_flag, 0)
		self.assertFalse(ticket.nonconformance)
		self.assertFalse(frappe.db.exists("Nonconformance", {"scale_ticket": ticket.name}))

	def test_at07_mismatch_opens_exactly_one_nonconformance_linked_both_ways(self):
		lot = make_lot(self.site, 3000)
		ticket = make_ticket(self.site, 14200, 12000, lot=lot.name, submit=True)
		self.assertEqual(
			ticket.expected_net_kg, 3000, "expected weight defaults to the lot's declared quantity"
		)
		self.assertEqual(ticket.tolerance_pct, 2.0, "tolerance defaults to the site's")
		self.assertEqual(ticket.net_kg, 2200)
		self.assertAlmostEqual(ticket.deviation_pct, -26.67, places=2)
		self.assertEqual(ticket.mismatch_flag, 1)
		ncs = frappe.get_all(
			"Nonconformance",
			filters={"scale_ticket": ticket.name},
			fields=["name", "nc_type", "site", "lot", "status", "severity"],
		)
		self.assertEqual(len(ncs), 1)
		self.assertEqual(ncs[0].nc_type, "Weight Mismatch")
		self.assertEqual(
			(ncs[0].site, ncs[0].lot, ncs[0].status, ncs[0].severity), (self.site, lot.name, "Open", "Major")
		)
		self.assertEqual(frappe.db.get_value("Scale Ticket", ticket.name, "nonconformance"), ncs[0].name)
		ticket.reload()
		ticket.run_method("on_submit")  # a retried submit finds the nonconformance it opened
		self.assertEqual(frappe.db.count("Nonconformance", {"scale_ticket": ticket.name}), 1)

	def test_amending_a_mismatched_ticket_keeps_one_nonconformance(self):
		ticket = make_ticket(self.site, 14200, 12000, 3000, submit=True)
		nc = ticket.nonconformance
		ticket.cancel()
		amended = frappe.copy_doc(ticket)
		amended.amended_from = ticket.name
		amended.docstatus = 0
		amended.gross_kg = 14150
		amended.insert()
		amended.submit()
		self.assertEqual(amended.ticket_no, ticket.ticket_no)
		self.assertEqual(amended.nonconformance, nc)
		self.assertEqual(frappe.db.get_value("Nonconformance", nc, "scale_ticket"), amended.name)
		self.assertEqual(
			frappe.db.count("Nonconformance", {"nc_type": "Weight Mismatch", "site": self.site, "name": nc}),
			1,
		)

	def test_tare_above_gross_is_refused_naming_the_field(self):
		before = frappe.db.count("Scale Ticket")
		with self.assertRaises(WeightError) as error:
			make_ticket(self.site, 12000, 15000, 3000)
		self.assertIn("Tare Weight (kg)", str(error.exception))
		self.assertEqual(frappe.db.count("Scale Ticket"), before)

	def test_zero_gross_is_refused(self):
		with self.assertRaises(frappe.ValidationError):
			make_ticket(self.site, 0, 0, 3000)

	def test_submitted_ticket_is_immutable(self):
		ticket = make_ticket(self.site, 15000, 12000, 3000, submit=True)
		ticket.reload()
		ticket.gross_kg = 16000
		with self.assertRaises(frappe.UpdateAfterSubmitError):
			ticket.save()

	def test_ticket_no_unique_per_site(self):
		ticket = make_ticket(self.site, 15000, 12000, 3000)
		with self.assertRaises(DuplicateTicketError):
			make_ticket(self.site, 15000, 12000, 3000, ticket_no=ticket.ticket_no)
		make_ticket(make_site().name, 15000, 12000, 3000, ticket_no=ticket.ticket_no)

	def test_lot_and_scale_of_another_site_are_refused(self):
		other = make_site().name
		with self.assertRaises(SiteMismatchError):
			make_ticket(self.site, 15000, 12000, 3000, lot=make_lot(other).name)
		with self.assertRaises(SiteMismatchError):
			make_ticket(self.site, 15000, 12000, 3000, device=make_device(other, "Scale").name)

	def test_site_tolerance_applies(self):
		site = make_site(scale_tolerance_pct=5).name
		ticket = make_ticket(site, 3130, 0, 3000, submit=True)
		self.assertEqual(ticket.tolerance_pct, 5)
		self.assertEqual(ticket.mismatch_flag, 0)


class TestTicketNoGuard(FrappeTestCase):
	"""The database, not only a read in validate, keeps a site's ticket numbers unique."""

	def test_the_unique_index_refuses_a_duplicate_written_past_the_controller(self):
		site = make_site().name
		ticket = make_ticket(site, 15000, 12000, 3000)
		with self.assertRaises(Exception) as caught:
			frappe.db.sql(
				"""insert into `tabScale Ticket` (name, site, ticket_no, docstatus, gross_kg, tare_kg)
				values (%s, %s, %s, 0, 1, 0)""",
				(frappe.generate_hash(length=10), site, ticket.ticket_no),
			)
		self.assertTrue(frappe.db.is_unique_key_violation(caught.exception), caught.exception)

	def test_a_save_that_got_past_the_read_gets_the_translated_error(self):
		"""What the loser of a race meets: the index refuses the insert and the clerk sees the same
		message as for a plain duplicate, not Frappe's generic "must be unique"."""
		site = make_site().name
		first = make_ticket(site, 15000, 12000, 3000)
		original = ScaleTicket.validate_unique_ticket_no
		ScaleTicket.validate_unique_ticket_no = lambda doc: None  # as if the read ran before the commit
		try:
			with self.assertRaises(DuplicateTicketError) as caught:
				make_ticket(site, 15000, 12000, 3000, ticket_no=first.ticket_no)
		finally:
			ScaleTicket.validate_unique_ticket_no = original
		self.assertIn(f"by Scale Ticket {first.name}", str(caught.exception))
		self.assertEqual([m for m in frappe.message_log if "must be unique" in str(m)], [])

	def test_a_cancelled_ticket_frees_its_number(self):
		site = make_site().name
		first = make_ticket(site, 15000, 12000, 3000, submit=True)
		first.cancel()
		again = make_ticket(site, 15000, 12000, 3000, ticket_no=first.ticket_no, submit=True)
		self.assertEqual(again.ticket_no, first.ticket_no)
		other_site = make_ticket(make_site().name, 15000, 12000, 3000, ticket_no=first.ticket_no)
		self.assertEqual(other_site.ticket_no, first.ticket_no)

	def test_two_submits_racing_with_one_number_land_once(self):
		"""Two connections, as two weighbridge clerks would have, both see the number free and submit at
		once: the database lets one land and the other gets the translated duplicate error."""
		frappe.db.rollback()  # earlier tests' uncommitted rows would hold locks the workers wait on
		site = make_site().name
		frappe.db.commit()
		ticket_no = unique("RACE")
		barrier = threading.Barrier(2)

		def first_ticket_of_the_site() -> str:
			# stores the naming series' counter, which two first-ever inserts would deadlock creating
			return make_ticket(site, 15000, 12000, 3000).name

		def submit() -> str:
			free = not frappe.db.exists("Scale Ticket", {"site": site, "ticket_no": ticket_no})
			barrier.wait(timeout=30)  # both clerks have seen the number free
			try:
				return f"landed (seen free: {free})"
			finally:
				make_ticket(site, 15000, 12000, 3000, ticket_no=ticket_no, submit=True)

		def submit_or_refused() -> str:
			try:
				return submit()
			except DuplicateTicketError as error:
				return f"refused: {error}"

		def landed() -> int:
			return frappe.db.count("Scale Ticket", {"site": site, "ticket_no": ticket_no, "docstatus": 1})

		def clean_up() -> None:
			frappe.db.delete("Nonconformance", {"site": site})
			frappe.db.delete("Scale Ticket", {"site": site})
			frappe.db.delete("Site", site)

		try:
			in_connections([first_ticket_of_the_site])
			results = in_connections([submit_or_refused, submit_or_refused])
			refused = [r for r in results if r.startswith("refused: ")]
			self.assertEqual(len(refused), 1, results)
			self.assertIn(f"Ticket No {ticket_no} is already used on site {site}", refused[0])
			self.assertEqual(in_connections([landed]), [1])
		finally:
			in_connections([clean_up])


def weighing_of(lot: str) -> tuple[float, float, float, float]:
	"""(weighed, difference, deduction, available) of the lot, as stored."""
	values = frappe.db.get_value(
		"Lot",
		lot,
		["weighed_qty_kg", "weight_difference_kg", "weighing_deduction_kg", "available_qty_kg"],
	)
	return tuple(float(v) for v in values)


class TestWeighedQuantity(FrappeTestCase):
	"""A lot's weighed quantity is the net of its submitted Inbound tickets; a shortfall comes off
	the available quantity (``rules.weighed``)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name

	def inbound(self, lot: str, net: float, **kwargs):
		return make_ticket(self.site, 10000 + net, 10000, net, lot=lot, submit=True, **kwargs)

	def test_two_trucks_then_one_cancelled(self):
		lot = make_stored_lot(self.site, 3000).name
		self.assertEqual(weighing_of(lot), (0, 0, 0, 3000))
		first = self.inbound(lot, 1400)
		# one truck of two weighed: only what the scale has seen is in the bin
		self.assertEqual(weighing_of(lot), (1400, -1600, 1600, 1400))
		second = self.inbound(lot, 1580)
		self.assertEqual(weighing_of(lot), (2980, -20, 20, 2980))
		first.reload()
		first.cancel()
		self.assertEqual(weighing_of(lot), (1580, -1420, 1420, 1580))
		second.reload()
		second.cancel()
		self.assertEqual(weighing_of(lot), (0, 0, 0, 3000))
		comments = frappe.get_all(
			"Comment", {"reference_name": lot, "comment_type": "Info"}, pluck="content", order_by="creation"
		)
		self.assertEqual(len(comments), 4)
		self.assertIn(first.name, comments[0])
		self.assertIn("2,980", comments[1])

	def test_outbound_and_draft_tickets_are_not_counted(self):
		lot = make_stored_lot(self.site, 3000).name
		self.inbound(lot, 2990)
		make_ticket(self.site, 13000, 10000, 3000, lot=lot, direction="Outbound", submit=True)
		make_ticket(self.site, 13000, 10000, 3000, lot=lot)  # a draft
		self.assertEqual(weighing_of(lot), (2990, -10, 10, 2990))

	def test_a_retried_submit_lands_on_the_same_figures(self):
		lot = make_stored_lot(self.site, 3000).name
		ticket = self.inbound(lot, 2950)
		ticket.reload()
		ticket.run_method("on_submit")
		self.assertEqual(weighing_of(lot), (2950, -50, 50, 2950))

	def test_a_surplus_is_recorded_but_not_made_available(self):
		lot = make_stored_lot(self.site, 3000).name
		self.inbound(lot, 3050)
		self.assertEqual(weighing_of(lot), (3050, 50, 0, 3000))
		# a Quality Manager settles it with the supplier: the declared quantity becomes 3050
		doc = frappe.get_doc("Lot", lot)
		doc.declared_qty_kg = 3050
		doc.save()
		self.assertEqual(weighing_of(lot), (3050, 0, 0, 3050))

	def test_correcting_the_declared_quantity_of_a_short_lot(self):
		lot = make_stored_lot(self.site, 3000).name
		self.inbound(lot, 2950)
		doc = frappe.get_doc("Lot", lot)
		doc.declared_qty_kg = 2950
		doc.save()
		self.assertEqual(weighing_of(lot), (2950, 0, 0, 2950))

	def test_weighed_after_a_partial_split(self):
		lot = make_stored_lot(self.site, 3000).name
		make_transfer(self.site, "Split", [(lot, 1500)], [(None, 1500)])
		self.inbound(lot, 2950)
		# 1500 left on paper, the scale found 50 kg less than declared: 1450 in the bin
		self.assertEqual(weighing_of(lot), (2950, -50, 50, 1450))
		lot_doc = frappe.get_doc("Lot", lot)
		lot_doc.validate_quantities()  # 0 <= available <= declared still holds

	def test_weighed_after_the_whole_lot_was_transferred(self):
		lot = make_stored_lot(self.site, 3000).name
		transfer = make_transfer(self.site, "Split", [(lot, 3000)], [(None, 3000)])
		ticket = self.inbound(lot, 2900)
		# never negative; the 100 kg the transfer took that were never there stay visible
		self.assertEqual(weighing_of(lot), (2900, -100, 0, 0))
		comment = frappe.get_all(
			"Comment", {"reference_name": lot, "comment_type": "Info"}, pluck="content", limit=1
		)[0]
		self.assertIn("100 kg of the shortfall had already left the lot", comment)
		# cancelling the transfer gives back what the scale says was there
		transfer.reload()
		transfer.cancel()
		self.assertEqual(weighing_of(lot), (2900, -100, 100, 2900))
		ticket.reload()
		ticket.cancel()
		self.assertEqual(weighing_of(lot), (0, 0, 0, 3000))

	def test_grain_merged_in_later_is_not_compared_with_the_receipt(self):
		lot = make_stored_lot(self.site, 3000, variety="Sonalika").name
		other = make_stored_lot(self.site, 1000, variety="Sonalika").name
		self.inbound(lot, 2950)
		third = make_stored_lot(self.site, 500, variety="Sonalika").name
		make_transfer(self.site, "Merge", [(other, 1000), (third, 500)], [(lot, 1500)])
		self.assertEqual(weighing_of(lot), (2950, -50, 50, 4450))
		late = self.inbound(lot, 10)  # a late sweep of the truck
		self.assertEqual(weighing_of(lot), (2960, -40, 40, 4460))
		late.reload()
		late.cancel()
		self.assertEqual(weighing_of(lot), (2950, -50, 50, 4450))

	def test_a_scale_gateway_that_only_reads_lots_updates_the_weighed_quantity(self):
		"""The weighbridge's API user submits tickets; it may not write lots, yet the lot is weighed."""
		lot = make_stored_lot(self.site, 3000).name
		gateway = make_user(["Sensor Gateway"], [self.site], "scale-gw")
		with self.set_user(gateway):
			self.assertFalse(frappe.has_permission("Lot", "write", lot))
			make_ticket(self.site, 12950, 10000, 2950, lot=lot, submit=True)
		self.assertEqual(weighing_of(lot), (2950, -50, 50, 2950))


class TestConcurrentWeighing(FrappeTestCase):
	"""Two clerks submit tickets of one lot at the same moment on two connections, one from a saved
	draft (Desk) and one inserted as submitted (REST): both count, and neither deadlocks (each takes
	the lot's lock before its own ticket's row)."""

	def test_two_tickets_of_one_lot_at_once(self):
		frappe.db.rollback()
		site = make_site().name
		lot = make_stored_lot(site, 3000).name
		draft = make_ticket(site, 11400, 10000, 1400, lot=lot).name
		frappe.db.commit()
		barrier = threading.Barrier(2)

		def submit_the_draft() -> str:
			doc = frappe.get_doc("Scale Ticket", draft)
			barrier.wait(timeout=30)
			doc.submit()
			return doc.name

		def post_a_submitted_ticket() -> str:
			doc = frappe.get_doc(
				{
					"doctype": "Scale Ticket",
					"site": site,
					"lot": lot,
					"ticket_no": unique("T"),
					"direction": "Inbound",
					"gross_kg": 11580,
					"tare_kg": 10000,
					"expected_net_kg": 1580,
					"docstatus": 1,
				}
			)
			barrier.wait(timeout=30)
			return doc.insert(ignore_permissions=True).name

		def clean_up() -> None:
			frappe.db.delete("Comment", {"reference_name": lot})
			frappe.db.delete("Nonconformance", {"site": site})
			frappe.db.delete("Scale Ticket", {"site": site})
			frappe.db.delete("Lot", lot)
			frappe.db.delete("Site", site)

		try:
			in_connections([submit_the_draft, post_a_submitted_ticket])
			self.assertEqual(in_connections([lambda: weighing_of(lot)]), [(2980, -20, 20, 2980)])
		finally:
			in_connections([clean_up])
