# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class LotTransferSource(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		available_before_kg: DF.Float
		crop: DF.Link | None
		lot: DF.Link
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		qty_kg: DF.Float
		site: DF.Link | None
	# end: auto-generated types
	pass
