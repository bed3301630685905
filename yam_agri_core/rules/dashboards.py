"""What the Desk's number cards and charts count and how their series are shaped. No Frappe here.

The Frappe glue (whitelisted card methods and chart sources, reading through ``frappe.get_list`` so
that site isolation applies) is in ``yam_agri_core/desk/``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from yam_agri_core.rules import alerting
from yam_agri_core.rules.messages import _

#: Grain held by a lot: everything but Shipped and Rejected (as the Lot Stock report counts it).
LOT_STATUSES_OFF_HAND = ("Shipped", "Rejected")
#: Readings that feed a chart; quarantined readings never do unless a user asks for them.
CHARTED_FLAGS = ("Valid", "Warning")
#: Devices whose silence says nothing (they report only when a truck is weighed).
NOT_CONTINUOUS = ("Scale",)
NC_STATUSES = ("Open", "Under Investigation", "Corrective Action", "Verification", "Closed")
NC_SEVERITIES = ("Critical", "Major", "Minor")
DIRECTIONS = ("Inbound", "Outbound")
#: The temperature chart's periods: label -> (hours back, bucket hours).
PERIODS: dict[str, tuple[int, int]] = {
	"Last 24 Hours": (24, 1),
	"Last 7 Days": (24 * 7, 24),
	"Last 30 Days": (24 * 30, 24),
}
DEFAULT_PERIOD = "Last 24 Hours"  # the morning look: did a bin heat overnight (7 and 30 days on request)
#: At most this many bins are drawn (the hottest first); filter by site or bin for the others.
MAX_BINS = 8
DEFAULT_WEIGHED_DAYS = 30
MAX_DAYS = 366

#: The dynamic filter expressions the cards use (evaluated by Desk in the browser) and what each
#: means on the server, from (today, now) in the system time zone.
DYNAMIC_EXPRESSIONS: dict[str, object] = {
	"frappe.datetime.get_today()": lambda today, now: today,
	"frappe.datetime.get_datetime_as_string(frappe.datetime.add_days(frappe.datetime.system_datetime(), -1))": (
		lambda today, now: now - dt.timedelta(days=1)
	),
}

CHART_LABELS = (
	_("Inbound"),
	_("Outbound"),
	_("No Crop"),
)


def resolve_dynamic(expression: str, today: dt.date, now: dt.datetime):
	"""The value a dynamic filter expression of a card has on the server (for tests and checks)."""
	return DYNAMIC_EXPRESSIONS[expression](today, now)


def count_silent(devices: Iterable[Mapping], now: dt.datetime) -> int:
	"""How many of ``devices`` (``last_seen_at``, ``creation``, ``stale_after_minutes``) are silent."""
	return sum(
		1
		for d in devices
		if alerting.silent_since(d.get("last_seen_at"), d["creation"], now, d.get("stale_after_minutes"))
	)


def calibration_due_until(today: dt.date, lead_days: int) -> dt.date:
	"""Devices due on or before this day count as due for calibration (the alert's rule)."""
	return alerting.calibration_due_until(today, lead_days)


def period_window(period: str | None, now: dt.datetime) -> tuple[dt.datetime, int]:
	"""The start of the temperature chart's window and its bucket size in hours."""
	hours, bucket = PERIODS.get(period or DEFAULT_PERIOD, PERIODS[DEFAULT_PERIOD])
	start = now - dt.timedelta(hours=hours)
	if bucket == 24:
		start = dt.datetime.combine(start.date(), dt.time())
	else:
		start = start.replace(minute=0, second=0, microsecond=0)
	return start, bucket


def buckets(start: dt.datetime, now: dt.datetime, bucket_hours: int) -> list[dt.datetime]:
	"""Every bucket start from ``start`` up to ``now``."""
	step = dt.timedelta(hours=bucket_hours)
	out, at = [], start
	while at <= now:
		out.append(at)
		at += step
	return out


def bucket_of(day: dt.date, hour: int | None, bucket_hours: int) -> dt.datetime:
	return dt.datetime.combine(day, dt.time(int(hour or 0)) if bucket_hours < 24 else dt.time())


def temperature_series(
	rows: Iterable[Mapping], start: dt.datetime, now: dt.datetime, bucket_hours: int, max_bins: int = MAX_BINS
) -> tuple[list[dt.datetime], list[tuple[str, list[float | None]]]]:
	"""Average temperature per bin and bucket from rows (``storage_bin``, ``day``, ``hour``,
	``total``, ``readings``, ``highest``). Bins are ordered hottest first (highest reading), at most
	``max_bins``. Buckets in which no drawn bin reported are left out; a bin without readings in a
	kept bucket is ``None``."""
	slots = buckets(start, now, bucket_hours)
	index = {slot: i for i, slot in enumerate(slots)}
	sums: dict[str, list[list[float]]] = {}
	highest: dict[str, float] = {}
	for row in rows:
		slot = index.get(bucket_of(_as_date(row["day"]), row.get("hour"), bucket_hours))
		if slot is None:
			continue
		bin_name = row.get("storage_bin") or ""
		cells = sums.setdefault(bin_name, [[0.0, 0] for _slot in slots])
		cells[slot][0] += float(row["total"] or 0)
		cells[slot][1] += int(row["readings"] or 0)
		highest[bin_name] = max(highest.get(bin_name, float("-inf")), float(row["highest"] or 0))
	chosen = sorted(sums, key=lambda b: (-highest[b], b))[:max_bins]
	series = [(b, [round(total / n, 2) if n else None for total, n in sums[b]]) for b in sorted(chosen)]
	# a line chart draws a missing value as zero degrees: buckets where no bin reported are left out
	kept = [i for i in range(len(slots)) if any(values[i] is not None for _b, values in series)]
	return [slots[i] for i in kept], [(b, [values[i] for i in kept]) for b, values in series]


def status_severity_matrix(rows: Iterable[Mapping], include_closed: bool = False):
	"""Counts per status (labels, in workflow order) and severity (datasets) from grouped rows
	(``status``, ``severity``, ``count``)."""
	statuses = [s for s in NC_STATUSES if include_closed or s != "Closed"]
	counts = {(r.get("status"), r.get("severity")): int(r["count"]) for r in rows}
	return statuses, [(sev, [counts.get((st, sev), 0) for st in statuses]) for sev in NC_SEVERITIES]


def days(start: dt.date, end: dt.date) -> list[dt.date]:
	return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def weighed_per_day(rows: Iterable[Mapping], start: dt.date, end: dt.date):
	"""Net kg per day (labels) and direction (datasets) from rows (``day``, ``direction``, ``net_kg``)."""
	labels = days(start, end)
	index = {d: i for i, d in enumerate(labels)}
	values = {direction: [0.0] * len(labels) for direction in DIRECTIONS}
	for row in rows:
		i = index.get(_as_date(row["day"]))
		if i is not None and row.get("direction") in values:
			values[row["direction"]][i] += float(row["net_kg"] or 0)
	return labels, [(d, [round(v, 3) for v in values[d]]) for d in DIRECTIONS]


def on_hand_matrix(rows: Iterable[Mapping]) -> tuple[list[str], list[tuple[str, list[float]]]]:
	"""Available kg per site (labels) and crop (datasets) from rows (``site``, ``crop``, ``kg``)."""
	sites = sorted({r["site"] for r in rows if r.get("site")})
	crops = sorted({r.get("crop") or "" for r in rows})
	kg = {(r.get("site"), r.get("crop") or ""): float(r["kg"] or 0) for r in rows}
	return sites, [(c, [round(kg.get((s, c), 0.0), 3) for s in sites]) for c in crops]


def clamp_days(value: object, default: int = DEFAULT_WEIGHED_DAYS) -> int:
	try:
		number = int(value)
	except (TypeError, ValueError):
		return default
	return min(max(number, 1), MAX_DAYS)


def _as_date(value) -> dt.date:
	if isinstance(value, dt.datetime):
		return value.date()
	if isinstance(value, dt.date):
		return value
	return dt.date.fromisoformat(str(value)[:10])
