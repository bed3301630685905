"""Connections of a Lot: the records that name it, grouped as a QA manager reads them.

The group labels are those of the Lot's Document Links (lot.json ``links``), which Frappe merges into
the groups of the same label.
"""

from __future__ import annotations

from frappe import _


def get_data() -> dict:
	return {
		"fieldname": "lot",
		"transactions": [
			{"label": _("Quality"), "items": ["QC Test", "Certificate", "Nonconformance"]},
			{"label": _("Weighing"), "items": ["Scale Ticket"]},
			{"label": _("Monitoring"), "items": ["Storage Bin", "Observation"]},
			# Lot Transfer has no ``lot`` field: the filter matches its first table with one, the sources
			{"label": _("Transfers out of this lot"), "items": ["Lot Transfer"]},
		],
		# the bin this lot is stored in is the Lot's own field
		"internal_links": {"Storage Bin": "storage_bin"},
	}
