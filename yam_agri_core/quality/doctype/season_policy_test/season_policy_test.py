# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class SeasonPolicyTest(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		test_type: DF.Literal[
			"Moisture", "Protein", "Aflatoxin", "Visual", "Germination", "Pesticide Residue", "Other"
		]
	# end: auto-generated types
	pass
