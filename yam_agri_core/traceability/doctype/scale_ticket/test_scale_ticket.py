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
	make_ticket,
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
