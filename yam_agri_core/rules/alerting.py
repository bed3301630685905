"""Alerts: who gets which alert, how quarantined readings are batched, and the keys that make an
alert go out exactly once. No Frappe here; ``yam_agri_core.alerts`` reads the data and delivers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from yam_agri_core.rules import settings
from yam_agri_core.rules.roles import PLATFORM_OWNER, QUALITY_MANAGER, SITE_OPERATOR
from yam_agri_core.rules.thresholds import Band

# --- alert types and who gets them -----------------------------------------------------------------

CERTIFICATE_EXPIRING = "Certificate Expiring"
CERTIFICATE_EXPIRED = "Certificate Expired"
SENSOR_QUARANTINE = "Sensor Quarantine"
SENSOR_SILENT = "Sensor Silent"
SCALE_TICKET_MISMATCH = "Scale Ticket Mismatch"
CRITICAL_NONCONFORMANCE = "Critical Nonconformance"
CALIBRATION_DUE = "Calibration Due"

#: The domain contract's alert table: alert -> roles of the record's site that receive it.
ALERT_ROLES: dict[str, tuple[str, ...]] = {
	CERTIFICATE_EXPIRING: (QUALITY_MANAGER,),
	CERTIFICATE_EXPIRED: (QUALITY_MANAGER,),
	SENSOR_QUARANTINE: (SITE_OPERATOR, QUALITY_MANAGER),
	SENSOR_SILENT: (SITE_OPERATOR,),
	SCALE_TICKET_MISMATCH: (QUALITY_MANAGER,),
	CRITICAL_NONCONFORMANCE: (QUALITY_MANAGER, PLATFORM_OWNER),
	CALIBRATION_DUE: (SITE_OPERATOR,),
}
ALERT_TYPES = tuple(ALERT_ROLES)

SYSTEM_USER = "System User"
SITE = "Site"


@dataclass(frozen=True)
class Grant:
	"""A User Permission on a Site; ``applicable_for`` limits it to one DocType when set."""

	site: str
	applicable_for: str | None = None


@dataclass
class Candidate:
	"""A user who might receive an alert, as read from User, Has Role and User Permission."""

	user: str
	enabled: bool = True
	user_type: str = SYSTEM_USER
	roles: set[str] = field(default_factory=set)
	grants: list[Grant] = field(default_factory=list)
	language: str | None = None

	def is_granted(self, site: str, doctype: str | None = None) -> bool:
		return any(
			grant.site == site and (not grant.applicable_for or grant.applicable_for == doctype)
			for grant in self.grants
		)


def select_recipients(
	candidates: Iterable[Candidate], alert_type: str, site: str, doctype: str | None = None
) -> list[Candidate]:
	"""The users who get ``alert_type`` about a record of ``site``: enabled desk users holding one of
	the alert's roles who are explicitly granted that site (for the record's DocType).

	Being a System Manager grants no site here: an administrator who sees every site is not mailed
	every site's alerts unless granted the site like anyone else.
	"""
	roles = set(ALERT_ROLES[alert_type])
	chosen = {
		c.user: c
		for c in candidates
		if c.enabled and c.user_type == SYSTEM_USER and c.roles & roles and c.is_granted(site, doctype)
	}
	return [chosen[user] for user in sorted(chosen)]


def group_by_language(recipients: Iterable[Candidate], default: str = "en") -> dict[str, list[str]]:
	"""Recipients grouped by the language their message is written in."""
	groups: dict[str, list[str]] = {}
	for recipient in recipients:
		groups.setdefault(recipient.language or default, []).append(recipient.user)
	return groups


# --- exactly once ---------------------------------------------------------------------------------

KEY_MAX_LENGTH = 140


def alert_key(alert_type: str, name: str, occurrence: object = "") -> str:
	"""The key recorded in the alert log: one alert per (type, record, occurrence).

	``occurrence`` says which state of the record is alerted (a certificate's expiry date, a
	device's last-seen time, a quarantine window): the same state never alerts twice, a new state
	of the same record (a renewed certificate expiring again) alerts again.
	"""
	occurrence = _key_part(occurrence)
	key = f"{alert_type}|{name}|{occurrence}" if occurrence else f"{alert_type}|{name}"
	if len(key) > KEY_MAX_LENGTH:
		raise ValueError(f"alert key too long: {key}")
	return key


def _key_part(value: object) -> str:
	if isinstance(value, dt.datetime):
		return value.strftime("%Y-%m-%d %H:%M:%S")
	if isinstance(value, dt.date):
		return value.isoformat()
	return "" if value is None else str(value)


# --- windows --------------------------------------------------------------------------------------

#: Windows are counted in whole minutes from this moment, so they never depend on the time zone.
EPOCH = dt.datetime(2000, 1, 1)


def window_index(observed_at: dt.datetime, minutes: int) -> int:
	"""Which window of ``minutes`` minutes ``observed_at`` falls in (same as the SQL of the job:
	``TIMESTAMPDIFF(MINUTE, '2000-01-01', observed_at) DIV minutes``)."""
	return int((observed_at - EPOCH).total_seconds() // 60) // minutes


def window_bounds(index: int, minutes: int) -> tuple[dt.datetime, dt.datetime]:
	start = EPOCH + dt.timedelta(minutes=index * minutes)
	return start, start + dt.timedelta(minutes=minutes)


def last_closed_window(now: dt.datetime, minutes: int) -> int:
	"""The newest window that has ended by ``now``; an open window is alerted once it closes, so its
	readings arrive in one message instead of one per job run."""
	return window_index(now, minutes) - 1


# --- quarantine batches ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
	device: str
	site: str
	metric: str
	observed_at: dt.datetime
	value: float
	unit: str | None = None


@dataclass(frozen=True)
class WindowAggregate:
	"""What the job's GROUP BY returns for one device, metric and window."""

	device: str
	site: str
	metric: str
	window: int
	count: int
	min_value: float
	max_value: float
	first_at: dt.datetime
	last_at: dt.datetime
	unit: str | None = None


@dataclass
class QuarantineBatch:
	"""One alert: the quarantined readings of one device in one window."""

	device: str
	site: str
	window: int
	count: int = 0
	worst: dict[str, tuple[float, str | None]] = field(default_factory=dict)
	first_at: dt.datetime | None = None
	last_at: dt.datetime | None = None

	def bounds(self, minutes: int) -> tuple[dt.datetime, dt.datetime]:
		return window_bounds(self.window, minutes)


def aggregate_readings(readings: Iterable[Reading], minutes: int) -> list[WindowAggregate]:
	"""The GROUP BY of the job, in Python: the reference the SQL is tested against."""
	groups: dict[tuple[str, str, str, int], list[Reading]] = {}
	for r in readings:
		groups.setdefault((r.device, r.site, r.metric, window_index(r.observed_at, minutes)), []).append(r)
	return [
		WindowAggregate(
			device=device,
			site=site,
			metric=metric,
			window=window,
			count=len(rows),
			min_value=min(r.value for r in rows),
			max_value=max(r.value for r in rows),
			first_at=min(r.observed_at for r in rows),
			last_at=max(r.observed_at for r in rows),
			unit=rows[0].unit,
		)
		for (device, site, metric, window), rows in sorted(groups.items())
	]


def worst_value(min_value: float, max_value: float, band: Band | None) -> float:
	"""Of a window's lowest and highest reading, the one farther outside the metric's valid range
	(for temperature a 2 °C reading can be worse than a 33 °C one); the highest without a band."""
	if band is None:
		return max_value
	below = (band.valid_min - min_value) if band.valid_min is not None else float("-inf")
	above = (max_value - band.valid_max) if band.valid_max is not None else float("-inf")
	return min_value if below > above else max_value


def batch_quarantine(
	aggregates: Iterable[WindowAggregate], bands: Mapping[str, Band | None] | None = None
) -> list[QuarantineBatch]:
	"""One batch per device and window, adding up every metric the device reports."""
	bands = bands or {}
	batches: dict[tuple[str, int], QuarantineBatch] = {}
	for agg in aggregates:
		batch = batches.setdefault(
			(agg.device, agg.window), QuarantineBatch(agg.device, agg.site, agg.window)
		)
		batch.count += agg.count
		batch.worst[agg.metric] = (worst_value(agg.min_value, agg.max_value, bands.get(agg.metric)), agg.unit)
		batch.first_at = min(filter(None, (batch.first_at, agg.first_at)))
		batch.last_at = max(filter(None, (batch.last_at, agg.last_at)))
	return [batches[k] for k in sorted(batches)]


# --- due dates and silence ------------------------------------------------------------------------


def calibration_due_until(today: dt.date, lead_days: int) -> dt.date:
	"""The latest due date that is alerted today (the daily job's bound)."""
	return today + dt.timedelta(days=lead_days)


def calibration_is_due(due_date: dt.date | None, today: dt.date, lead_days: int) -> bool:
	"""Due within ``lead_days`` days, or overdue."""
	return due_date is not None and due_date <= calibration_due_until(today, lead_days)


def silent_since(
	last_seen_at: dt.datetime | None,
	created_at: dt.datetime,
	now: dt.datetime,
	stale_after_minutes: int | None,
) -> dt.datetime | None:
	"""When a device fell silent, or ``None`` while it still reports. A device that never reported
	counts from its registration."""
	since = last_seen_at or created_at
	stale_after = settings.stale_after_minutes(stale_after_minutes)
	return since if now - since >= dt.timedelta(minutes=stale_after) else None
