# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class SiteObservationThreshold(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		critical_max: DF.Float
		critical_min: DF.Float
		max_jump: DF.Float
		metric: DF.Literal["Temperature", "Humidity", "Grain Moisture", "CO2", "Other"]
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		stuck_repeat_count: DF.Int
		valid_max: DF.Float
		valid_min: DF.Float
	# end: auto-generated types
	pass
