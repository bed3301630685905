"""REST methods for gateways and Desk (``/api/method/yam_agri_core.api.<name>``): thin entry points;
the engines live in the modules they name."""

from __future__ import annotations

import frappe

from yam_agri_core.monitoring import ingest


@frappe.whitelist(methods=["POST"])
def ingest_observations(readings: list | str) -> dict:
	"""Store a batch of up to 5,000 sensor readings, each on its own: a bad reading is reported by its
	row and leaves nothing behind, a reading already stored (the same device, metric and time) is
	reported as a duplicate and stores nothing, the others are kept.

	The answer is ``{"accepted": [{"row", "name", "quality_flag"}], "duplicates": [{"row", "name"}],
	"rejected": [{"row", "error"}]}``. A reading from a device that is not registered is kept as
	Quarantine for review (with the id the gateway sent) when its site is known: given in the
	reading, or the gateway's only site.
	"""
	return ingest.ingest_observations(readings)


@frappe.whitelist(methods=["POST"])
def import_scale_tickets(
	site: str, content: str | bytes | None = None, filename: str = "tickets.csv", dry_run: int | str = 0
) -> dict:
	"""Import a weighbridge file (CSV or .xlsx) into ``site``: each row becomes a submitted Scale Ticket
	on its own, a bad row is refused by its number and reason, a ticket number the site already has is
	skipped. ``content`` is the file's text or bytes (an .xlsx sent as text is base64); a multipart
	upload named ``file`` works too. ``dry_run=1`` says what would happen and writes nothing.

	Returns ``{"imported": [{row, ticket, ticket_no, net_kg, mismatch_flag, nonconformance}], "skipped":
	[{row, ticket_no, ticket, reason}], "rejected": [{row, error}], ...}``; rows count from 1 under the
	header.
	"""
	from yam_agri_core.traceability import ticket_import

	content, filename = ticket_import.request_content(content, filename)
	return ticket_import.import_scale_tickets(site, content, filename, dry_run=frappe.utils.cint(dry_run))


@frappe.whitelist()
def export_epcis(
	lot: str | None = None, site: str | None = None, from_date: str | None = None, to_date: str | None = None
) -> dict:
	"""An EPCIS 2.0 ``EPCISDocument`` (JSON-LD) of ``lot`` and its whole genealogy, or of ``site``
	between ``from_date`` and ``to_date``; only what the user may read."""
	from yam_agri_core.traceability import exports

	return exports.export_epcis(lot, site, from_date, to_date)


@frappe.whitelist()
def download_trace_sheet(
	lot: str | None = None,
	site: str | None = None,
	from_date: str | None = None,
	to_date: str | None = None,
	format: str = "xlsx",
) -> None:
	"""The sortable trace sheet (one row per Harvest, Receiving, Transformation and Shipping event) of
	``lot`` and its genealogy, or of ``site`` in a period, as a download (``xlsx`` or ``csv``)."""
	from yam_agri_core.traceability import exports

	filename, content = exports.trace_sheet_file(lot, site, from_date, to_date, format)
	frappe.response.filename = filename
	frappe.response.filecontent = content
	frappe.response.type = "download"
