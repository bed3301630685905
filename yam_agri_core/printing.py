"""Jinja helpers of the app's print formats (Scale Ticket slips, Lot Quality Certificate, Lot Trace,
CAPA Report), registered in ``hooks.py`` as ``jinja = {"methods": [...]}``.

Each helper checks that the user may print the record, reads what the print shows beyond the record
itself through the user's permissions (``frappe.get_list``: another site's QC tests, certificates or
lots never appear) and hands it to ``yam_agri_core.rules.printing`` to be shaped; the templates only
lay it out. Every helper returns ``dir`` (``rtl`` in an Arabic print) and ``lang``.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import escape_html, get_fullname, getdate, now_datetime
from markupsafe import Markup

from yam_agri_core.rules import printing as shape
from yam_agri_core.traceability.genealogy import BACKWARD, FORWARD, Genealogy, readable_list

QC_TEST_FIELDS = ["name", "test_type", "test_date", "lab", "value", "unit", "result", "limit_applied"]
CERTIFICATE_FIELDS = [
	"name",
	"cert_type",
	"certificate_no",
	"issuing_body",
	"issue_date",
	"expiry_date",
	"status",
]


def printable_doc(doctype: str, name: str):
	"""The record, if the user may read or print it (as the print view itself requires)."""
	if not name or not frappe.db.exists(doctype, name):
		frappe.throw(_("{0} {1} not found").format(_(doctype), name), frappe.DoesNotExistError)
	doc = frappe.get_doc(doctype, name)
	if not any(frappe.has_permission(doctype, ptype, doc) for ptype in ("read", "print")):
		frappe.throw(_("Not permitted to print {0} {1}").format(_(doctype), name), frappe.PermissionError)
	return doc


def base_context() -> dict:
	lang = frappe.local.lang
	return {
		"lang": lang,
		"dir": shape.text_direction(lang),
		"printed_on": frappe.format(now_datetime(), {"fieldtype": "Datetime"}),
		"printed_by": get_fullname(frappe.session.user),
	}


def site_label(site: str | None) -> str:
	if not site:
		return ""
	row = frappe.db.get_value("Site", site, ["site_name", "site_name_ar"], as_dict=True) or {}
	return shape.localized_name(site, row.get("site_name"), row.get("site_name_ar"), frappe.local.lang)


def crop_label(crop: str | None) -> str:
	if not crop:
		return ""
	name_ar = frappe.db.get_value("Crop", crop, "crop_name_ar")
	return shape.localized_name(None, crop, name_ar, frappe.local.lang)


def yam_bidi(text) -> Markup:
	"""``text`` as escaped HTML, each run of one direction in a span of its own (``dir="ltr"`` for
	codes, dates and Latin words): wkhtmltopdf lays out mixed Arabic and Latin right only so."""
	if text is None or text == "":
		return Markup("")
	parts = []
	for run, direction in shape.bidi_runs(str(text)):
		escaped = escape_html(run)
		if direction == "ltr":
			parts.append(f'<span dir="ltr">{escaped}</span>')
		elif direction:
			parts.append(f"<span>{escaped}</span>")
		else:
			parts.append(escaped)
	return Markup("".join(parts))


def yam_ticket_slip(ticket: str) -> dict:
	"""The slip of a Scale Ticket: its site, lot and crop as the reader reads them, and the
	declared-versus-weighed verdict."""
	doc = printable_doc("Scale Ticket", ticket)
	lot = (
		frappe.db.get_value("Lot", doc.lot, ["crop", "season", "variety"], as_dict=True) if doc.lot else None
	)
	return {
		**base_context(),
		"site": site_label(doc.site),
		"crop": crop_label(lot.crop) if lot else "",
		"season": (lot or {}).get("season") or "",
		"weighing": shape.weighing_verdict(
			doc.net_kg, doc.expected_net_kg, doc.tolerance_pct, doc.deviation_pct, doc.mismatch_flag
		),
		"gross": shape.kg(doc.gross_kg),
		"tare": shape.kg(doc.tare_kg),
	}


def yam_lot_quality(lot: str) -> dict:
	"""The Lot Quality Certificate: the lot's submitted QC tests (the latest of each type judged), its
	own certificates and the certificates of its site, each read through the user's permissions."""
	doc = printable_doc("Lot", lot)
	tests = readable_list("QC Test", QC_TEST_FIELDS, {"lot": doc.name, "docstatus": 1})
	lot_certs = readable_list("Certificate", CERTIFICATE_FIELDS, {"lot": doc.name})
	site_certs = readable_list(
		"Certificate", CERTIFICATE_FIELDS, {"site": doc.site, "lot": ["is", "not set"]}
	)
	today = getdate()
	return {
		**base_context(),
		"site": site_label(doc.site),
		"crop": crop_label(doc.crop),
		"quality": shape.quality_verdict(tests),
		"tests": sorted(tests, key=lambda t: (str(t.test_date), t.name)),
		"certificates": shape.certificate_rows(lot_certs, today),
		"site_certificates": shape.certificate_rows(site_certs, today),
		"declared": shape.kg(doc.declared_qty_kg),
		"available": shape.kg(doc.available_qty_kg),
		"weighed": shape.kg(doc.weighed_qty_kg) if doc.weighed_qty_kg else "",
	}


def yam_lot_trace(lot: str) -> dict:
	"""The Lot Trace: the backward and forward genealogy of ``lot`` (``Genealogy``, with its site
	isolation: another site's lots are "Restricted lot" placeholders), their transfers and scale tickets."""
	doc = printable_doc("Lot", lot)
	backward = Genealogy(doc.name, BACKWARD).as_dict()
	forward = Genealogy(doc.name, FORWARD).as_dict()
	summary = shape.trace_summary(backward, forward)
	rows = shape.flatten_tree(backward) + shape.flatten_tree(forward)
	return {
		**base_context(),
		"site": site_label(doc.site),
		"crop": crop_label(doc.crop),
		"declared": shape.kg(doc.declared_qty_kg),
		"available": shape.kg(doc.available_qty_kg),
		"summary": summary,
		"backward": shape.flatten_tree(backward),
		"forward": shape.flatten_tree(forward),
		"transfers": shape.trace_transfers(backward, forward),
		"tickets": shape.trace_tickets(backward, forward),
		"sites": {site: site_label(site) for site in summary["sites"]},
		"crops": {row["crop"]: crop_label(row["crop"]) for row in rows if row.get("crop")},
	}


def yam_capa_report(nonconformance: str) -> dict:
	"""The CAPA Report of a Nonconformance: its steps, its time line against the due date and the
	people on it."""
	doc = printable_doc("Nonconformance", nonconformance)
	return {
		**base_context(),
		"site": site_label(doc.site),
		"steps": shape.capa_steps(doc.status),
		"timeline": shape.capa_timeline(doc.creation, doc.due_date, doc.closed_on, getdate()),
		"assigned_to": get_fullname(doc.assigned_to) if doc.assigned_to else "",
		"closed_by": get_fullname(doc.closed_by) if doc.closed_by else "",
		"owner": get_fullname(doc.owner),
	}
