"""Devices: calibration coming due, and sensors that went silent. One digest per site and run, to
the site's operators; each device is alerted once per due date and once per silence."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce, Concat
from frappe.utils import add_days, add_to_date, format_date, format_datetime, get_url_to_list

from yam_agri_core.alerts import delivery
from yam_agri_core.alerts.delivery import AlertItem, Message
from yam_agri_core.rules import alerting
from yam_agri_core.settings import get_setting

#: Scales report only when a truck is weighed; their silence says nothing.
NOT_CONTINUOUS = ("Scale",)
DEFAULT_STALE_AFTER_MINUTES = 60


def pending_calibration(today: dt.date) -> list[dict]:
	"""Active devices of active sites due within the lead time (or overdue), not alerted yet for
	their current due date."""
	Device = frappe.qb.DocType("Device")
	Site = frappe.qb.DocType("Site")
	Log = frappe.qb.DocType(delivery.LOG_DOCTYPE)
	due_until = add_days(today, int(get_setting("calibration_lead_days")))
	return (
		frappe.qb.from_(Device)
		.join(Site)
		.on(Site.name == Device.site)
		.left_join(Log)
		.on(
			Log.alert_key
			== Concat(alerting.CALIBRATION_DUE, "|", Device.name, "|", Device.calibration_due_date)
		)
		.select(
			Device.name,
			Device.site,
			Device.device_type,
			Device.storage_bin,
			Device.calibration_due_date,
			Device.last_calibration_date,
		)
		.where(
			(Device.is_active == 1)
			& (Site.is_active == 1)
			& Device.calibration_due_date.isnotnull()
			& (Device.calibration_due_date <= due_until)
			& Log.name.isnull()
		)
		.orderby(Device.site)
		.orderby(Device.calibration_due_date)
		.orderby(Device.name)
	).run(as_dict=True)


def pending_silent(now: dt.datetime) -> list[dict]:
	"""Active sensors of active sites that sent nothing for their ``stale_after_minutes`` (counted
	from registration when they never reported), not alerted yet for this silence."""
	Device = frappe.qb.DocType("Device")
	Site = frappe.qb.DocType("Site")
	since = Coalesce(Device.last_seen_at, Device.creation)
	rows = (
		frappe.qb.from_(Device)
		.join(Site)
		.on(Site.name == Device.site)
		.select(
			Device.name,
			Device.site,
			Device.device_type,
			Device.storage_bin,
			Device.last_seen_at,
			Device.creation,
			Device.stale_after_minutes,
		)
		.where(
			(Device.is_active == 1)
			& (Site.is_active == 1)
			& Device.device_type.notin(NOT_CONTINUOUS)
			# devices heard from in the last minute are never silent; each device's own limit is below
			& (since <= add_to_date(now, minutes=-1))
		)
		.orderby(Device.site)
		.orderby(Device.name)
	).run(as_dict=True)
	silent = []
	for row in rows:
		row.silent_since = alerting.silent_since(
			row.last_seen_at, row.creation, now, row.stale_after_minutes or DEFAULT_STALE_AFTER_MINUTES
		)
		if row.silent_since:
			row.key = alerting.alert_key(alerting.SENSOR_SILENT, row.name, row.silent_since)
			silent.append(row)
	done = delivery.existing_keys(row.key for row in silent)
	return [row for row in silent if row.key not in done]


def send_calibration_alerts(today: dt.date, commit: bool = False) -> int:
	rows = pending_calibration(today)
	return _send_digests(
		alerting.CALIBRATION_DUE,
		rows,
		lambda row: AlertItem(
			key=alerting.alert_key(alerting.CALIBRATION_DUE, row.name, row.calibration_due_date),
			doctype="Device",
			name=row.name,
			occurrence=str(row.calibration_due_date),
		),
		lambda site, rows: calibration_message(site, rows, today),
		commit,
	)


def send_silent_alerts(now: dt.datetime, commit: bool = False) -> int:
	rows = pending_silent(now)
	return _send_digests(
		alerting.SENSOR_SILENT,
		rows,
		lambda row: AlertItem(key=row.key, doctype="Device", name=row.name, occurrence=str(row.silent_since)),
		lambda site, rows: silent_message(site, rows, now),
		commit,
	)


def _send_digests(alert_type, rows, make_item, make_message, commit: bool) -> int:
	by_site: dict[str, list[dict]] = defaultdict(list)
	for row in rows:
		by_site[row.site].append(row)
	if not by_site:
		return 0
	index = delivery.RecipientIndex(by_site)
	sent = 0
	for site, site_rows in by_site.items():
		rows_by_name = {row.name: row for row in site_rows}
		items = [make_item(row) for row in site_rows]

		def message(claimed: Sequence[AlertItem], site=site, rows_by_name=rows_by_name) -> Message:
			return make_message(site, [rows_by_name[i.name] for i in claimed])

		if delivery.send_alert(alert_type, site, items, message, index):
			sent += 1
		if commit:
			frappe.db.commit()  # one site at a time: a crash later keeps what was sent
	return sent


def calibration_message(site: str, rows: list[dict], today: dt.date) -> Message:
	label = delivery.site_label(site)
	single = rows[0] if len(rows) == 1 else None

	def subject(lang: str) -> str:
		if single:
			return _("[{0}] Device {1} is due for calibration on {2}", lang=lang).format(
				site, single.name, format_date(single.calibration_due_date)
			)
		return _("[{0}] {1} devices are due for calibration", lang=lang).format(site, len(rows))

	def body(lang: str) -> str:
		headers = [
			_("Device", lang=lang),
			_("Device Type", lang=lang),
			_("Storage Bin", lang=lang),
			_("Calibration Due Date", lang=lang),
			_("Days Left", lang=lang),
		]
		lines = [
			(
				delivery.link("Device", row.name),
				_(row.device_type, lang=lang),
				frappe.utils.escape_html(row.storage_bin or ""),
				format_date(row.calibration_due_date),
				str((row.calibration_due_date - today).days),
			)
			for row in rows[: delivery.DIGEST_ROWS]
		]
		more = _more(len(rows), "Device", site, lang)
		return (
			delivery.paragraphs(
				_("These devices of site {0} are due for calibration (or overdue):", lang=lang).format(label)
			)
			+ delivery.table(headers, lines)
			+ delivery.paragraphs(
				more,
				_(
					"What to do: calibrate each device, then record the new Last Calibration Date and "
					"Calibration Due Date on the device. Readings of an uncalibrated sensor cannot be trusted.",
					lang=lang,
				),
			)
		)

	reference = ("Device", single.name) if single else ("Site", site)
	return Message(subject, body, *reference)


def silent_message(site: str, rows: list[dict], now: dt.datetime) -> Message:
	label = delivery.site_label(site)
	single = rows[0] if len(rows) == 1 else None

	def subject(lang: str) -> str:
		if single:
			return _("[{0}] Sensor {1} has sent nothing since {2}", lang=lang).format(
				site, single.name, format_datetime(single.silent_since)
			)
		return _("[{0}] {1} sensors have gone silent", lang=lang).format(site, len(rows))

	def body(lang: str) -> str:
		headers = [
			_("Device", lang=lang),
			_("Device Type", lang=lang),
			_("Storage Bin", lang=lang),
			_("Last Seen At", lang=lang),
			_("Silent For (Minutes)", lang=lang),
		]
		lines = [
			(
				delivery.link("Device", row.name),
				_(row.device_type, lang=lang),
				frappe.utils.escape_html(row.storage_bin or ""),
				format_datetime(row.last_seen_at) if row.last_seen_at else _("never", lang=lang),
				str(int((now - row.silent_since).total_seconds() // 60)),
			)
			for row in rows[: delivery.DIGEST_ROWS]
		]
		more = _more(len(rows), "Device", site, lang)
		return (
			delivery.paragraphs(
				_("These sensors of site {0} have stopped reporting:", lang=lang).format(label)
			)
			+ delivery.table(headers, lines)
			+ delivery.paragraphs(
				more,
				_(
					"What to do: check power, battery and the gateway's link at the bin. While a sensor is "
					"silent, check the grain by hand.",
					lang=lang,
				),
			)
		)

	reference = ("Device", single.name) if single else ("Site", site)
	return Message(subject, body, *reference)


def _more(total: int, doctype: str, site: str, lang: str) -> str:
	if total <= delivery.DIGEST_ROWS:
		return ""
	return _("and {0} more: {1}", lang=lang).format(
		total - delivery.DIGEST_ROWS, get_url_to_list(doctype) + f"?site={site}"
	)
