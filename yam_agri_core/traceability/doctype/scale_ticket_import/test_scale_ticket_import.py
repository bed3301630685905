# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.tests.utils import TEST_IGNORE, make_lot, make_site, make_user, unique
from yam_agri_core.traceability import ticket_import
from yam_agri_core.traceability.doctype.scale_ticket_import.scale_ticket_import import (
	preview_import,
	start_import,
)

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE

HEADER = "ticket_no,date,operator,gross_weight_kg,tare_weight_kg,net_weight_kg,lot,device\n"


def make_import(site: str, content: bytes, filename: str = "tickets.csv"):
	"""A Scale Ticket Import of ``site`` with ``content`` attached, as the form's upload leaves it."""
	file = frappe.get_doc(
		{"doctype": "File", "file_name": filename, "is_private": 1, "content": content}
	).insert(ignore_permissions=True)
	doc = frappe.get_doc({"doctype": "Scale Ticket Import", "site": site, "import_file": file.file_url})
	doc.insert()
	file.db_set(
		{"attached_to_doctype": doc.doctype, "attached_to_name": doc.name, "attached_to_field": "import_file"}
	)
	return doc


class KeepTestData:
	"""The job commits its chunks and rolls back a dry run; in a test both stay in the test's transaction."""

	def __enter__(self):
		rollback = frappe.db.rollback

		def savepoints_only(*args, **kwargs):
			if kwargs.get("save_point"):
				return rollback(*args, **kwargs)

		self.patches = [
			patch.object(frappe.db, "commit", lambda *a, **k: None),
			patch.object(frappe.db, "rollback", savepoints_only),
		]
		for p in self.patches:
			p.start()

	def __exit__(self, *exc):
		for p in self.patches:
			p.stop()


class TestScaleTicketImport(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name
		cls.lot = make_lot(cls.site, 3000).name

	def rows(self, count: int, bad: int = 0) -> bytes:
		lines = [f"{unique('T')},2026-02-23 10:00,Ali,13000,10000,3000,{self.lot}," for _ in range(count)]
		lines += [f"{unique('T')},2026-02-23 10:00,Ali,,10000,,{self.lot}," for _ in range(bad)]
		return (HEADER + "\n".join(lines) + "\n").encode()

	def test_preview_then_import(self):
		doc = make_import(self.site, self.rows(2, bad=1))
		self.assertEqual(doc.status, "Draft")
		before = frappe.db.count("Scale Ticket", {"site": self.site})
		answer = preview_import(doc.name)
		self.assertEqual((answer["queued"], answer["imported"], answer["rejected"]), (0, 2, 1))
		doc.reload()
		self.assertEqual(
			(doc.status, doc.total_rows, doc.imported_count, doc.rejected_count), ("Previewed", 3, 2, 1)
		)
		self.assertEqual(frappe.db.count("Scale Ticket", {"site": self.site}), before)
		self.assertIn("Preview", doc.import_log)

		doc.start_import()
		doc.reload()
		self.assertEqual((doc.status, doc.imported_count, doc.rejected_count), ("Partially Imported", 2, 1))
		self.assertEqual(frappe.db.count("Scale Ticket", {"import_batch": doc.name}), 2)
		report = frappe.get_doc("File", {"file_url": doc.error_report})
		self.assertEqual(report.attached_to_name, doc.name)
		self.assertIn("Row 3: Gross Weight is missing", report.get_content())

		doc.start_import()  # again: everything is there already
		doc.reload()
		self.assertEqual((doc.imported_count, doc.skipped_count, doc.rejected_count), (0, 2, 1))
		self.assertEqual(
			frappe.db.count("File", {"attached_to_name": doc.name, "attached_to_field": "error_report"}), 1
		)

	def test_the_file_cannot_change_once_imported(self):
		doc = make_import(self.site, self.rows(1))
		doc.start_import()
		doc.reload()
		self.assertEqual(doc.status, "Imported")
		doc.site = make_site().name
		self.assertRaises(frappe.ValidationError, doc.save)

	def test_a_long_file_runs_as_a_background_job(self):
		doc = make_import(self.site, self.rows(6, bad=1))
		with (
			patch.object(ticket_import, "BACKGROUND_ROWS", 5),
			patch.object(ticket_import, "COMMIT_EVERY", 2),
			patch("frappe.enqueue") as enqueue,
		):
			answer = doc.start_import()
		self.assertEqual(answer, {"queued": 1, "rows": 7})
		self.assertEqual(enqueue.call_args.kwargs["queue"], "long")
		self.assertEqual(enqueue.call_args.kwargs["job_id"], ticket_import.import_job_id(doc.name))
		self.assertTrue(enqueue.call_args.kwargs["enqueue_after_commit"])
		self.assertEqual(frappe.db.get_value(doc.doctype, doc.name, "status"), "Importing")
		with KeepTestData(), patch("frappe.publish_progress") as progress:
			ticket_import.run_import_job(doc.name, dry_run=False)
		doc.reload()
		self.assertEqual((doc.status, doc.imported_count, doc.rejected_count), ("Partially Imported", 6, 1))
		self.assertEqual(progress.call_args.args[0], 100)
		self.assertTrue(
			frappe.db.exists(
				"Notification Log",
				{"document_type": doc.doctype, "document_name": doc.name, "for_user": "Administrator"},
			)
		)

	def test_a_user_of_another_site_cannot_import_here(self):
		doc = make_import(self.site, self.rows(1))
		other = make_user(["Site Operator"], [make_site().name], "operator")
		with self.set_user(other), self.assertRaises(frappe.PermissionError):
			start_import(doc.name)
		self.assertFalse(frappe.db.count("Scale Ticket", {"import_batch": doc.name}))
