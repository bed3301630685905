# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document

from yam_agri_core.rule_bridge import rules_enforced
from yam_agri_core.rules import dispatch


class SeasonPolicy(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from yam_agri_core.quality.doctype.season_policy_certificate.season_policy_certificate import (
			SeasonPolicyCertificate,
		)
		from yam_agri_core.quality.doctype.season_policy_test.season_policy_test import SeasonPolicyTest

		crop: DF.Link
		is_active: DF.Check
		mandatory_certificates: DF.Table[SeasonPolicyCertificate]
		mandatory_tests: DF.Table[SeasonPolicyTest]
		max_test_age_days: DF.Int
		season: DF.Data
	# end: auto-generated types
	"""What a lot of a crop and season needs before it is Released or Shipped (one per crop and
	season: the name is ``{crop}-{season}``). Global: it applies to every site."""

	def before_naming(self):
		self.normalize_season()

	def validate(self):
		self.normalize_season()
		with rules_enforced():
			self.validate_policy()

	def normalize_season(self):
		self.season = (self.season or "").strip() or None

	def validate_policy(self):
		dispatch.validate_policy(
			self.season,
			[row.test_type for row in self.mandatory_tests],
			[row.cert_type for row in self.mandatory_certificates],
			self.max_test_age_days,
		)
