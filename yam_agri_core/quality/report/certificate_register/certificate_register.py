# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

"""Certificate Register: every certificate of the user's sites with its expiry, its status today and
the days left, for the quarterly certificate audit (runbook §9). Filters on the expiry date."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import getdate

from yam_agri_core import report_scope as scope
from yam_agri_core.rules import certificates, reporting
from yam_agri_core.settings import get_setting

DOCTYPE = "Certificate"


def execute(filters: dict | None = None):
	filters = scope.report_filters(filters)
	scope.check_dates(filters)
	sites = scope.readable_sites(filters, DOCTYPE)
	if sites == []:
		return columns(), [], scope.no_site_message(), None, summary([])
	today = getdate()
	warning_days = int(get_setting("certificate_warning_days"))
	rows = [reporting.shape_certificate(r, today, warning_days) for r in read(filters, sites)]
	if filters.get("status"):
		rows = [r for r in rows if r["status"] == filters.status]
	return columns(), rows, None, None, summary(rows)


def read(filters: frappe._dict, sites: list[str] | None) -> list[dict]:
	"""One query on (site, expiry_date); the status is filtered after it is brought up to today."""
	Cert = frappe.qb.DocType(DOCTYPE)
	query = frappe.qb.from_(Cert).select(
		Cert.name,
		Cert.cert_type,
		Cert.certificate_no,
		Cert.issuing_body,
		Cert.site,
		Cert.lot,
		Cert.supplier,
		Cert.issue_date,
		Cert.expiry_date,
		Cert.status,
	)
	query = scope.within_dates(scope.restrict(query, Cert.site, sites), Cert.expiry_date, filters)
	if filters.get("cert_type"):
		query = query.where(Cert.cert_type == filters.cert_type)
	if filters.get("lot"):
		query = query.where(Cert.lot == filters.lot)
	return query.orderby(Cert.expiry_date).orderby(Cert.name).run(as_dict=True)


def columns() -> list[dict]:
	cert = {"fieldtype": "Link", "options": DOCTYPE, "width": 140}
	return [
		{"fieldname": "name", "label": _("Certificate"), **cert},
		{"fieldname": "cert_type", "label": _("Certificate Type"), "fieldtype": "Select", "width": 110},
		{"fieldname": "site", "label": _("Site"), "fieldtype": "Link", "options": "Site", "width": 140},
		{"fieldname": "expiry_date", "label": _("Expiry Date"), "fieldtype": "Date", "width": 100},
		{"fieldname": "days_left", "label": _("Days Left"), "fieldtype": "Int", "width": 80},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 120},
		{"fieldname": "certificate_no", "label": _("Certificate No"), "fieldtype": "Data", "width": 130},
		{"fieldname": "issuing_body", "label": _("Issuing Body"), "fieldtype": "Data", "width": 160},
		{"fieldname": "issue_date", "label": _("Issue Date"), "fieldtype": "Date", "width": 100},
		{"fieldname": "lot", "label": _("Lot"), "fieldtype": "Link", "options": "Lot", "width": 130},
		{
			"fieldname": "supplier",
			"label": _("Supplier"),
			"fieldtype": "Link",
			"options": "Supplier",
			"width": 120,
		},
	]


def summary(rows: list[dict]) -> list[dict]:
	counts = reporting.count_by(rows, "status", certificates.STATUSES)
	indicators = {
		certificates.ACTIVE: "Green",
		certificates.EXPIRING_SOON: "Orange",
		certificates.EXPIRED: "Red",
		certificates.REVOKED: "Grey",
	}
	return [{"label": _("Certificates"), "value": len(rows), "datatype": "Int"}] + [
		{"label": _(status), "value": counts[status], "datatype": "Int", "indicator": indicators[status]}
		for status in certificates.STATUSES
	]
