# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate, today

from yam_agri_core.rule_bridge import check_links_same_site, rules_enforced, session_roles
from yam_agri_core.rules import certificates
from yam_agri_core.settings import get_setting


def get_warning_days() -> int:
	return int(get_setting("certificate_warning_days"))


class Certificate(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		attachment: DF.Attach | None
		cert_type: DF.Literal[
			"", "FAO GAP", "HACCP", "ISO 22000", "Phytosanitary", "Export", "Organic", "Other"
		]
		certificate_no: DF.Data
		expiry_date: DF.Date
		issue_date: DF.Date
		issuing_body: DF.Data
		lot: DF.Link | None
		naming_series: DF.Literal["CERT-.YYYY.-.#####"]
		revocation_reason: DF.SmallText | None
		site: DF.Link
		status: DF.Literal["Active", "Expiring Soon", "Expired", "Revoked"]
		supplier: DF.Link | None

	# end: auto-generated types
	def validate(self):
		with rules_enforced():
			self.validate_dates()
			self.set_status()
		self.validate_same_site_links()

	def validate_dates(self):
		certificates.validate_dates(getdate(self.issue_date), getdate(self.expiry_date))

	def set_status(self):
		before = self.get_doc_before_save()
		self.status = certificates.next_status(
			current=before.status if before else None,
			requested=self.status,
			expiry_date=getdate(self.expiry_date),
			today=getdate(today()),
			warning_days=get_warning_days(),
			revocation_reason=self.revocation_reason,
			roles=session_roles(),
		)

	def validate_same_site_links(self):
		check_links_same_site(self, [("lot", "Lot")])


@frappe.whitelist()
def revoke_certificate(certificate: str, reason: str) -> str:
	"""Revoke a certificate (Quality Manager), recording why."""
	doc = frappe.get_doc("Certificate", certificate)
	doc.check_permission("write")
	doc.status = certificates.REVOKED
	doc.revocation_reason = reason
	doc.save()
	doc.add_comment("Info", _("Revoked: {0}").format(reason))
	return doc.status
