# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class LotTransferDestination(Document):
	pass
