"""Certificates: keep every status current from the dates, and alert the site's Quality Managers
once when a certificate becomes Expiring Soon and once when it expires."""

from __future__ import annotations

import datetime as dt

import frappe
from frappe import _
from frappe.query_builder.functions import Concat
from frappe.utils import add_days, format_date, getdate, now_datetime

from yam_agri_core.alerts import delivery
from yam_agri_core.alerts.delivery import AlertItem, Message
from yam_agri_core.rules import alerting, certificates
from yam_agri_core.settings import get_setting

#: An Expired alert is still sent for a certificate that expired up to this many days ago (a server
#: that was down for a week still tells the QA manager); older ones were expired before go-live.
EXPIRED_ALERT_LOOKBACK_DAYS = 30


def update_statuses(today: dt.date) -> None:
	"""Active -> Expiring Soon -> Expired from the dates, in three set-based updates (a lowered
	warning period also moves Expiring Soon back to Active). Revoked is never touched."""
	warning_until = add_days(today, int(get_setting("certificate_warning_days")))
	Cert = frappe.qb.DocType("Certificate")
	now = now_datetime()

	def move(to_status: str, condition) -> None:
		frappe.qb.update(Cert).set(Cert.status, to_status).set(Cert.modified, now).where(condition).run()

	move(
		certificates.EXPIRED,
		Cert.status.isin([certificates.ACTIVE, certificates.EXPIRING_SOON]) & (Cert.expiry_date < today),
	)
	move(
		certificates.EXPIRING_SOON,
		(Cert.status == certificates.ACTIVE)
		& (Cert.expiry_date >= today)
		& (Cert.expiry_date <= warning_until),
	)
	move(
		certificates.ACTIVE, (Cert.status == certificates.EXPIRING_SOON) & (Cert.expiry_date > warning_until)
	)


def pending_alerts(alert_type: str, today: dt.date) -> list[dict]:
	"""Certificates in the alert's status whose current expiry date was not alerted yet: one query,
	the alert log joined on the key the alert would have."""
	Cert = frappe.qb.DocType("Certificate")
	Log = frappe.qb.DocType(delivery.LOG_DOCTYPE)
	if alert_type == alerting.CERTIFICATE_EXPIRING:
		condition = (Cert.status == certificates.EXPIRING_SOON) & (Cert.expiry_date >= today)
	else:
		condition = (Cert.status == certificates.EXPIRED) & (
			Cert.expiry_date >= add_days(today, -EXPIRED_ALERT_LOOKBACK_DAYS)
		)
	return (
		frappe.qb.from_(Cert)
		.left_join(Log)
		.on(Log.alert_key == Concat(alert_type, "|", Cert.name, "|", Cert.expiry_date))
		.select(Cert.name, Cert.site, Cert.certificate_no, Cert.cert_type, Cert.lot, Cert.expiry_date)
		.where(condition & Log.name.isnull())
		.orderby(Cert.site)
		.orderby(Cert.expiry_date)
		.orderby(Cert.name)
	).run(as_dict=True)


def send_alerts(alert_type: str, today: dt.date, commit: bool = False) -> int:
	"""One digest per site listing its newly expiring (or expired) certificates."""
	return delivery.send_site_digests(
		alert_type,
		pending_alerts(alert_type, today),
		lambda row: AlertItem(
			key=alerting.alert_key(alert_type, row.name, row.expiry_date),
			doctype="Certificate",
			name=row.name,
			occurrence=str(row.expiry_date),
		),
		lambda site, rows: certificate_message(alert_type, site, rows, today),
		commit,
	)


def certificate_message(alert_type: str, site: str, rows: list[dict], today: dt.date) -> Message:
	warning_days = int(get_setting("certificate_warning_days"))
	write = expiring_words if alert_type == alerting.CERTIFICATE_EXPIRING else expired_words
	first = rows[0]

	def digest(lang: str, label: str) -> delivery.Digest:
		one, many, intro, todo = write(lang, site, label, first, len(rows), warning_days)
		return delivery.Digest(
			one=one,
			many=many,
			intro=intro,
			headers=[
				_("Certificate", lang=lang),
				_("Certificate No", lang=lang),
				_("Certificate Type", lang=lang),
				_("Lot", lang=lang),
				_("Expiry Date", lang=lang),
				_("Days Left", lang=lang),
			],
			cells=lambda row: (
				delivery.link("Certificate", row.name),
				frappe.utils.escape_html(row.certificate_no or ""),
				_(row.cert_type, lang=lang),
				delivery.link("Lot", row.lot) if row.lot else "",
				format_date(row.expiry_date),
				str((getdate(row.expiry_date) - today).days),
			),
			todo=todo,
		)

	return delivery.digest_message(site, rows, "Certificate", digest)


def expiring_words(
	lang: str, site: str, label: str, first: dict, count: int, warning_days: int
) -> tuple[str, str, str, str]:
	"""The subject of one, of several, the intro and what to do of an Expiring Soon digest."""
	return (
		_("[{0}] Certificate {1} ({2}) expires on {3}", lang=lang).format(
			site, first.certificate_no, _(first.cert_type, lang=lang), format_date(first.expiry_date)
		),
		_("[{0}] {1} certificates expire within {2} days", lang=lang).format(site, count, warning_days),
		_("These certificates of site {0} expire within {1} days:", lang=lang).format(label, warning_days),
		_(
			"What to do: ask the issuing body to renew each certificate and attach the new one before the "
			"expiry date. Shipments that need an expired certificate are blocked.",
			lang=lang,
		),
	)


def expired_words(
	lang: str, site: str, label: str, first: dict, count: int, warning_days: int
) -> tuple[str, str, str, str]:
	"""The subject of one, of several, the intro and what to do of an Expired digest."""
	return (
		_("[{0}] Certificate {1} ({2}) has expired", lang=lang).format(
			site, first.certificate_no, _(first.cert_type, lang=lang)
		),
		_("[{0}] {1} certificates have expired", lang=lang).format(site, count),
		_("These certificates of site {0} have expired:", lang=lang).format(label),
		_(
			"What to do: do not release or ship lots that rely on these certificates. Record the renewed "
			"certificate as a new Certificate and attach it.",
			lang=lang,
		),
	)
