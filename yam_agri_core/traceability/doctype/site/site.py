# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document

from yam_agri_core import store
from yam_agri_core.rule_bridge import rules_enforced
from yam_agri_core.rules import settings, thresholds
from yam_agri_core.rules.sites import normalize_site_code
from yam_agri_core.rules.weighing import validate_tolerance
from yam_agri_core.settings import get_setting


class Site(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from yam_agri_core.monitoring.doctype.site_observation_threshold.site_observation_threshold import (
			SiteObservationThreshold,
		)

		company: DF.Link | None
		governorate: DF.Literal[
			"",
			"Abyan",
			"Aden",
			"Al Bayda",
			"Al Dhale'e",
			"Al Hudaydah",
			"Al Jawf",
			"Al Mahrah",
			"Al Mahwit",
			"Amanat Al Asimah",
			"Amran",
			"Dhamar",
			"Hadramawt",
			"Hajjah",
			"Ibb",
			"Lahij",
			"Ma'rib",
			"Raymah",
			"Sa'dah",
			"Sana'a",
			"Shabwah",
			"Socotra",
			"Ta'iz",
		]
		is_active: DF.Check
		scale_tolerance_pct: DF.Float
		site_code: DF.Data
		site_name: DF.Data
		site_name_ar: DF.Data | None
		site_type: DF.Literal["", "Farm", "Silo", "Warehouse", "Store", "Office"]
		thresholds: DF.Table[SiteObservationThreshold]
		warehouse: DF.Link | None

	# end: auto-generated types
	def before_insert(self):
		with rules_enforced():
			self.site_code = normalize_site_code(self.site_code)

	def validate(self):
		with rules_enforced():
			self.normalize_site_code()
			self.set_default_scale_tolerance()
			self.validate_scale_tolerance()
			self.validate_thresholds()

	def on_update(self):
		store.forget_site(self.name)

	def on_trash(self):
		store.forget_site(self.name)

	def normalize_site_code(self):
		self.site_code = normalize_site_code(self.site_code)

	def set_default_scale_tolerance(self):
		"""A site saved without a tolerance takes the default of YAM Agri Settings; 0 % is a tolerance."""
		self.scale_tolerance_pct = settings.site_tolerance(
			self.scale_tolerance_pct, get_setting("default_scale_tolerance_pct")
		)

	def validate_scale_tolerance(self):
		validate_tolerance(self.scale_tolerance_pct)

	def validate_thresholds(self):
		thresholds.validate_site_thresholds(
			(row.idx, row.metric, store.band_from_row(row)) for row in self.thresholds
		)
