"""Hourly rollups of sensor readings: the arithmetic. No Frappe here.

A rollup is one row per site, device, bin, metric and hour (``Observation Hourly``): how many
readings, how many of each quality flag, and the sum, minimum and maximum of the readings a chart
may draw (Valid and Warning). Quarantined readings are counted, and their own sum and maximum are
kept apart for a user who asks to see them, but they never enter the charted sum, minimum, maximum
or mean (FR-OBS-03, NFR-DATA-03).

Rollups are partial aggregates: two of the same key merge by adding counts and sums and taking the
smaller minimum and the larger maximum, so a batch, a single reading and a late reading landing in
an hour already rolled up are all one :func:`merge`. A re-flag cannot be merged (a maximum cannot be
taken back): the hours it touches are recomputed from the raw readings (:func:`hours_touched`).

Values are exact decimals with 9 places, as the database keeps a Float column (DECIMAL(21,9)), so a
rollup kept by the ingest equals the GROUP BY over the raw readings digit for digit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from yam_agri_core.rules.thresholds import QUARANTINE, VALID, WARNING

#: Readings a chart draws; quarantined ones never, unless a user asks for them.
CHARTED = (VALID, WARNING)
_QUANTUM = Decimal("1e-9")
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Key:
	"""What a rollup row is of. A device that is not registered is known by the id it sent
	(``device`` empty); a reading without a bin has an empty ``storage_bin``."""

	site: str
	device: str
	reported_device_id: str
	storage_bin: str
	metric: str
	hour: dt.datetime


@dataclass(frozen=True)
class Partial:
	"""The aggregate of some readings of one key. ``value_*`` cover charted readings only."""

	readings: int = 0
	valid: int = 0
	warning: int = 0
	quarantine: int = 0
	value_sum: Decimal = field(default_factory=Decimal)
	value_min: Decimal | None = None
	value_max: Decimal | None = None
	quarantine_sum: Decimal = field(default_factory=Decimal)
	quarantine_max: Decimal | None = None

	@property
	def charted(self) -> int:
		return self.valid + self.warning

	@property
	def mean(self) -> Decimal | None:
		"""The mean of the charted readings (``None`` when none was charted)."""
		return self.value_sum / self.charted if self.charted else None


EMPTY = Partial()


def stored(value: float | Decimal | str) -> Decimal:
	"""``value`` as a DECIMAL(21,9) column keeps it (half up)."""
	if not isinstance(value, Decimal):
		value = Decimal(repr(float(value)) if isinstance(value, float) else str(value))
	return value.quantize(_QUANTUM, rounding=ROUND_HALF_UP)


def hour_of(at: dt.datetime) -> dt.datetime:
	"""The hour a reading belongs to (its start)."""
	return at.replace(minute=0, second=0, microsecond=0)


def of_reading(value: float | Decimal, flag: str | None) -> Partial:
	"""The aggregate of one reading."""
	v = stored(value)
	if flag == QUARANTINE:
		return Partial(readings=1, quarantine=1, quarantine_sum=v, quarantine_max=v)
	if flag not in CHARTED:  # no flag (never written by the app): counted, never charted
		return Partial(readings=1)
	return Partial(
		readings=1,
		valid=int(flag == VALID),
		warning=int(flag == WARNING),
		value_sum=v,
		value_min=v,
		value_max=v,
	)


def _least(a: Decimal | None, b: Decimal | None) -> Decimal | None:
	return b if a is None else a if b is None else min(a, b)


def _greatest(a: Decimal | None, b: Decimal | None) -> Decimal | None:
	return b if a is None else a if b is None else max(a, b)


def merge(a: Partial, b: Partial) -> Partial:
	"""Two aggregates of the same key as one (order does not matter)."""
	return Partial(
		readings=a.readings + b.readings,
		valid=a.valid + b.valid,
		warning=a.warning + b.warning,
		quarantine=a.quarantine + b.quarantine,
		value_sum=a.value_sum + b.value_sum,
		value_min=_least(a.value_min, b.value_min),
		value_max=_greatest(a.value_max, b.value_max),
		quarantine_sum=a.quarantine_sum + b.quarantine_sum,
		quarantine_max=_greatest(a.quarantine_max, b.quarantine_max),
	)


def key_of(reading: Mapping) -> Key:
	"""The rollup key of a reading (``site``, ``device``, ``reported_device_id``, ``storage_bin``,
	``metric``, ``observed_at``)."""
	return Key(
		site=reading["site"],
		device=reading.get("device") or "",
		reported_device_id="" if reading.get("device") else (reading.get("reported_device_id") or ""),
		storage_bin=reading.get("storage_bin") or "",
		metric=reading["metric"],
		hour=hour_of(reading["observed_at"]),
	)


def partials_of(readings: Iterable[Mapping]) -> dict[Key, Partial]:
	"""The aggregate of each key the readings fall in (``value`` and ``quality_flag`` besides the key):
	the same as merging :func:`of_reading` of each, in one pass (the ingest's hot path)."""
	groups: dict[Key, list[tuple[Decimal, str | None]]] = {}
	for r in readings:
		groups.setdefault(key_of(r), []).append((stored(r["value"]), r.get("quality_flag")))
	return {key: _aggregate(values) for key, values in groups.items()}


def _aggregate(values: list[tuple[Decimal, str | None]]) -> Partial:
	charted = [v for v, flag in values if flag in CHARTED]
	held = [v for v, flag in values if flag == QUARANTINE]
	valid = sum(1 for _v, flag in values if flag == VALID)
	return Partial(
		readings=len(values),
		valid=valid,
		warning=len(charted) - valid,
		quarantine=len(held),
		value_sum=sum(charted, Decimal()),
		value_min=min(charted, default=None),
		value_max=max(charted, default=None),
		quarantine_sum=sum(held, Decimal()),
		quarantine_max=max(held, default=None),
	)


@dataclass(frozen=True)
class DayKey:
	"""A daily rollup's key: the hourly key with its day instead of its hour."""

	site: str
	device: str
	reported_device_id: str
	storage_bin: str
	metric: str
	day: dt.date


def day_key(key: Key) -> DayKey:
	return DayKey(key.site, key.device, key.reported_device_id, key.storage_bin, key.metric, key.hour.date())


def by_day(partials: Mapping[Key, Partial]) -> dict[DayKey, Partial]:
	"""Hourly aggregates merged into their days (the day level the long charts read)."""
	out: dict[DayKey, Partial] = {}
	for key, p in partials.items():
		day = day_key(key)
		out[day] = merge(out.get(day, EMPTY), p)
	return out


def hours_touched(readings: Iterable[Mapping]) -> dict[str, list[tuple[dt.datetime, dt.datetime]]]:
	"""The windows ``[from, to)`` of whole hours to recompute per site after ``readings`` changed
	(a re-flag): consecutive hours are joined into one window."""
	hours: dict[str, set[dt.datetime]] = {}
	for r in readings:
		hours.setdefault(r["site"], set()).add(hour_of(r["observed_at"]))
	out: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
	for site, found in hours.items():
		windows: list[list[dt.datetime]] = []
		for h in sorted(found):
			if windows and windows[-1][1] == h:
				windows[-1][1] = h + HOUR
			else:
				windows.append([h, h + HOUR])
		out[site] = [(start, end) for start, end in windows]
	return out


def hour_window(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
	"""``[start, end)`` widened to whole hours (a rebuild recomputes whole hours only)."""
	first = hour_of(start)
	last = hour_of(end)
	return first, last if last == end else last + HOUR


def month_of_hour(hour: dt.datetime | str) -> str:
	"""``YYYY-MM`` of an hour (a datetime, or the text MariaDB returns for it)."""
	if isinstance(hour, str):
		return hour[:7]
	return f"{hour.year:04d}-{hour.month:02d}"


def outside_archived(rows: Iterable, archived: set[tuple[str, str]], site_at: int, hour_at: int) -> list:
	"""The recomputed rows whose (site, month) is not archived. An archived month's readings left
	MariaDB (but for the few a nonconformance, an evidence pack or an alert names), so recomputing its
	hours from what is left would shrink its rollups: they are the month's record and stay as they are."""
	if not archived:
		return list(rows)
	return [row for row in rows if (row[site_at], month_of_hour(row[hour_at])) not in archived]
