# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate, now_datetime

from yam_agri_core.rule_bridge import check_links_same_site, rules_enforced, session_roles
from yam_agri_core.rules import evidence

from . import gather, render

COUNT_FIELDS = {
	"qc_tests": "qc_test_count",
	"certificates": "certificate_count",
	"scale_tickets": "scale_ticket_count",
	"nonconformances": "nonconformance_count",
	"lot_transfers": "lot_transfer_count",
	"quarantined_readings": "quarantined_reading_count",
	"readings": "reading_count",
	"lots": "lot_count",
	"files": "file_count",
}
#: Fields the pack writes itself (generation, review, sending); a user edits only the scope and sent_to.
SYSTEM_FIELDS = (
	*COUNT_FIELDS.values(),
	"summary",
	"pdf_file",
	"zip_file",
	"manifest_sha256",
	"generated_on",
	"generated_by",
	"reviewed_by",
	"reviewed_on",
	"sent_by",
	"sent_on",
)


class EvidencePack(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from yam_agri_core.quality.doctype.evidence_pack_item.evidence_pack_item import EvidencePackItem

		certificate_count: DF.Int
		file_count: DF.Int
		from_date: DF.Date
		generated_by: DF.Link | None
		generated_on: DF.Datetime | None
		items: DF.Table[EvidencePackItem]
		lot: DF.Link | None
		lot_count: DF.Int
		lot_transfer_count: DF.Int
		manifest_sha256: DF.Data | None
		naming_series: DF.Literal["EVP-.YYYY.-.#####"]
		nonconformance_count: DF.Int
		pdf_file: DF.Attach | None
		qc_test_count: DF.Int
		quarantined_reading_count: DF.Int
		reading_count: DF.Int
		reviewed_by: DF.Link | None
		reviewed_on: DF.Datetime | None
		scale_ticket_count: DF.Int
		sent_by: DF.Link | None
		sent_on: DF.Datetime | None
		sent_to: DF.Data | None
		site: DF.Link
		status: DF.Literal["Draft", "Reviewed", "Sent"]
		summary: DF.Code | None
		to_date: DF.Date
		zip_file: DF.Attach | None
	# end: auto-generated types

	def validate(self):
		with rules_enforced():
			self.validate_edit()
			evidence.period_bounds(getdate(self.from_date), getdate(self.to_date))
		self.validate_same_site_links()

	def validate_edit(self):
		before = self.get_doc_before_save()
		if not before:
			self.status = evidence.DRAFT
			for fieldname in SYSTEM_FIELDS:
				self.set(fieldname, None)
			self.set("items", [])
			return
		changed = [
			f
			for f in (*evidence.SCOPE_FIELDS, "status", "sent_to", *SYSTEM_FIELDS)
			if str(self.get(f) or "") != str(before.get(f) or "")
		]
		if self.items_changed(before):
			changed.append("items")
		labels = {f: _(self.meta.get_label(f)) for f in changed}
		evidence.check_edit(before.status, changed, by_pack=bool(self.flags.pack_writes), labels=labels)

	def items_changed(self, before) -> bool:
		key = [(i.reference_doctype, i.reference_name) for i in self.items]
		return key != [(i.reference_doctype, i.reference_name) for i in before.items]

	def validate_same_site_links(self):
		check_links_same_site(self, [("lot", "Lot")])

	def on_trash(self):
		with rules_enforced():
			evidence.check_delete(self.status)

	# --- actions -----------------------------------------------------------------------------------

	@frappe.whitelist()
	def generate(self: EvidencePack) -> dict:
		"""Gather the records in scope, render the PDF and the ZIP and attach both (replacing the
		previous ones of this Draft)."""
		self.check_permission("write")
		with rules_enforced():
			evidence.check_generate(self.status)
		scope = gather.Scope(self)
		records = gather.gather(scope)
		summary = gather.reading_summary(scope)
		files = gather.attached_files(records)
		counts = evidence.counts(records, summary, len(scope.lots or []), len(files))
		pdf = render.render_pdf(self, records, summary, counts)
		content = render.pack_files(self, pdf, records, summary, files)
		manifest = evidence.build_manifest(content, render.manifest_header(self, counts))
		self.set("items", gather.item_rows(records))
		for key, fieldname in COUNT_FIELDS.items():
			self.set(fieldname, counts[key])
		self.summary = json.dumps(counts, sort_keys=True)
		self.pdf_file = render.attach(self, "pdf_file", f"{self.name}.pdf", pdf)
		self.zip_file = render.attach(
			self, "zip_file", f"{self.name}.zip", render.zip_bytes(content, manifest)
		)
		self.manifest_sha256 = evidence.sha256(manifest)
		self.generated_on, self.generated_by = now_datetime(), frappe.session.user
		self.save_pack()
		return counts

	@frappe.whitelist()
	def mark_reviewed(self: EvidencePack) -> None:
		self.move_to(evidence.REVIEWED, "reviewed_by", "reviewed_on")

	@frappe.whitelist()
	def mark_sent(self: EvidencePack, sent_to: str | None = None) -> None:
		"""Sent, saying to whom (``sent_to``, or the Sent To already typed); nothing changes afterwards."""
		self.check_permission("write")
		with rules_enforced():
			evidence.check_transition(self.status, evidence.SENT, session_roles(), bool(self.manifest_sha256))
			self.sent_to = evidence.check_sent_to(sent_to or self.sent_to)
		self.move_to(evidence.SENT, "sent_by", "sent_on")

	def move_to(self, status: str, by_field: str, on_field: str) -> None:
		self.check_permission("write")
		with rules_enforced():
			evidence.check_transition(self.status, status, session_roles(), bool(self.manifest_sha256))
		self.status = status
		self.set(by_field, frappe.session.user)
		self.set(on_field, now_datetime())
		self.save_pack()

	def save_pack(self) -> None:
		self.flags.pack_writes = True
		try:
			self.save()
		finally:
			self.flags.pack_writes = False


def protect_sent_pack_files(doc, method=None) -> None:
	"""``doc_events`` of File: a file attached to a Sent evidence pack is never deleted or changed."""
	if doc.attached_to_doctype != "Evidence Pack" or not doc.attached_to_name:
		return
	if frappe.db.get_value("Evidence Pack", doc.attached_to_name, "status") == evidence.SENT:
		frappe.throw(
			_("File {0} belongs to sent evidence pack {1} and cannot be changed").format(
				doc.file_name, doc.attached_to_name
			),
			frappe.ValidationError,
		)
