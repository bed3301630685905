"""Devices: calibration coming due, and sensors that went silent. One digest per site and run, to
the site's operators; each device is alerted once per due date and once per silence."""

from __future__ import annotations

import datetime as dt

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce, Concat
from frappe.utils import add_to_date, format_date, format_datetime

from yam_agri_core.alerts import delivery
from yam_agri_core.alerts.delivery import AlertItem, Message
from yam_agri_core.rules import alerting
from yam_agri_core.settings import get_setting

#: Scales report only when a truck is weighed; their silence says nothing.
NOT_CONTINUOUS = ("Scale",)


def active_devices() -> tuple:
	"""The Device table and a query of the active devices of active sites, ordered by site: their
	name, site, type and bin (callers select more)."""
	Device = frappe.qb.DocType("Device")
	Site = frappe.qb.DocType("Site")
	query = (
		frappe.qb.from_(Device)
		.join(Site)
		.on(Site.name == Device.site)
		.select(Device.name, Device.site, Device.device_type, Device.storage_bin)
		.where((Device.is_active == 1) & (Site.is_active == 1))
		.orderby(Device.site)
	)
	return Device, query


def pending_calibration(today: dt.date) -> list[dict]:
	"""Active devices of active sites due within the lead time (or overdue), not alerted yet for
	their current due date."""
	Device, query = active_devices()
	Log = frappe.qb.DocType(delivery.LOG_DOCTYPE)
	due_until = alerting.calibration_due_until(today, int(get_setting("calibration_lead_days")))
	return (
		query.select(Device.calibration_due_date, Device.last_calibration_date)
		.left_join(Log)
		.on(
			Log.alert_key
			== Concat(alerting.CALIBRATION_DUE, "|", Device.name, "|", Device.calibration_due_date)
		)
		.where(
			Device.calibration_due_date.isnotnull()
			& (Device.calibration_due_date <= due_until)
			& Log.name.isnull()
		)
		.orderby(Device.calibration_due_date)
		.orderby(Device.name)
	).run(as_dict=True)


def pending_silent(now: dt.datetime) -> list[dict]:
	"""Active sensors of active sites that sent nothing for their ``stale_after_minutes`` (counted
	from registration when they never reported), not alerted yet for this silence."""
	Device, query = active_devices()
	since = Coalesce(Device.last_seen_at, Device.creation)
	rows = (
		query.select(Device.last_seen_at, Device.creation, Device.stale_after_minutes)
		.where(
			Device.device_type.notin(NOT_CONTINUOUS)
			# devices heard from in the last minute are never silent; each device's own limit is below
			& (since <= add_to_date(now, minutes=-1))
		)
		.orderby(Device.name)
	).run(as_dict=True)
	silent = []
	for row in rows:
		row.silent_since = alerting.silent_since(row.last_seen_at, row.creation, now, row.stale_after_minutes)
		if row.silent_since:
			row.key = alerting.alert_key(alerting.SENSOR_SILENT, row.name, row.silent_since)
			silent.append(row)
	done = delivery.existing_keys(row.key for row in silent)
	return [row for row in silent if row.key not in done]


def send_calibration_alerts(today: dt.date, commit: bool = False) -> int:
	return delivery.send_site_digests(
		alerting.CALIBRATION_DUE,
		pending_calibration(today),
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
	return delivery.send_site_digests(
		alerting.SENSOR_SILENT,
		pending_silent(now),
		lambda row: AlertItem(key=row.key, doctype="Device", name=row.name, occurrence=str(row.silent_since)),
		lambda site, rows: silent_message(site, rows, now),
		commit,
	)


def device_headers(lang: str, *more: str) -> list[str]:
	"""The columns every device digest starts with, then ``more``."""
	return [_("Device", lang=lang), _("Device Type", lang=lang), _("Storage Bin", lang=lang), *more]


def device_cells(lang: str, row: dict, *more: str) -> tuple[str, ...]:
	return (
		delivery.link("Device", row.name),
		_(row.device_type, lang=lang),
		frappe.utils.escape_html(row.storage_bin or ""),
		*more,
	)


def calibration_message(site: str, rows: list[dict], today: dt.date) -> Message:
	def write(lang: str, label: str) -> delivery.Digest:
		return delivery.Digest(
			one=_("[{0}] Device {1} is due for calibration on {2}", lang=lang).format(
				site, rows[0].name, format_date(rows[0].calibration_due_date)
			),
			many=_("[{0}] {1} devices are due for calibration", lang=lang).format(site, len(rows)),
			intro=_("These devices of site {0} are due for calibration (or overdue):", lang=lang).format(
				label
			),
			headers=device_headers(lang, _("Calibration Due Date", lang=lang), _("Days Left", lang=lang)),
			cells=lambda row: device_cells(
				lang, row, format_date(row.calibration_due_date), str((row.calibration_due_date - today).days)
			),
			todo=_(
				"What to do: calibrate each device, then record the new Last Calibration Date and "
				"Calibration Due Date on the device. Readings of an uncalibrated sensor cannot be trusted.",
				lang=lang,
			),
		)

	return delivery.digest_message(site, rows, "Device", write)


def silent_message(site: str, rows: list[dict], now: dt.datetime) -> Message:
	def write(lang: str, label: str) -> delivery.Digest:
		return delivery.Digest(
			one=_("[{0}] Sensor {1} has sent nothing since {2}", lang=lang).format(
				site, rows[0].name, format_datetime(rows[0].silent_since)
			),
			many=_("[{0}] {1} sensors have gone silent", lang=lang).format(site, len(rows)),
			intro=_("These sensors of site {0} have stopped reporting:", lang=lang).format(label),
			headers=device_headers(lang, _("Last Seen At", lang=lang), _("Silent For (Minutes)", lang=lang)),
			cells=lambda row: device_cells(
				lang,
				row,
				format_datetime(row.last_seen_at) if row.last_seen_at else _("never", lang=lang),
				str(int((now - row.silent_since).total_seconds() // 60)),
			),
			todo=_(
				"What to do: check power, battery and the gateway's link at the bin. While a sensor is "
				"silent, check the grain by hand.",
				lang=lang,
			),
		)

	return delivery.digest_message(site, rows, "Device", write)
