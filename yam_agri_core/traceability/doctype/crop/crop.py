# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document

from yam_agri_core import store
from yam_agri_core.rule_bridge import rules_enforced
from yam_agri_core.rules import settings


class Crop(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		crop_name: DF.Data
		crop_name_ar: DF.Data | None
		max_aflatoxin_ppb: DF.Float
		max_pesticide_residue_mg_kg: DF.Float
		max_storage_moisture_pct: DF.Float
		min_germination_pct: DF.Float
		min_protein_pct: DF.Float

	# end: auto-generated types
	def validate(self):
		with rules_enforced():
			self.validate_max_storage_moisture()

	def on_update(self):
		store.forget_crop(self.name)

	def validate_max_storage_moisture(self):
		settings.validate_max_storage_moisture(self.max_storage_moisture_pct)
