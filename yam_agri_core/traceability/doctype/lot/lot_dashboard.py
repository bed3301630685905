"""Connections of a Lot: the records that name it, grouped as a QA manager reads them.

The group labels are those of the Lot's Document Links (lot.json ``links``), which Frappe merges into
the groups of the same label. They stay in English here: Frappe caches this data for the whole site
(``doctype_form_meta``), so a label translated on the server would be in the language of whoever opened
a Lot first; Desk translates each label for its reader (``__(label)`` in ``form_links.html``). ``_`` only
marks them for translations/ar.csv.
"""

from __future__ import annotations

from yam_agri_core.rules.messages import _


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
