"""The dispatch gate on a Bench: reads a lot's evidence and asks :mod:`yam_agri_core.rules.dispatch`.

Evidence is read without permission checks (the gate judges the data, whoever releases the lot), in
one query per kind. Every record read belongs to the lot or to the lot's own site, so the message never
names another site's records.
"""

from __future__ import annotations

import frappe
from frappe.query_builder import Criterion
from frappe.utils import get_datetime, getdate, today

from yam_agri_core.rules import dispatch
from yam_agri_core.store import get_active_policy


def check_lot_dispatch(lot) -> None:
	"""Raise :class:`RuleErrors` listing everything ``lot`` lacks to be Released or Shipped."""
	policy = get_active_policy(lot.crop, lot.season)
	if not policy:
		return
	dispatch.check_dispatch(
		policy,
		get_test_evidence(lot.name, policy.mandatory_tests),
		get_certificate_evidence(lot.name, lot.site, policy.mandatory_certificates),
		getdate(today()),
	)


def get_test_evidence(lot: str, test_types: tuple[str, ...]) -> list[dispatch.TestRecord]:
	"""Submitted QC Tests of ``lot`` of the given types."""
	if not test_types or not lot:
		return []
	QCTest = frappe.qb.DocType("QC Test")
	rows = (
		frappe.qb.from_(QCTest)
		.select(QCTest.name, QCTest.test_type, QCTest.test_date, QCTest.result, QCTest.creation)
		.where((QCTest.lot == lot) & (QCTest.docstatus == 1) & QCTest.test_type.isin(list(test_types)))
		.run(as_dict=True)
	)
	return [
		dispatch.TestRecord(
			name=row.name,
			test_type=row.test_type,
			test_date=getdate(row.test_date),
			result=row.result,
			recorded_at=get_datetime(row.creation),
		)
		for row in rows
	]


def get_certificate_evidence(
	lot: str, site: str, cert_types: tuple[str, ...]
) -> list[dispatch.CertificateRecord]:
	"""Certificates of the given types held by ``lot``, or by ``site`` for all its lots (no lot)."""
	if not cert_types:
		return []
	Cert = frappe.qb.DocType("Certificate")
	held_by = [(Cert.site == site) & (Cert.lot.isnull() | (Cert.lot == ""))]
	if lot:
		held_by.append(Cert.lot == lot)
	rows = (
		frappe.qb.from_(Cert)
		.select(Cert.name, Cert.cert_type, Cert.status, Cert.issue_date, Cert.expiry_date, Cert.lot)
		.where(Cert.cert_type.isin(list(cert_types)) & Criterion.any(held_by))
		.run(as_dict=True)
	)
	return [
		dispatch.CertificateRecord(
			name=row.name,
			cert_type=row.cert_type,
			status=row.status,
			issue_date=getdate(row.issue_date) if row.issue_date else None,
			expiry_date=getdate(row.expiry_date) if row.expiry_date else None,
			lot=row.lot or None,
		)
		for row in rows
	]
