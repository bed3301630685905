"""What the Desk's number cards and charts count and how their series are shaped. No Frappe here.

The Frappe glue (whitelisted card methods and chart sources, reading through ``frappe.get_list`` so
that site isolation applies) is in ``yam_agri_core/desk/``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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
#: The temperature chart's buckets, and how their labels read (Babel patterns: short, never cut).
HOURLY, DAILY, MONTHLY = "hour", "day", "month"
LABEL_FORMATS = {HOURLY: "HH:mm", DAILY: "dd-MM", MONTHLY: "MMM yyyy"}
#: The temperature chart's periods: label -> (how far back, bucket). All read the hourly rollups.
PERIODS: dict[str, tuple[dt.timedelta, str]] = {
	"Last 24 Hours": (dt.timedelta(hours=24), HOURLY),
	"Last 7 Days": (dt.timedelta(days=7), DAILY),
	"Last 30 Days": (dt.timedelta(days=30), DAILY),
	"Last Year": (dt.timedelta(days=365), MONTHLY),
}
DEFAULT_PERIOD = "Last 24 Hours"  # the morning look: did a bin heat overnight (longer ones on request)
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


def period_window(period: str | None, now: dt.datetime) -> tuple[dt.datetime, str]:
	"""The start of the temperature chart's window (the start of its first bucket) and its bucket."""
	back, bucket = PERIODS.get(period or DEFAULT_PERIOD, PERIODS[DEFAULT_PERIOD])
	return bucket_start(now - back, bucket), bucket


def bucket_start(at: dt.datetime, bucket: str) -> dt.datetime:
	"""The start of the bucket ``at`` falls in."""
	if bucket == MONTHLY:
		return dt.datetime(at.year, at.month, 1)
	if bucket == DAILY:
		return dt.datetime.combine(at.date(), dt.time())
	return at.replace(minute=0, second=0, microsecond=0)


def next_bucket(at: dt.datetime, bucket: str) -> dt.datetime:
	if bucket == MONTHLY:
		return dt.datetime(at.year + at.month // 12, at.month % 12 + 1, 1)
	return at + (dt.timedelta(days=1) if bucket == DAILY else dt.timedelta(hours=1))


def buckets(start: dt.datetime, now: dt.datetime, bucket: str) -> list[dt.datetime]:
	"""Every bucket start from ``start`` up to ``now``."""
	out, at = [], start
	while at <= now:
		out.append(at)
		at = next_bucket(at, bucket)
	return out


def slot_of(row: Mapping, bucket: str) -> dt.datetime:
	"""The bucket of a grouped row: ``hour`` (a datetime) when hourly, ``day`` when daily, ``year``
	and ``month`` when monthly."""
	if bucket == MONTHLY:
		return dt.datetime(int(row["year"]), int(row["month"]), 1)
	if bucket == DAILY:
		return dt.datetime.combine(_as_date(row["day"]), dt.time())
	return bucket_start(_as_datetime(row["hour"]), HOURLY)


@dataclass(frozen=True)
class TemperatureChart:
	"""Buckets (labels), one series of mean temperatures per bin (``None``: nothing to draw in that
	bucket, a gap, never zero) and the quarantined readings of each bin in the window."""

	slots: list[dt.datetime]
	series: list[tuple[str, list[float | None]]]
	quarantined: dict[str, int]


def temperature_series(
	rows: Iterable[Mapping],
	start: dt.datetime,
	now: dt.datetime,
	bucket: str,
	include_quarantined: bool = False,
	max_bins: int = MAX_BINS,
) -> TemperatureChart:
	"""Mean temperature per bin and bucket from grouped rollup rows (``storage_bin``, the bucket's
	fields, ``total``, ``valid``, ``warning``, ``highest``, ``quarantined``, ``quarantined_total``,
	``highest_quarantined``). Quarantined readings are counted per bin and enter the means only when
	``include_quarantined``. At most ``max_bins`` bins are drawn: those with quarantined readings first
	(they need a look), then the hottest. Every bucket of the window is kept: one where a bin has
	nothing to draw is ``None`` for it."""
	slots = buckets(start, now, bucket)
	index = {slot: i for i, slot in enumerate(slots)}
	cells: dict[str, list[list]] = {}
	highest: dict[str, float] = {}
	quarantined: dict[str, int] = {}
	for row in rows:
		i = index.get(slot_of(row, bucket))
		if i is None:
			continue
		name = row.get("storage_bin") or ""
		bin_cells = cells.setdefault(name, [[0.0, 0] for _slot in slots])
		q = int(row.get("quarantined") or 0)
		quarantined[name] = quarantined.get(name, 0) + q
		n = int(row.get("valid") or 0) + int(row.get("warning") or 0)
		total = float(row.get("total") or 0)
		peaks = [float(row["highest"])] if n and row.get("highest") is not None else []
		if include_quarantined and q:
			n += q
			total += float(row.get("quarantined_total") or 0)
			peaks.append(float(row.get("highest_quarantined") or 0))
		bin_cells[i][0] += total
		bin_cells[i][1] += n
		if peaks:
			highest[name] = max(highest.get(name, float("-inf")), *peaks)
	first = sorted(cells, key=lambda b: (not quarantined.get(b), -highest.get(b, float("-inf")), b))
	chosen = sorted(first[:max_bins])
	series = [(b, [round(total / n, 2) if n else None for total, n in cells[b]]) for b in chosen]
	return TemperatureChart(slots, series, {b: quarantined[b] for b in chosen if quarantined.get(b)})


def legend_names(
	bins: list[str], info: Mapping[str, tuple[str | None, str | None]]
) -> dict[str, tuple[str, str]]:
	"""A short legend name per bin as (head, tail): the head is its code (frappe-charts gives a legend
	entry 150 px and cuts a name at 18 characters, so the code and a quarantine mark come first); the
	tail names its site when codes of several sites are drawn (`` · SITE``), else it is empty.
	``info``: bin -> (code, site)."""
	heads = {b: (info.get(b, (None, None))[0] or b) for b in bins}
	unique = len(set(heads.values())) == len(heads)
	return {
		b: (heads[b], "" if unique else f" · {info.get(b, (None, None))[1] or ''}".rstrip(" ·")) for b in bins
	}


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


def _as_datetime(value) -> dt.datetime:
	if isinstance(value, dt.datetime):
		return value
	return dt.datetime.fromisoformat(str(value)[:19])


def _as_date(value) -> dt.date:
	if isinstance(value, dt.datetime):
		return value.date()
	if isinstance(value, dt.date):
		return value
	return dt.date.fromisoformat(str(value)[:10])
