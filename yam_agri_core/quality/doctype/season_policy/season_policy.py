# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe.model.document import Document

from yam_agri_core.rules import dispatch
from yam_agri_core.validation import rules_enforced


class SeasonPolicy(Document):
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


def get_active_policy(crop: str | None, season: str | None) -> dispatch.Policy | None:
	"""The active Season Policy of ``crop`` and ``season``, as the gate reads it (no permission
	check: the policy is global reference data)."""
	if not crop or not season:
		return None
	name = frappe.db.get_value("Season Policy", {"crop": crop, "season": season, "is_active": 1}, "name")
	if not name:
		return None
	policy = frappe.get_doc("Season Policy", name)
	return dispatch.Policy(
		name=policy.name,
		mandatory_tests=tuple(row.test_type for row in policy.mandatory_tests),
		mandatory_certificates=tuple(row.cert_type for row in policy.mandatory_certificates),
		max_test_age_days=policy.max_test_age_days or 0,
	)
