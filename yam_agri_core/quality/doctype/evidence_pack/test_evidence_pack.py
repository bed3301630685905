# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import io
import json
import subprocess
import zipfile

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_to_date, today

from yam_agri_core.rules import evidence
from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	make_certificate,
	make_device,
	make_lot,
	make_nc,
	make_qc_test,
	make_reading,
	make_site,
	make_stored_lot,
	make_ticket,
	make_transfer,
	make_user,
)

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


def make_pack(site: str, lot: str | None = None, days: int = 7):
	return frappe.get_doc(
		{
			"doctype": "Evidence Pack",
			"site": site,
			"lot": lot,
			"from_date": add_days(today(), -days),
			"to_date": today(),
		}
	).insert()


def file_bytes(file_url: str) -> bytes:
	return frappe.get_doc("File", {"file_url": file_url}).get_content()


def item_keys(pack) -> set[tuple[str, str]]:
	return {(i.reference_doctype, i.reference_name) for i in pack.items}


class TestEvidencePack(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site, cls.other = make_site().name, make_site().name
		cls.seed(cls.site)
		cls.seed(cls.other)

	@classmethod
	def seed(cls, site: str) -> set[tuple[str, str]]:
		lot = make_lot(site).name
		qc = make_qc_test(lot)
		frappe.get_doc(
			{
				"doctype": "File",
				"file_name": "lab-report.txt",
				"attached_to_doctype": "QC Test",
				"attached_to_name": qc.name,
				"is_private": 1,
				"content": b"moisture 12.0 %",
			}
		).insert(ignore_permissions=True)
		cert = make_certificate(site)
		make_certificate(site, -400, issue_date=add_days(today(), -800))  # expired before the period
		tickets = [make_ticket(site, 3500, 500, 3000, submit=True, lot=lot) for _ in range(2)]
		device = make_device(site).name
		for i, value in enumerate((20.0, 22.5, 21.0)):
			make_reading(device, value, minutes_ago=10 + i)
		hot = make_reading(device, 42.0, minutes_ago=5)
		nc = make_nc(site, lot=lot)
		expected = {("QC Test", qc.name), ("Certificate", cert.name), ("Nonconformance", nc.name)}
		expected |= {("Scale Ticket", t.name) for t in tickets} | {("Observation", hot.name)}
		return expected

	def test_pack_holds_exactly_the_records_of_its_site_and_period(self):
		site = make_site().name
		expected = self.seed(site)
		pack = make_pack(site)
		counts = pack.generate()
		pack.reload()
		self.assertEqual(item_keys(pack), expected)
		self.assertEqual({i.site for i in pack.items}, {site})
		self.assertEqual(pack.scale_ticket_count, 2)
		self.assertEqual(pack.quarantined_reading_count, 1)
		self.assertEqual(pack.reading_count, 3)  # the quarantined reading is never summarized
		self.assertEqual(pack.file_count, 1)
		self.assertEqual(counts["qc_tests"], 1)
		quarantined = frappe.get_doc("Observation", next(n for d, n in item_keys(pack) if d == "Observation"))
		self.assertEqual(quarantined.quality_flag, "Quarantine")

	def test_pdf_and_zip(self):
		pack = make_pack(self.site)
		pack.generate()
		pack.reload()
		pdf = file_bytes(pack.pdf_file)
		self.assertTrue(pdf.startswith(b"%PDF"))
		text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
		self.assertIn(b"Scale Tickets", text)
		self.assertIn(pack.name.encode(), text)
		archive = zipfile.ZipFile(io.BytesIO(file_bytes(pack.zip_file)))
		content = {name: archive.read(name) for name in archive.namelist()}
		manifest = content["manifest.json"]
		self.assertEqual(evidence.sha256(manifest), pack.manifest_sha256)
		self.assertEqual(evidence.verify_manifest(manifest, content), [])
		self.assertIn(f"{pack.name}.pdf", content)
		self.assertIn("csv/scale_tickets.csv", content)
		self.assertTrue(any(p.endswith("/lab-report.txt") for p in content))
		self.assertEqual(json.loads(manifest)["site"], self.site)
		self.assertEqual(content["csv/scale_tickets.csv"].decode("utf-8-sig").count("\r\n"), 3)

	def test_regenerating_a_draft_replaces_its_files(self):
		pack = make_pack(self.site)
		pack.generate()
		pack.reload()
		pack.generate()
		files = frappe.get_all(
			"File", filters={"attached_to_doctype": "Evidence Pack", "attached_to_name": pack.name}
		)
		self.assertEqual(len(files), 2)

	def test_sent_pack_refuses_changes(self):
		qm = make_user(["Quality Manager"], [self.site], "qm")
		with self.set_user(qm):
			pack = make_pack(self.site)
			with self.assertRaises(frappe.ValidationError):
				pack.mark_reviewed()  # not generated yet
			pack.generate()
			pack.mark_reviewed()
			self.assertEqual(pack.reviewed_by, qm)
			with self.assertRaises(frappe.ValidationError) as refused:
				pack.mark_sent()  # to whom?
			self.assertIn("Sent To", str(refused.exception))
			self.assertEqual(frappe.db.get_value("Evidence Pack", pack.name, "status"), "Reviewed")
			pack.mark_sent(" YSMO auditor ")
			self.assertEqual((pack.status, pack.sent_to), ("Sent", "YSMO auditor"))
			with self.assertRaises(frappe.ValidationError):
				pack.generate()
			pack.reload()
			pack.to_date = add_days(today(), -1)
			with self.assertRaises(frappe.ValidationError):
				pack.save()
			pack.reload()
			with self.assertRaises(frappe.ValidationError):
				pack.delete()
			pdf = frappe.get_doc("File", {"file_url": pack.pdf_file})
			with self.assertRaises(frappe.ValidationError):
				pdf.delete(ignore_permissions=True)

	def test_status_is_not_set_by_hand(self):
		pack = make_pack(self.site)
		pack.status = "Sent"
		with self.assertRaises(frappe.ValidationError):
			pack.save()

	def test_lot_scoped_pack_follows_the_genealogy(self):
		parent = make_stored_lot(self.site, 5000).name
		transfer = make_transfer(self.site, "Split", [(parent, 3000)], [(None, 3000)])
		child = transfer.destination_lots[0].lot
		unrelated = make_lot(self.site).name
		tests = {lot: make_qc_test(lot).name for lot in (parent, child, unrelated)}
		pack = make_pack(self.site, lot=parent)
		pack.generate()
		keys = item_keys(pack)
		self.assertIn(("QC Test", tests[parent]), keys)
		self.assertIn(("QC Test", tests[child]), keys)
		self.assertIn(("Lot Transfer", transfer.name), keys)
		self.assertNotIn(("QC Test", tests[unrelated]), keys)
		self.assertEqual(pack.lot_count, 2)

	def test_other_site_user_cannot_read_or_generate(self):
		pack = make_pack(self.site)
		stranger = make_user(["Quality Manager"], [self.other], "stranger")
		auditor = make_user(["Auditor"], [self.site], "auditor")
		with self.set_user(stranger):
			self.assertFalse(frappe.has_permission("Evidence Pack", "read", pack.name))
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc("Evidence Pack", pack.name).generate()
			self.assertNotIn(pack.name, frappe.get_list("Evidence Pack", pluck="name"))
		with self.set_user(auditor):
			self.assertTrue(frappe.has_permission("Evidence Pack", "read", pack.name))
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc("Evidence Pack", pack.name).generate()

	def test_other_site_tickets_out_of_period_stay_out(self):
		old = make_ticket(
			self.site, 3500, 500, 3000, submit=True, ticket_datetime=add_to_date(today(), days=-30)
		)
		pack = make_pack(self.site)
		pack.generate()
		self.assertNotIn(("Scale Ticket", old.name), item_keys(pack))

	def test_a_sent_pack_refuses_a_new_sent_to_by_its_label_in_the_readers_language(self):
		qm = make_user(["Quality Manager"], [self.site], "qm")
		with self.set_user(qm):
			pack = make_pack(self.site)
			pack.generate()
			pack.mark_reviewed()
			pack.mark_sent("Buyer")
			pack.reload()
			pack.sent_to = "Someone else"
			with self.assertRaises(frappe.ValidationError) as refused:
				pack.save()
			self.assertIn("(Sent To)", str(refused.exception))
			self.assertNotIn("sent_to", str(refused.exception))
			pack.reload()
			pack.sent_to = "Someone else"
			frappe.local.lang = "ar"
			try:
				with self.assertRaises(frappe.ValidationError) as refused:
					pack.save()
			finally:
				frappe.local.lang = "en"
			message = str(refused.exception)
			self.assertNotIn("sent_to", message)
			self.assertNotRegex(message, "[A-Za-z]{4,}", "an Arabic refusal is all Arabic")

	def test_the_pdf_prints_no_status_that_sending_would_contradict(self):
		pack = make_pack(self.site)
		html = frappe.render_template(
			"yam_agri_core/templates/evidence/evidence_pack.html",
			{
				"doc": pack,
				"lang": "en",
				"dir": "ltr",
				"site": self.site,
				"counts": {"readings": 0, "lots": 0, "files": 0},
				"kinds": [],
				"summary": [],
				"summary_columns": [],
				"printed_on": "",
				"printed_by": "",
			},
		)
		self.assertNotIn("Draft", html)
		self.assertIn("sealed", html)
