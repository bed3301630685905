# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt, getdate, today

from yam_agri_core.permissions import user_has_site
from yam_agri_core.rule_bridge import rules_enforced, translate_template
from yam_agri_core.rules import qc


class QCTest(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amended_from: DF.Link | None
		attachment: DF.Attach | None
		capture_key: DF.Data | None
		crop: DF.Link | None
		instrument: DF.Data | None
		lab: DF.Data | None
		limit_applied: DF.SmallText | None
		lot: DF.Link
		naming_series: DF.Literal["QCT-.YYYY.-.#####"]
		remarks: DF.SmallText | None
		result: DF.Literal["", "Pass", "Fail"]
		season: DF.Data | None
		site: DF.Link
		test_date: DF.Date
		test_type: DF.Literal[
			"Moisture", "Protein", "Aflatoxin", "Visual", "Germination", "Pesticide Residue", "Other"
		]
		unit: DF.Data | None
		value: DF.Float
	# end: auto-generated types
	"""A lab or inspection result for a lot. Submitted, it is evidence and does not change (cancel and
	amend to correct it); only submitted tests count at the dispatch gate."""

	def validate(self):
		self.set_lot_details()
		with rules_enforced():
			self.validate_test_type()
			self.validate_test_date()
			self.normalize_unit()
			self.validate_value()
			self.set_result()

	def set_lot_details(self):
		"""Site, crop and season are the lot's; the user must hold the lot's site."""
		if not self.lot:
			return
		lot = frappe.db.get_value("Lot", self.lot, ["site", "crop", "season"], as_dict=True) or {}
		self.site, self.crop, self.season = lot.get("site"), lot.get("crop"), lot.get("season")
		if not self.flags.ignore_permissions and not user_has_site(self.site, doctype=self.doctype):
			frappe.throw(_("Lot not found at your sites"), frappe.PermissionError)

	def validate_test_type(self):
		qc.validate_test_type(self.test_type)

	def validate_test_date(self):
		qc.validate_test_date(getdate(self.test_date) if self.test_date else None, getdate(today()))

	def normalize_unit(self):
		self.unit = qc.normalize_unit(self.test_type, self.unit)

	def validate_value(self):
		qc.validate_value(self.test_type, self.measured_value(), self.unit)

	def measured_value(self) -> float | None:
		return None if self.value is None or self.value == "" else flt(self.value)

	def set_result(self):
		limits = {}
		if self.crop and self.test_type in qc.LIMITS:
			limits = frappe.db.get_value("Crop", self.crop, qc.CROP_LIMIT_FIELDS, as_dict=True) or {}
		assessment = qc.assess(
			test_type=self.test_type,
			value=self.measured_value(),
			unit=self.unit,
			crop=self.crop,
			crop_limits=limits,
			entered_result=self.result or None,
		)
		self.result = assessment.result
		self.limit_applied = translate_template(assessment.limit_template, assessment.limit_params)
