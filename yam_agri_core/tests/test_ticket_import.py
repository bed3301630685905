"""Scale ticket files imported on a real bench (FR-SCL-01..02): the engine and the API method."""

from __future__ import annotations

import base64
import io

import frappe
import pandas as pd
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.api import import_scale_tickets as api_import_scale_tickets
from yam_agri_core.rules import alerting
from yam_agri_core.tests.utils import TEST_IGNORE, make_device, make_lot, make_site, make_user, unique
from yam_agri_core.traceability.ticket_import import import_scale_tickets

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE

HEADER = "ticket_no,date,operator,gross_weight_kg,tare_weight_kg,net_weight_kg,lot,device\n"


def ticket_count(**filters) -> int:
	return frappe.db.count("Scale Ticket", filters)


class TicketImportCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name
		cls.other_site = make_site().name
		cls.lot = make_lot(cls.site, 3000).name
		cls.other_lot = make_lot(cls.other_site, 3000).name
		cls.scale = make_device(cls.site, "Scale").name
		cls.other_scale = make_device(cls.other_site, "Scale").name
		cls.qm = make_user(["Quality Manager"], [cls.site], "qm")

	def csv(self, *rows: str) -> bytes:
		return (HEADER + "".join(f"{row}\n" for row in rows)).encode("utf-8")

	def row(self, ticket_no: str, gross="13000", tare="10000", net="3000", lot=None, device=None) -> str:
		"""A truck of its own 3,000 kg lot unless ``lot`` is given: judged against 3,000 kg (a truck of a
		lot already weighed is judged against what the lot still expects)."""
		lot = make_lot(self.site, 3000).name if lot is None else lot
		device = self.scale if device is None else device
		return f"{ticket_no},2026-02-23 10:00,Ali,{gross},{tare},{net},{lot},{device}"


