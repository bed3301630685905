# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class LotTransferDestination(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		created_lot: DF.Data | None
		lot: DF.Link | None
		lot_created: DF.Check
		lot_type: DF.Literal["Storage", "Shipment", "Processing", "Harvest"]
		new_lot_site: DF.Link | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		qty_kg: DF.Float
		site: DF.Link | None
		storage_bin: DF.Link | None
	# end: auto-generated types
	pass
