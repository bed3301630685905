"""Quarantined readings: one alert per device and window, with the count and the worst value, to
the site's operators and Quality Managers.

A window is alerted once it has closed, so a burst of 200 readings makes one message saying 200
instead of one message per job run. Readings that arrive late for a window already alerted (a
gateway that was offline) make one follow-up alert for that window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Max, Min
from frappe.utils import add_days, format_datetime
from pypika.terms import LiteralValue

from yam_agri_core.alerts import delivery
from yam_agri_core.alerts.delivery import AlertItem, Message
from yam_agri_core.rules import alerting, thresholds
from yam_agri_core.settings import get_setting

QUARANTINE = thresholds.QUARANTINE


def window_sql(minutes: int) -> str:
	"""The window of ``observed_at`` in SQL, equal to :func:`alerting.window_index`."""
	return f"TIMESTAMPDIFF(MINUTE, '{alerting.EPOCH:%Y-%m-%d %H:%M:%S}', `observed_at`) DIV {int(minutes)}"


def pending_aggregates(now: dt.datetime, minutes: int) -> list[alerting.WindowAggregate]:
	"""Unsent quarantined readings of closed windows within the lookback, grouped by device, metric
	and window in one query (the (quality_flag, alert_sent, observed_at) index finds them)."""
	closed_until = alerting.window_bounds(alerting.last_closed_window(now, minutes), minutes)[1]
	since = add_days(now, -int(get_setting("alert_lookback_days")))
	Obs = frappe.qb.DocType("Observation")
	window = window_sql(minutes)
	rows = (
		frappe.qb.from_(Obs)
		.select(
			Obs.device,
			Obs.site,
			Obs.metric,
			LiteralValue(window, alias="window_index"),
			Count("*").as_("count"),
			Min(Obs.value).as_("min_value"),
			Max(Obs.value).as_("max_value"),
			Min(Obs.observed_at).as_("first_at"),
			Max(Obs.observed_at).as_("last_at"),
			Max(Obs.unit).as_("unit"),
		)
		.where(
			(Obs.quality_flag == QUARANTINE)
			& (Obs.alert_sent == 0)
			& (Obs.observed_at >= since)
			& (Obs.observed_at < closed_until)
			& (Obs.creation <= now)
		)
		.groupby(Obs.device, Obs.site, Obs.metric, LiteralValue(window))
	).run(as_dict=True)
	return [
		alerting.WindowAggregate(
			device=r.device,
			site=r.site,
			metric=r.metric,
			window=int(r.window_index),
			count=int(r["count"]),
			min_value=r.min_value,
			max_value=r.max_value,
			first_at=r.first_at,
			last_at=r.last_at,
			unit=r.unit,
		)
		for r in rows
	]


def send_alerts(now: dt.datetime, commit: bool = False) -> int:
	minutes = int(get_setting("quarantine_window_minutes"))
	aggregates = pending_aggregates(now, minutes)
	if not aggregates:
		return 0
	batches = alerting.batch_quarantine(aggregates, {m: band_for(m) for m in {a.metric for a in aggregates}})
	first_keys = {batch_key(b, minutes): b for b in batches}
	already = delivery.existing_keys(first_keys)
	index = delivery.RecipientIndex({b.site for b in batches})
	sent = 0
	for key, batch in first_keys.items():
		if key in already:  # late readings of a window alerted before: a follow-up, once
			key = alerting.alert_key(
				alerting.SENSOR_QUARANTINE, batch.device, f"{window_label(batch, minutes)}+{batch.last_at}"
			)
		start, end = batch.bounds(minutes)
		item = AlertItem(
			key=key,
			doctype="Device",
			name=batch.device,
			occurrence=window_label(batch, minutes),
			reading_count=batch.count,
			worst_value=worst_text(batch),
			window_start=start,
			window_end=end,
		)

		def message(claimed: Sequence[AlertItem], batch=batch, late=key not in first_keys) -> Message:
			return quarantine_message(batch, minutes, late)

		if delivery.send_alert(alerting.SENSOR_QUARANTINE, batch.site, [item], message, index):
			mark_sent(batch, start, end, now)
			sent += 1
		if commit:
			frappe.db.commit()  # one device window at a time: a crash later keeps what was sent
	return sent


def batch_key(batch: alerting.QuarantineBatch, minutes: int) -> str:
	return alerting.alert_key(alerting.SENSOR_QUARANTINE, batch.device, window_label(batch, minutes))


def window_label(batch: alerting.QuarantineBatch, minutes: int) -> str:
	start, _end = batch.bounds(minutes)
	return f"{start:%Y-%m-%d %H:%M}/{minutes}"


def mark_sent(
	batch: alerting.QuarantineBatch, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> None:
	"""Set ``alert_sent`` on exactly the readings the alert counted."""
	Obs = frappe.qb.DocType("Observation")
	(
		frappe.qb.update(Obs)
		.set(Obs.alert_sent, 1)
		.where(
			(Obs.quality_flag == QUARANTINE)
			& (Obs.alert_sent == 0)
			& (Obs.device == batch.device)
			& (Obs.observed_at >= start)
			& (Obs.observed_at < end)
			& (Obs.creation <= now)
		)
	).run()


def band_for(metric: str) -> thresholds.Band | None:
	"""The contract's default band; the alert only uses it to tell which extreme is worst."""
	return thresholds.DEFAULT_BANDS.get(metric)


def worst_text(batch: alerting.QuarantineBatch, lang: str | None = None) -> str:
	return ", ".join(
		f"{_(metric, lang=lang) if lang else metric} {value:g}{(' ' + unit) if unit else ''}"
		for metric, (value, unit) in sorted(batch.worst.items())
	)


def quarantine_message(batch: alerting.QuarantineBatch, minutes: int, late: bool) -> Message:
	start, end = batch.bounds(minutes)
	label = delivery.site_label(batch.site)
	storage_bin = frappe.db.get_value("Device", batch.device, "storage_bin")

	def subject(lang: str) -> str:
		if late:
			return _("[{0}] {1} more quarantined readings from {2} ({3})", lang=lang).format(
				batch.site, batch.count, batch.device, worst_text(batch, lang)
			)
		return _("[{0}] {1} quarantined readings from {2} ({3})", lang=lang).format(
			batch.site, batch.count, batch.device, worst_text(batch, lang)
		)

	def sheet(lang: str) -> delivery.Sheet:
		return delivery.Sheet(
			subject=subject(lang),
			intro=_("{0} readings from device {1} were quarantined between {2} and {3}.", lang=lang).format(
				batch.count, batch.device, format_datetime(start), format_datetime(end)
			),
			headers=(_("Site", lang=lang), label),
			rows=[
				(_("Device", lang=lang), delivery.link("Device", batch.device)),
				(_("Storage Bin", lang=lang), frappe.utils.escape_html(storage_bin or "")),
				(_("Readings", lang=lang), str(batch.count)),
				(_("Worst Value", lang=lang), worst_text(batch, lang)),
				(_("From", lang=lang), format_datetime(start)),
				(_("To", lang=lang), format_datetime(end)),
			],
			todo=_(
				"What to do: check the bin now (temperature, moisture, signs of heating or insects) and the "
				"sensor itself. Review the readings and their reasons in Observation, filtered by this "
				"device; open a Nonconformance if the grain is at risk.",
				lang=lang,
			),
		)

	return delivery.sheet_message("Device", batch.device, sheet, subject)