class TestTicketImport(TicketImportCase):
	def test_the_weighbridge_export_clean_and_flagged(self):
		clean, flagged = unique("T"), unique("T")
		result = import_scale_tickets(
			self.site, self.csv(self.row(clean), self.row(flagged, gross="12200", net="2200"))
		)
		self.assertEqual((result["skipped"], result["rejected"]), ([], []))
		first, second = result["imported"]
		self.assertEqual((first["row"], first["ticket_no"], first["net_kg"]), (1, clean, 3000))
		self.assertEqual((first["mismatch_flag"], first["nonconformance"]), (0, None))
		self.assertEqual((second["row"], second["net_kg"], second["mismatch_flag"]), (2, 2200, 1))
		ncs = frappe.get_all(
			"Nonconformance", filters={"scale_ticket": second["ticket"]}, fields=["name", "nc_type"]
		)
		self.assertEqual(ncs, [{"name": second["nonconformance"], "nc_type": "Weight Mismatch"}])
		ticket = frappe.get_doc("Scale Ticket", second["ticket"])
		self.assertEqual((ticket.docstatus, ticket.operator), (1, "Ali"))
		self.assertEqual(
			(ticket.expected_net_kg, ticket.expected_from_lot, ticket.device), (3000, 1, self.scale)
		)
		self.assertEqual(frappe.db.get_value("Scale Ticket", first["ticket"], "docstatus"), 1)

	def test_each_lot_of_the_file_is_weighed_once(self):
		"""Two trucks of one lot in a file: the lot's weighed quantity is both nets, settled once (one
		timeline note for the file, not one per ticket), and the available quantity follows the scale."""
		lot = make_lot(self.site, 6000).name
		result = import_scale_tickets(
			self.site,
			self.csv(
				self.row(unique("T"), lot=lot), self.row(unique("T"), gross="12900", net="2900", lot=lot)
			),
		)
		self.assertEqual(len(result["imported"]), 2, result["rejected"])
		weighed = frappe.db.get_value("Lot", lot, ["weighed_qty_kg", "available_qty_kg"], as_dict=True)
		self.assertEqual((weighed.weighed_qty_kg, weighed.available_qty_kg), (5900, 5900))
		notes = frappe.get_all(
			"Comment", filters={"reference_doctype": "Lot", "reference_name": lot, "comment_type": "Info"}
		)
		self.assertEqual(len(notes), 1)

	def test_importing_the_same_file_twice_adds_nothing(self):
		numbers = [unique("T"), unique("T")]
		content = self.csv(self.row(numbers[0]), self.row(numbers[1], gross="12200", net="2200"))
		first = import_scale_tickets(self.site, content)
		tickets, ncs = ticket_count(site=self.site), frappe.db.count("Nonconformance", {"site": self.site})
		again = import_scale_tickets(self.site, content)
		self.assertEqual((again["imported"], again["rejected"]), ([], []))
		self.assertEqual([s["row"] for s in again["skipped"]], [1, 2])
		self.assertEqual([s["ticket"] for s in again["skipped"]], [r["ticket"] for r in first["imported"]])
		self.assertIn(first["imported"][0]["ticket"], again["skipped"][0]["reason"])
		self.assertEqual(ticket_count(site=self.site), tickets)
		self.assertEqual(frappe.db.count("Nonconformance", {"site": self.site}), ncs)

	def test_good_rows_are_kept_and_bad_rows_refused_by_row(self):
		good = [unique("T"), unique("T")]
		content = self.csv(
			self.row(good[0]),
			self.row(unique("T"), gross=""),  # 2: missing weight
			self.row(unique("T"), gross="9000", net=""),  # 3: tare above gross
			self.row(unique("T"), lot="LOT-NO-SUCH-LOT"),  # 4: unknown lot
			self.row(unique("T"), lot=self.other_lot),  # 5: lot of another site
			self.row(unique("T"), net="2990"),  # 6: net disagreeing with gross - tare
			self.row(unique("T"), device=self.other_scale),  # 7: device of another site
			self.row(good[1], net="3000.5"),  # 8: within 1 kg
		)
		before = ticket_count()
		result = import_scale_tickets(self.site, content)
		self.assertEqual(
			[(r["row"], r["ticket_no"]) for r in result["imported"]], [(1, good[0]), (8, good[1])]
		)
		self.assertEqual([r["row"] for r in result["rejected"]], [2, 3, 4, 5, 6, 7])
		errors = {r["row"]: r["error"] for r in result["rejected"]}
		for row, words in {
			2: "Gross Weight is missing",
			3: "must be less than Gross Weight",
			4: "LOT-NO-SUCH-LOT",
			5: self.other_site,
			6: "is not Gross Weight minus Tare Weight",
			7: self.other_site,
		}.items():
			self.assertTrue(errors[row].startswith(f"Row {row}:"), errors[row])
			self.assertIn(words, errors[row])
		self.assertEqual(ticket_count(), before + 2, "a refused row leaves nothing behind")
		self.assertFalse(frappe.db.exists("Scale Ticket", {"lot": self.other_lot}))

	def test_a_dry_run_writes_nothing(self):
		numbers = [unique("T"), unique("T")]
		counts = {
			doctype: frappe.db.count(doctype)
			for doctype in ("Scale Ticket", "Nonconformance", "YAM Alert Log", "Notification Log")
		}
		result = import_scale_tickets(
			self.site,
			self.csv(self.row(numbers[0]), self.row(numbers[1], gross="12200", net="2200"), self.row("")),
			dry_run=1,
		)
		self.assertEqual(result["dry_run"], 1)
		self.assertEqual([(r["row"], r["mismatch_flag"]) for r in result["imported"]], [(1, 0), (2, 1)])
		self.assertEqual([r["ticket"] for r in result["imported"]], [None, None])
		self.assertEqual([r["row"] for r in result["rejected"]], [3])
		for doctype, count in counts.items():
			self.assertEqual(frappe.db.count(doctype), count, doctype)
		real = import_scale_tickets(self.site, self.csv(self.row(numbers[0])))
		self.assertEqual(len(real["imported"]), 1, "the dry run left no ticket number taken")

	def test_windows_1256_with_arabic_text_and_day_first_dates(self):
		number = unique("T")
		text = (
			"رقم التذكرة,التاريخ,المشغل,الوزن القائم,الوزن الفارغ,الصافي,الدفعة,السائق\n"
			f"{number},23/02/2026 14:05,علي أحمد,13000,10000,3000,{self.lot},محمد\n"
		)
		result = import_scale_tickets(self.site, text.encode("cp1256"), "tickets.csv")
		self.assertEqual(result["encoding"], "cp1256")
		self.assertEqual(result["rejected"], [])
		ticket = frappe.get_doc("Scale Ticket", result["imported"][0]["ticket"])
		self.assertEqual((ticket.operator, ticket.driver), ("علي أحمد", "محمد"))
		self.assertEqual(str(ticket.ticket_datetime), "2026-02-23 14:05:00")

	def test_excel_workbook(self):
		numbers = [unique("T"), unique("T")]
		frame = pd.DataFrame(
			{
				"Ticket No": numbers,
				"Date": ["2026-02-23 10:00", "24/02/2026"],
				"Gross": [13000, 12200],
				"Tare": [10000, 10000],
				"Lot": [make_lot(self.site, 3000).name, make_lot(self.site, 3000).name],
				"Remarks": ["first", "second"],
			}
		)
		buffer = io.BytesIO()
		frame.to_excel(buffer, index=False)
		result = import_scale_tickets(self.site, buffer.getvalue(), "tickets.xlsx")
		self.assertEqual((result["file_format"], result["unknown_columns"]), ("xlsx", ["Remarks"]))
		self.assertEqual([r["mismatch_flag"] for r in result["imported"]], [0, 1])

	def test_a_user_of_another_site_is_refused(self):
		operator = make_user(["Site Operator"], [self.other_site], "operator")
		with self.set_user(operator), self.assertRaises(frappe.PermissionError):
			import_scale_tickets(self.site, self.csv(self.row(unique("T"))))
		auditor = make_user(["Auditor"], [self.site], "auditor")
		with self.set_user(auditor), self.assertRaises(frappe.PermissionError):
			import_scale_tickets(self.site, self.csv(self.row(unique("T"))))

	def test_an_operator_of_the_site_imports(self):
		operator = make_user(["Site Operator"], [self.site], "operator")
		with self.set_user(operator):
			result = import_scale_tickets(self.site, self.csv(self.row(unique("T"))))
		self.assertEqual(len(result["imported"]), 1)
		self.assertEqual(
			frappe.db.get_value("Scale Ticket", result["imported"][0]["ticket"], "owner"), operator
		)

	def test_an_unreadable_file_is_refused_whole(self):
		with self.assertRaises(frappe.ValidationError):
			import_scale_tickets(self.site, b"ticket_no,date\nT-1,2026-02-23\n")


