"""The app's print formats render to HTML and PDF in English and Arabic (right to left), and only for a
user who may read the record's site."""

import io
import json

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.translate import print_language

from yam_agri_core import print_pdf
from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	make_certificate,
	make_qc_test,
	make_site,
	make_stored_lot,
	make_ticket,
	make_transfer,
	make_user,
)

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE

#: No workaround for the site's URL: on a bench whose site name resolves nowhere the product serves the page's
#: stylesheet itself (yam_agri_core.print_pdf.use_reachable_host). Frappe's own PDF options only.
PDF_OPTIONS: dict = {}


class TestPrintFormats(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site(site_name="Print Silo", site_name_ar="صومعة الطباعة").name
		cls.other_site = make_site().name
		farm_lot = make_stored_lot(cls.site, 4000, variety="Sonalika").name
		split = make_transfer(cls.site, "Split", [(farm_lot, 4000)], [(None, 2500), (None, 1500)])
		cls.lot = split.destination_lots[0].lot
		make_qc_test(cls.lot, "Moisture", 12.5)
		make_certificate(cls.site, lot=cls.lot, cert_type="Phytosanitary")
		cls.ticket = make_ticket(
			cls.site, 13200, 11000, 3000, lot=farm_lot, submit=True, vehicle="TAZ 4-55", driver="محمد عبده"
		).name
		cls.nc = frappe.db.get_value("Scale Ticket", cls.ticket, "nonconformance")
		cls.records = {
			"Scale Ticket Slip A5": ("Scale Ticket", cls.ticket),
			"Scale Ticket Slip 80mm": ("Scale Ticket", cls.ticket),
			"Lot Quality Certificate": ("Lot", cls.lot),
			"Lot Trace": ("Lot", cls.lot),
			"CAPA Report": ("Nonconformance", cls.nc),
		}
		cls.operator = make_user(["Site Operator", "Quality Manager"], [cls.site], prefix="printer")
		cls.outsider = make_user(["Site Operator", "Quality Manager"], [cls.other_site], prefix="outsider")

	def tearDown(self):
		frappe.set_user("Administrator")

	def render(self, print_format: str, lang: str, as_pdf: bool = False):
		doctype, name = self.records[print_format]
		with print_language(lang):
			return frappe.get_print(
				doctype, name, print_format, as_pdf=as_pdf, pdf_options=dict(PDF_OPTIONS) if as_pdf else None
			)

	def test_formats_are_installed_standard_formats(self):
		for print_format, (doctype, _name) in self.records.items():
			row = frappe.db.get_value(
				"Print Format", print_format, ["doc_type", "standard", "print_format_type"], as_dict=True
			)
			self.assertEqual((row.doc_type, row.standard, row.print_format_type), (doctype, "Yes", "Jinja"))

	def test_jinja_helpers_are_registered(self):
		methods = frappe.get_hooks("jinja").get("methods", [])
		for helper in ("yam_bidi", "yam_ticket_slip", "yam_lot_quality", "yam_lot_trace", "yam_capa_report"):
			self.assertIn(f"yam_agri_core.printing.{helper}", methods)

	def test_every_format_renders_html_in_english_and_arabic(self):
		frappe.set_user(self.operator)
		for print_format, (_doctype, name) in self.records.items():
			with self.subTest(print_format=print_format):
				english = self.render(print_format, "en")
				self.assertIn('dir="ltr"', english)
				self.assertIn(name, english)
				arabic = self.render(print_format, "ar")
				self.assertIn('class="yam-print', arabic)
				self.assertRegex(arabic, r'class="yam-print[^"]*" dir="rtl" lang="ar"')
				self.assertIn("<span>", arabic)  # Arabic words are laid out one by one
				self.assertNotIn("Printed on", arabic)
				self.assertIn("<span>طبع</span> <span>في</span>", arabic)
				self.assertIn("<span>صومعة</span> <span>الطباعة</span>", arabic)  # the site's Arabic name

	def test_slip_shows_the_weighing_and_its_mismatch(self):
		html = self.render("Scale Ticket Slip A5", "en")
		for text in ("13,200", "11,000", "2,200", "3,000", "-800", "-26.67 %", "WEIGHT MISMATCH", self.nc):
			self.assertIn(text, html)
		slip = self.render("Scale Ticket Slip 80mm", "en")
		self.assertIn("page-width: 80mm", slip)
		self.assertIn("WEIGHT MISMATCH", slip)

	def test_lot_formats_show_tests_certificates_and_the_trace(self):
		quality = self.render("Lot Quality Certificate", "en")
		for text in ("Moisture", "Phytosanitary", "Passed"):
			self.assertIn(text, quality)
		trace = self.render("Lot Trace", "en")
		ancestor = frappe.db.get_value("Lot Transfer Source", {"parent": self.records_transfer()}, "lot")
		self.assertIn(ancestor, trace)
		self.assertIn(self.ticket, trace)

	def records_transfer(self) -> str:
		return frappe.db.get_value("Lot Transfer Destination", {"lot": self.lot}, "parent")

	def test_every_format_renders_a_pdf_in_english_and_arabic(self):
		frappe.set_user(self.operator)
		for print_format in self.records:
			for lang in ("en", "ar"):
				with self.subTest(print_format=print_format, lang=lang):
					pdf = self.render(print_format, lang, as_pdf=True)
					self.assertTrue(pdf.startswith(b"%PDF"))

	def test_a_user_without_the_site_cannot_print(self):
		frappe.set_user(self.outsider)
		for print_format in self.records:
			with self.subTest(print_format=print_format):
				with self.assertRaises(frappe.PermissionError):
					self.render(print_format, "en")

	def test_the_helpers_refuse_a_user_without_the_site(self):
		from yam_agri_core import printing

		frappe.set_user(self.outsider)
		for helper, name in (
			(printing.yam_ticket_slip, self.ticket),
			(printing.yam_lot_quality, self.lot),
			(printing.yam_lot_trace, self.lot),
			(printing.yam_capa_report, self.nc),
		):
			with self.subTest(helper=helper.__name__):
				with self.assertRaises(frappe.PermissionError):
					helper(name)

	def test_a_pdf_on_a_site_whose_name_resolves_nowhere(self):
		"""The product, not the test, handles a site name no resolver knows: the PDF comes back."""
		saved = frappe.local.conf.get("host_name")
		frappe.local.conf.host_name = "http://yam-nowhere.invalid"
		try:
			pdf = frappe.get_print(
				"Scale Ticket",
				self.ticket,
				"Scale Ticket Slip A5",
				as_pdf=True,
				pdf_options=dict(PDF_OPTIONS),
			)
			self.assertTrue(pdf.startswith(b"%PDF"))
			self.assertTrue(frappe.local.conf.host_name.startswith("http://127.0.0.1:"))
			stylesheet = frappe.local.conf.host_name + "/assets/frappe/dist/css/"
			self.assertTrue(stylesheet.startswith("http://127.0.0.1:"))
		finally:
			frappe.local.conf.host_name = saved

	def test_a_resolvable_site_url_is_left_alone(self):
		saved = frappe.local.conf.get("host_name")
		frappe.local.conf.host_name = "http://localhost:8000"
		try:
			print_pdf.use_reachable_host()
			self.assertEqual(frappe.local.conf.host_name, "http://localhost:8000")
		finally:
			frappe.local.conf.host_name = saved

	def test_pdf_in_background_makes_a_file_with_pages(self):
		from pypdf import PdfReader

		task = frappe.generate_hash(length=10)
		name = print_pdf.make_multi_pdf(
			[("Scale Ticket", self.ticket), ("Lot", self.lot)],
			None,
			0,
			None,
			json.dumps(PDF_OPTIONS),
			task,
			"Administrator",
			"mixed",
		)
		content = frappe.get_doc("File", name).get_content()
		self.assertGreaterEqual(len(PdfReader(io.BytesIO(content)).pages), 2)

	def test_pdf_in_background_that_fails_says_so_and_saves_no_file(self):
		task = frappe.generate_hash(length=10)
		with self.assertRaises(print_pdf.PrintFailedError) as caught:
			print_pdf.make_multi_pdf(
				[("Scale Ticket", self.ticket), ("Scale Ticket", "NO-SUCH-TICKET")],
				"Scale Ticket Slip A5",
				0,
				None,
				json.dumps(PDF_OPTIONS),
				task,
				"Administrator",
				"Scale Ticket",
			)
		self.assertIn("NO-SUCH-TICKET", str(caught.exception))
		self.assertFalse(frappe.db.exists("File", {"file_name": ("like", f"%{task}%")}))

	def test_pdf_in_background_replaces_frappes(self):
		hooks = frappe.get_hooks("override_whitelisted_methods")
		self.assertEqual(
			hooks["frappe.utils.print_format.download_multi_pdf_async"][-1],
			"yam_agri_core.print_pdf.download_multi_pdf_async",
		)
		self.assertEqual(
			print_pdf.records_to_print("Lot", json.dumps(["A", "B"])), [("Lot", "A"), ("Lot", "B")]
		)
		self.assertEqual(
			print_pdf.records_to_print({"Lot": ["A"], "Scale Ticket": ["T"]}, None),
			[("Lot", "A"), ("Scale Ticket", "T")],
		)
