"""Whitelisted trace endpoints: trace backward (ancestors), trace forward (descendants) and mock recall.

Desk (``lot.js``) and the REST API call these paths; the genealogy is read by
``yam_agri_core.traceability.genealogy`` and the recall built by ``yam_agri_core.traceability.recall``.
"""

from __future__ import annotations

import frappe

from yam_agri_core.traceability.genealogy import BACKWARD, FORWARD, Genealogy
from yam_agri_core.traceability.recall import MockRecall


@frappe.whitelist()
def trace_backward(lot: str) -> dict:
	"""Every ancestor of ``lot``: the lots its grain came from, generation by generation."""
	return Genealogy(lot, BACKWARD).as_dict()


@frappe.whitelist()
def trace_forward(lot: str) -> dict:
	"""Every descendant of ``lot``: the lots its grain went into, generation by generation."""
	return Genealogy(lot, FORWARD).as_dict()


@frappe.whitelist()
def get_mock_recall(lot: str) -> dict:
	"""Everything downstream of ``lot`` (lots, shipments, suppliers, customers) with the mass balance
	of every transfer and of the whole tree: the data of the Mock Recall report."""
	return MockRecall(lot).as_dict()
