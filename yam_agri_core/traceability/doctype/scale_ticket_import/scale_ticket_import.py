# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

import json
import time

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import now_datetime

from yam_agri_core.traceability import ticket_import

#: Rows of each outcome kept on the form (the counts are exact; the error report has every refusal).
STORED_ROWS = 1000
IMPORT_DONE_STATES = ("Imported", "Partially Imported")


class ScaleTicketImport(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		error_report: DF.Attach | None
		import_file: DF.Attach
		import_log: DF.LongText | None
		imported_count: DF.Int
		mismatch_count: DF.Int
		naming_series: DF.Literal["STI-.YYYY.-.#####"]
		rejected_count: DF.Int
		result_json: DF.LongText | None
		site: DF.Link
		skipped_count: DF.Int
		status: DF.Literal["Draft", "Previewed", "Importing", "Imported", "Partially Imported", "Failed"]
		total_rows: DF.Int
	# end: auto-generated types

	def validate(self):
		self.reset_preview_when_the_file_changes()
		self.keep_site_and_file_once_imported()

	def reset_preview_when_the_file_changes(self):
		if not self.is_new() and self.status == "Previewed" and self.has_value_changed("import_file"):
			self.status = "Draft"

	def keep_site_and_file_once_imported(self):
		if self.is_new() or self.status not in (*IMPORT_DONE_STATES, "Importing"):
			return
		for fieldname in ("site", "import_file"):
			if self.has_value_changed(fieldname):
				frappe.throw(
					_("{0} cannot change once the file is imported; start a new Scale Ticket Import").format(
						_(self.meta.get_label(fieldname))
					),
					exc=frappe.ValidationError,
				)

	# --- the buttons ---------------------------------------------------------------------------

	def preview(self) -> dict:
		"""Dry run: what would happen to each row, nothing written but the result on this form."""
		return self.run(dry_run=True)

	def start_import(self) -> dict:
		return self.run(dry_run=False)

	def run(self, dry_run: bool) -> dict:
		self.check_permission("write")
		ticket_import.check_import_permission(self.site)
		if self.status == "Importing":
			frappe.throw(_("This file is being imported; wait for it to finish"), exc=frappe.ValidationError)
		parsed = self.parse()
		rows = len(parsed.rows) + len(parsed.rejected)
		if rows > ticket_import.BACKGROUND_ROWS:
			return self.enqueue(dry_run, rows)
		started = time.monotonic()
		result = ticket_import.run_import(self.site, parsed, dry_run, import_batch=self.name)
		self.record_result(result, rows, time.monotonic() - started)
		return {"queued": 0, **ticket_import.summary(result)}

	def parse(self):
		return ticket_import.parse_file(self.file_content(), self.file_name())

	def file_doc(self):
		"""The attached file (or, for a record made over REST, a File of that URL the user may read)."""
		if not self.import_file:
			frappe.throw(_("Attach the ticket file first"), exc=frappe.MandatoryError)
		name = frappe.db.get_value(
			"File",
			{
				"file_url": self.import_file,
				"attached_to_doctype": self.doctype,
				"attached_to_name": self.name,
			},
		) or next(
			iter(frappe.get_list("File", filters={"file_url": self.import_file}, pluck="name", limit=1)), None
		)
		if not name:
			frappe.throw(
				_("The ticket file {0} is not found").format(self.import_file), exc=frappe.ValidationError
			)
		return frappe.get_doc("File", name)

	def file_content(self) -> bytes:
		content = self.file_doc().get_content()
		return content.encode("utf-8") if isinstance(content, str) else content

	def file_name(self) -> str:
		return self.file_doc().file_name or self.import_file.rsplit("/", 1)[-1]

	def enqueue(self, dry_run: bool, rows: int) -> dict:
		job_id = ticket_import.import_job_id(self.name)
		if frappe.utils.background_jobs.is_job_enqueued(job_id):
			frappe.throw(_("This file is being imported; wait for it to finish"), exc=frappe.ValidationError)
		if not dry_run:
			self.db_set("status", "Importing")
		frappe.enqueue(
			"yam_agri_core.traceability.ticket_import.run_import_job",
			queue="long",
			timeout=3600,
			enqueue_after_commit=True,
			job_id=job_id,
			deduplicate=True,
			import_name=self.name,
			dry_run=dry_run,
		)
		return {"queued": 1, "rows": rows}

	# --- the result ----------------------------------------------------------------------------

	def record_result(self, result: dict, rows: int, seconds: float) -> None:
		counts = ticket_import.summary(result)
		self.total_rows = rows
		self.imported_count = counts["imported"]
		self.skipped_count = counts["skipped"]
		self.rejected_count = counts["rejected"]
		self.mismatch_count = counts["mismatches"]
		self.status = outcome_status(result)
		self.result_json = json.dumps(stored_result(result), default=str, ensure_ascii=False)
		self.error_report = self.attach_error_report(result)
		self.add_log(log_line(result, counts, seconds))
		self.save()

	def attach_error_report(self, result: dict) -> str | None:
		"""The refused rows as a CSV file attached here (the previous run's report is replaced)."""
		if self.error_report:
			old = frappe.get_all(
				"File",
				filters={
					"attached_to_doctype": self.doctype,
					"attached_to_name": self.name,
					"file_url": self.error_report,
				},
				pluck="name",
			)
			for name in old:
				frappe.delete_doc("File", name, ignore_permissions=True)
		if not result["rejected"]:
			return None
		report = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": f"{self.name}-refused-rows.csv",
				"attached_to_doctype": self.doctype,
				"attached_to_name": self.name,
				"attached_to_field": "error_report",
				"is_private": 1,
				"content": ticket_import.error_report_csv(result).encode("utf-8"),
			}
		)
		report.insert(ignore_permissions=True)
		return report.file_url

	def add_log(self, line: str) -> None:
		stamp = now_datetime().strftime("%Y-%m-%d %H:%M:%S")
		self.import_log = f"{self.import_log or ''}{stamp} {line}\n"


@frappe.whitelist(methods=["POST"])
def preview_import(name: str) -> dict:
	"""The form's Preview button."""
	return frappe.get_doc("Scale Ticket Import", name).preview()


@frappe.whitelist(methods=["POST"])
def start_import(name: str) -> dict:
	"""The form's Import button."""
	return frappe.get_doc("Scale Ticket Import", name).start_import()


def outcome_status(result: dict) -> str:
	if result.get("dry_run"):
		return "Previewed"
	if not result["rejected"]:
		return "Imported"
	return "Partially Imported" if result["imported"] or result["skipped"] else "Failed"


def stored_result(result: dict) -> dict:
	return {
		key: value[:STORED_ROWS] if isinstance(value, list) and key != "unknown_columns" else value
		for key, value in result.items()
	}


def log_line(result: dict, counts: dict, seconds: float) -> str:
	if result.get("dry_run"):
		what = _("Preview")
		template = _(
			"{0}: {1} would be imported, {2} skipped, {3} refused, {4} weight mismatches in {5} s ({6} {7})"
		)
	else:
		what = _("Import")
		template = _("{0}: {1} imported, {2} skipped, {3} refused, {4} weight mismatches in {5} s ({6} {7})")
	line = template.format(
		what,
		counts["imported"],
		counts["skipped"],
		counts["rejected"],
		counts["mismatches"],
		f"{seconds:.1f}",
		result.get("file_format", ""),
		result.get("encoding", ""),
	)
	if result.get("unknown_columns"):
		line += "; " + _("columns not understood: {0}").format(", ".join(result["unknown_columns"]))
	return line