class TestImportDigest(TicketImportCase):
	def test_the_quality_manager_gets_one_digest_per_import(self):
		rows = [self.row(unique("T"), gross="12200", net="2200") for _ in range(3)]
		before = frappe.db.count("Notification Log", {"for_user": self.qm})
		result = import_scale_tickets(self.site, self.csv(self.row(unique("T")), *rows), import_batch="STI-X")
		flagged = [r["ticket"] for r in result["imported"] if r["mismatch_flag"]]
		self.assertEqual(len(flagged), 3)
		self.assertEqual(frappe.db.count("Notification Log", {"for_user": self.qm}), before + 1)
		subject = frappe.get_all(
			"Notification Log", filters={"for_user": self.qm}, pluck="subject", order_by="creation desc"
		)[0]
		self.assertIn("3", subject)
		keys = [alerting.alert_key(alerting.SCALE_TICKET_MISMATCH, name) for name in flagged]
		self.assertEqual(frappe.db.count("YAM Alert Log", {"alert_key": ("in", keys)}), 3)
		# a later alert of one of these tickets (a retried submit) finds it already alerted
		from yam_agri_core.alerts.events import alert_scale_ticket_mismatch

		alert_scale_ticket_mismatch(frappe.get_doc("Scale Ticket", flagged[0]))
		self.assertEqual(frappe.db.count("Notification Log", {"for_user": self.qm}), before + 1)

	def test_a_clean_file_alerts_nobody(self):
		before = frappe.db.count("Notification Log", {"for_user": self.qm})
		import_scale_tickets(self.site, self.csv(self.row(unique("T"))))
		self.assertEqual(frappe.db.count("Notification Log", {"for_user": self.qm}), before)


class TestImportApi(TicketImportCase):
	def test_text_content_and_dry_run_flag(self):
		number = unique("T")
		text = (HEADER + self.row(number) + "\n").replace(",", ";")
		preview = api_import_scale_tickets(self.site, text, "tickets.csv", dry_run="1")
		self.assertEqual((preview["dry_run"], len(preview["imported"])), (1, 1))
		self.assertFalse(frappe.db.exists("Scale Ticket", {"ticket_no": number}))
		result = api_import_scale_tickets(self.site, text)
		self.assertEqual(
			set(result["imported"][0]),
			{"row", "ticket", "ticket_no", "net_kg", "mismatch_flag", "nonconformance"},
		)

	def test_excel_sent_as_base64_text(self):
		buffer = io.BytesIO()
		pd.DataFrame(
			{"ticket_no": [unique("T")], "date": ["2026-02-23"], "gross": [13000], "tare": [10000]}
		).to_excel(buffer, index=False)
		result = api_import_scale_tickets(self.site, base64.b64encode(buffer.getvalue()).decode(), "t.xlsx")
		self.assertEqual(len(result["imported"]), 1)
