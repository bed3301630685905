"""What the personas met in Desk (issue 19), on a real bench:

- a truck without a declared weight is judged against what its lot still expects, on the form and in an
  import (several trucks of a lot open no nonconformance; a real shortfall opens one);
- a refusal of a linked record of a site the user may not see names nothing of that record or its site;
- the Lot's Connections labels are the same (English, translated by Desk) whoever read them first;
- a reader's status change of a lot is refused in their language.
"""

from __future__ import annotations

import re

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from yam_agri_core.exceptions import SiteMismatchError
from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	make_bin,
	make_certificate,
	make_device,
	make_lot,
	make_nc,
	make_site,
	make_stored_lot,
	make_ticket,
	make_transfer,
	make_user,
	unique,
)
from yam_agri_core.traceability.doctype.lot.lot import set_lot_status
from yam_agri_core.traceability.ticket_import import import_scale_tickets

test_ignore = TEST_IGNORE

HEADER = "ticket_no,date,gross_weight_kg,tare_weight_kg,net_weight_kg,expected_net_kg,lot,device\n"


def weight_mismatches(lot: str) -> int:
	return frappe.db.count("Nonconformance", {"lot": lot, "nc_type": "Weight Mismatch"})


class TestTrucksOfALot(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name  # 2 % tolerance
		cls.scale = make_device(cls.site, "Scale").name

	def truck(self, lot: str, net: float, expected: float | None = None, submit=True):
		return make_ticket(self.site, 9000 + net, 9000, expected, lot=lot, submit=submit)

	def test_a_normal_lot_of_several_trucks_opens_no_nonconformance(self):
		lot = make_lot(self.site, 18000).name
		first = self.truck(lot, 12200, expected=12000)  # the sender declared this truck
		self.assertEqual((first.expected_net_kg, first.expected_from_lot, first.mismatch_flag), (12000, 0, 0))
		second = self.truck(lot, 5800)  # blank: what the lot still expects, 18,000 - 12,200
		self.assertEqual((second.expected_net_kg, second.expected_from_lot), (5800, 1))
		self.assertEqual((second.deviation_pct, second.mismatch_flag), (0, 0))
		third = self.truck(lot, 300)  # the lot is fully weighed: not judged on its own
		self.assertEqual((third.expected_net_kg, third.mismatch_flag), (0, 0))
		self.assertEqual(weight_mismatches(lot), 0)
		self.assertEqual(frappe.db.get_value("Lot", lot, "weight_difference_kg"), 300)

	def test_a_truck_short_of_what_the_lot_still_expects_opens_one(self):
		lot = make_lot(self.site, 18000).name
		self.truck(lot, 12200, expected=12000)
		short = self.truck(lot, 4000)
		self.assertEqual((short.expected_net_kg, short.mismatch_flag), (5800, 1))
		self.assertAlmostEqual(short.deviation_pct, -31.03, places=2)
		self.assertEqual(weight_mismatches(lot), 1)
		self.assertEqual(frappe.db.get_value("Nonconformance", short.nonconformance, "severity"), "Major")

	def test_a_draft_is_judged_against_what_remains_when_it_is_submitted(self):
		lot = make_lot(self.site, 18000).name
		draft = self.truck(lot, 5800, submit=False)
		self.assertEqual((draft.expected_net_kg, draft.expected_from_lot, draft.mismatch_flag), (18000, 1, 1))
		self.truck(lot, 12200, expected=12000)
		draft.reload()
		draft.submit()
		self.assertEqual((draft.expected_net_kg, draft.mismatch_flag, draft.nonconformance), (5800, 0, None))

	def test_a_figure_typed_over_the_lots_is_the_senders(self):
		lot = make_lot(self.site, 18000).name
		draft = self.truck(lot, 6000, submit=False)
		draft.expected_net_kg = 6000
		draft.save()
		self.assertEqual((draft.expected_net_kg, draft.expected_from_lot, draft.mismatch_flag), (6000, 0, 0))
		draft.submit()
		self.assertEqual((draft.expected_net_kg, draft.mismatch_flag), (6000, 0))

	def test_cancelled_and_outbound_tickets_are_not_weighed_so_far(self):
		lot = make_lot(self.site, 18000).name
		self.truck(lot, 12200, expected=12000).cancel()
		make_ticket(self.site, 13000, 10000, 3000, lot=lot, direction="Outbound", submit=True)
		self.assertEqual(self.truck(lot, 18000).expected_net_kg, 18000)

	# --- the import ---------------------------------------------------------------------------------

	def csv(self, *rows: tuple) -> bytes:
		lines = [
			f"{unique('T')},2026-02-23 10:00,{9000 + net},9000,{net},{'' if expected is None else expected},{lot},"
			f"{self.scale}"
			for lot, net, expected in rows
		]
		return (HEADER + "\n".join(lines) + "\n").encode("utf-8")

	def test_an_import_of_several_trucks_of_a_lot_opens_no_nonconformance(self):
		lot = make_lot(self.site, 18000).name
		content = self.csv((lot, 6050, 6000), (lot, 5950, 6000), (lot, 6000, None))
		for dry_run in (1, 0):  # the preview says what the import does
			result = import_scale_tickets(self.site, content, dry_run=dry_run)
			self.assertEqual(result["rejected"], [])
			self.assertEqual([r["mismatch_flag"] for r in result["imported"]], [0, 0, 0], dry_run)
		last = frappe.get_doc("Scale Ticket", result["imported"][2]["ticket"])
		self.assertEqual((last.expected_net_kg, last.expected_from_lot), (6000, 1))
		self.assertEqual(weight_mismatches(lot), 0)

	def test_an_import_without_the_column_counts_the_lots_earlier_trucks(self):
		lot = make_lot(self.site, 18000).name
		self.truck(lot, 12200, expected=12000)  # weighed at the form first
		content = (
			"ticket_no,date,gross,tare,lot\n"
			f"{unique('T')},2026-02-23 10:00,11900,9000,{lot}\n"
			f"{unique('T')},2026-02-23 11:00,11900,9000,{lot}\n"
		).encode()
		result = import_scale_tickets(self.site, content)
		flags = [(r["net_kg"], r["mismatch_flag"]) for r in result["imported"]]
		# 2,900 against 5,800 still expected (a real shortfall), then 2,900 against the 2,900 left
		self.assertEqual(flags, [(2900, 1), (2900, 0)])
		self.assertEqual(weight_mismatches(lot), 1)

	def test_an_import_with_a_real_mismatch_opens_its_nonconformance(self):
		lot = make_lot(self.site, 18000).name
		result = import_scale_tickets(self.site, self.csv((lot, 12200, 12000), (lot, 4000, None)))
		self.assertEqual([r["mismatch_flag"] for r in result["imported"]], [0, 1])
		nc = result["imported"][1]["nonconformance"]
		self.assertEqual(frappe.db.get_value("Nonconformance", nc, "lot"), lot)
		self.assertIn("5,800", frappe.db.get_value("Nonconformance", nc, "description"))

	def test_a_row_without_a_scale_takes_the_sites_only_scale(self):
		lot = make_lot(self.site, 3000).name
		content = f"ticket_no,date,gross,tare,lot\n{unique('T')},2026-02-23 10:00,12000,9000,{lot}\n"
		result = import_scale_tickets(self.site, content.encode())
		self.assertEqual(
			frappe.db.get_value("Scale Ticket", result["imported"][0]["ticket"], "device"), self.scale
		)


class TestRefusalsNameNothingOfAnotherSite(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name
		cls.other = make_site().name
		cls.lot = make_stored_lot(cls.site, 5000).name
		cls.other_lot = make_stored_lot(cls.other, 5000).name
		cls.other_bin = make_bin(cls.other, "B9").name
		cls.other_scale = make_device(cls.other, "Scale").name
		cls.other_ticket = make_ticket(cls.other, 13000, 10000, 3000, submit=True).name
		cls.operator = make_user(["Site Operator", "Quality Manager"], [cls.site], "one-site")
		cls.both = make_user(["Site Operator", "Quality Manager"], [cls.site, cls.other], "two-sites")
		cls.secrets = (cls.other, cls.other_lot, cls.other_bin, cls.other_scale, cls.other_ticket)

	def assert_names_nothing_of_the_other_site(self, message: str) -> None:
		for secret in self.secrets:
			self.assertNotIn(secret, message)

	def refusal(self, make, exc=frappe.ValidationError) -> str:
		"""What the user is told: the exception and every message Desk would show with it."""
		frappe.clear_messages()
		frappe.flags.error_message = None
		with self.set_user(self.operator), self.assertRaises(exc) as caught:
			make()
		shown = [frappe.parse_json(m).get("message", "") for m in frappe.message_log]
		message = " | ".join([str(caught.exception), *shown, frappe.flags.error_message or ""])
		frappe.clear_messages()
		self.assert_names_nothing_of_the_other_site(message)
		return message

	def test_an_imported_row_naming_another_sites_lot_or_scale(self):
		content = (
			"ticket_no,date,gross,tare,lot,device\n"
			f"{unique('T')},2026-02-23 10:00,13000,10000,{self.other_lot},\n"
			f"{unique('T')},2026-02-23 10:00,13000,10000,{self.lot},{self.other_scale}\n"
		).encode()
		with self.set_user(self.operator):
			result = import_scale_tickets(self.site, content)
		self.assertEqual(result["imported"], [])
		errors = [r["error"] for r in result["rejected"]]
		self.assertEqual(len(errors), 2)
		for error in errors:
			self.assert_names_nothing_of_the_other_site(error)
			self.assertIn(f"not found at site {self.site}", error)

	def test_a_ticket_a_certificate_a_nonconformance_and_an_evidence_pack(self):
		self.assertIn(
			f"Lot not found at site {self.site}",
			self.refusal(
				lambda: make_ticket(self.site, 13000, 10000, 3000, lot=self.other_lot), SiteMismatchError
			),
		)
		self.refusal(
			lambda: make_ticket(self.site, 13000, 10000, 3000, device=self.other_scale), SiteMismatchError
		)
		self.refusal(lambda: make_certificate(self.site, lot=self.other_lot), SiteMismatchError)
		self.refusal(lambda: make_nc(self.site, lot=self.other_lot), SiteMismatchError)
		self.refusal(lambda: make_nc(self.site, scale_ticket=self.other_ticket), SiteMismatchError)
		self.refusal(
			lambda: frappe.get_doc(
				{
					"doctype": "Evidence Pack",
					"site": self.site,
					"lot": self.other_lot,
					"from_date": add_days(today(), -7),
					"to_date": today(),
				}
			).insert(),
			SiteMismatchError,
		)
		self.refusal(lambda: make_lot(self.site, 1000, storage_bin=self.other_bin), SiteMismatchError)

	def test_a_qc_test_of_another_sites_lot(self):
		message = self.refusal(
			lambda: frappe.get_doc(
				{
					"doctype": "QC Test",
					"lot": self.other_lot,
					"site": self.other,  # as Desk's fetch from the lot would set it
					"test_type": "Moisture",
					"value": 12,
					"test_date": today(),
				}
			).insert(),
			frappe.PermissionError,
		)
		self.assertTrue(message.strip(" |"), "the user is told something")

	def test_a_transfer_taking_or_giving_grain_of_another_site(self):
		message = self.refusal(
			lambda: make_transfer(self.site, "Split", [(self.other_lot, 1000)], [(None, 1000)], submit=False)
		)
		self.assertNotIn("belongs to", message)
		self.refusal(
			lambda: make_transfer(
				self.site, "Split", [(self.lot, 1000)], [(self.other_lot, 1000)], submit=False
			)
		)
		self.refusal(
			lambda: make_transfer(
				self.site,
				"Split",
				[(self.lot, 1000)],
				[{"qty_kg": 1000, "new_lot_site": self.site, "storage_bin": self.other_bin}],
				submit=False,
			)
		)

	def test_a_trace_or_an_export_of_another_sites_lot(self):
		from yam_agri_core.api import export_epcis
		from yam_agri_core.traceability.genealogy import get_generations

		for ask in (
			lambda: get_generations(self.other_lot, "backward", 2),
			lambda: export_epcis(lot=self.other_lot),
		):
			self.assertIn("Lot not found at your sites", self.refusal(ask, frappe.PermissionError))

	def test_a_user_of_both_sites_is_told_which_site_the_record_belongs_to(self):
		with self.set_user(self.both), self.assertRaises(SiteMismatchError) as caught:
			make_ticket(self.site, 13000, 10000, 3000, lot=self.other_lot)
		self.assertIn(self.other_lot, str(caught.exception))
		self.assertIn(self.other, str(caught.exception))


class TestPerReaderLabelsAndRefusals(FrappeTestCase):
	def tearDown(self):
		frappe.local.lang = "en"
		frappe.set_user("Administrator")

	def test_lot_connections_are_cached_untranslated_whoever_reads_first(self):
		from frappe.desk.form.meta import get_meta

		labels = {}
		for lang in ("ar", "en"):
			frappe.local.lang = lang
			frappe.clear_cache(doctype="Lot")
			for reader in ("ar", "en"):  # the first reader fills the cache, the second reads it
				frappe.local.lang = reader
				dashboard = get_meta("Lot").get("__dashboard")
				labels[(lang, reader)] = [group["label"] for group in dashboard["transactions"]]
		self.assertEqual(len({tuple(v) for v in labels.values()}), 1, labels)
		self.assertIn("Quality", labels[("ar", "en")])
		self.assertIn("Weighing", labels[("ar", "ar")])

	def test_a_reader_may_not_set_a_lots_status_and_is_told_so_in_their_language(self):
		site = make_site().name
		lot = make_lot(site).name
		auditor = make_user(["Auditor"], [site], "auditor")
		with self.set_user(auditor):
			frappe.local.lang = "ar"
			with self.assertRaises(frappe.PermissionError) as caught:
				set_lot_status(lot, "Received")
		message = str(caught.exception).replace(lot, "")
		self.assertRegex(message, "[\u0600-\u06ff]")
		self.assertIsNone(re.search("[A-Za-z]{4,}", message), message)
		self.assertEqual(frappe.db.get_value("Lot", lot, "status"), "Draft")
