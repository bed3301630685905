"""REST methods for gateways and Desk (``/api/method/yam_agri_core.api.<name>``): thin entry points;
the engines live in the modules they name."""

from __future__ import annotations

import frappe

from yam_agri_core.monitoring import ingest


@frappe.whitelist(methods=["POST"])
def ingest_observations(readings: list | str) -> dict:
	"""Store a batch of sensor readings, each on its own: a bad reading is reported by its row and
	leaves nothing behind, the others are kept.

	A reading from a device that is not registered is kept as Quarantine for review (with the id the
	gateway sent) when its site is known: given in the reading, or the gateway's only site.
	"""
	return ingest.ingest_observations(readings)
