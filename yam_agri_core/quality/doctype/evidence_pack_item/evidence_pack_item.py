# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class EvidencePackItem(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		record_date: DF.Date | None
		reference_doctype: DF.Link
		reference_name: DF.DynamicLink
		site: DF.Link | None
		title: DF.Data | None
	# end: auto-generated types
	pass
