# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from frappe.model.document import Document

from yam_agri_core.rule_bridge import check_links_same_site


class StorageBin(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		bin_code: DF.Data
		bin_type: DF.Literal["", "Silo", "Flat Store", "Refrigerator", "Other"]
		capacity_kg: DF.Float
		current_lot: DF.Link | None
		site: DF.Link
		status: DF.Literal["Empty", "In Use", "Maintenance"]

	# end: auto-generated types
	def before_insert(self):
		self.normalize_bin_code()  # before naming: the name is {site}-{bin_code}

	def validate(self):
		self.normalize_bin_code()
		self.validate_same_site_links()
		self.mark_in_use_when_holding_a_lot()

	def normalize_bin_code(self):
		self.bin_code = (self.bin_code or "").strip().upper()

	def validate_same_site_links(self):
		check_links_same_site(self, [("current_lot", "Lot")])

	def mark_in_use_when_holding_a_lot(self):
		if self.current_lot and self.status == "Empty":
			self.status = "In Use"
