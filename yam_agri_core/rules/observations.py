"""Quality flag of one sensor reading: bad data and threshold bands, with reasons in words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from yam_agri_core.rules.messages import _
from yam_agri_core.rules.thresholds import (
	QUARANTINE,
	SENSOR_RANGES,
	VALID,
	WARNING,
	Band,
	classify,
	unit_fits_metric,
	worst,
)

#: Readings stamped this far ahead of the server clock are still accepted (gateway clock drift).
FUTURE_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class DeviceState:
	"""What the server knows of the device a reading names (``exists`` False: unknown device)."""

	exists: bool
	is_active: bool = True
	site: str | None = None


@dataclass(frozen=True)
class PreviousReading:
	value: float
	observed_at: dt.datetime


@dataclass
class Assessment:
	flag: str = VALID
	#: (untranslated template, params) pairs, in the order found.
	reasons: list[tuple[str, tuple]] = field(default_factory=list)

	def add(self, flag: str, template: str, *params: object) -> None:
		self.flag = worst(self.flag, flag)
		self.reasons.append((template, params))


def assess(
	*,
	metric: str,
	value: float,
	unit: str,
	observed_at: dt.datetime,
	now: dt.datetime,
	site: str,
	device: DeviceState,
	band: Band,
	recent_values: Sequence[float] = (),
	previous_good: PreviousReading | None = None,
) -> Assessment:
	"""Flag a reading.

	``recent_values`` are the device's latest values of this metric, newest first (for a stuck
	sensor); ``previous_good`` its latest reading that was not quarantined (for an impossible jump).
	"""
	result = Assessment()
	_check_device(result, device, site)
	_check_time(result, observed_at, now)
	unit_ok = unit_fits_metric(metric, unit)
	if not unit_ok:
		result.add(QUARANTINE, _("unit {0} is wrong for {1}"), unit, metric)
	in_range = _check_physical_range(result, metric, value, unit) if unit_ok else False
	if in_range:
		_check_stuck(result, value, unit, band, recent_values)
		_check_jump(result, value, unit, observed_at, band, previous_good)
		_check_band(result, metric, value, unit, band)
	return result


def _check_device(result: Assessment, device: DeviceState, site: str) -> None:
	if not device.exists:
		result.add(QUARANTINE, _("the device is not registered"))
		return
	if not device.is_active:
		result.add(QUARANTINE, _("the device is inactive"))
	if device.site and device.site != site:
		result.add(QUARANTINE, _("the device belongs to site {0}"), device.site)


def _check_time(result: Assessment, observed_at: dt.datetime, now: dt.datetime) -> None:
	if observed_at > now + FUTURE_SKEW:
		result.add(
			QUARANTINE, _("the reading time {0} is in the future"), observed_at.strftime("%Y-%m-%d %H:%M")
		)


def _check_physical_range(result: Assessment, metric: str, value: float, unit: str) -> bool:
	limits = SENSOR_RANGES.get(metric)
	if limits and not limits[0] <= value <= limits[1]:
		result.add(
			QUARANTINE,
			_("{0} {1} is outside what the sensor can measure ({2} to {3} {1})"),
			_fmt(value),
			unit,
			_fmt(limits[0]),
			_fmt(limits[1]),
		)
		return False
	return True


def _check_stuck(
	result: Assessment, value: float, unit: str, band: Band, recent_values: Sequence[float]
) -> None:
	needed = band.stuck_repeat_count - 1
	if band.stuck_repeat_count <= 1 or len(recent_values) < needed:
		return
	if all(v == value for v in recent_values[:needed]):
		result.add(
			QUARANTINE,
			_("the sensor looks stuck: the same value {0} {1} {2} times in a row"),
			_fmt(value),
			unit,
			band.stuck_repeat_count,
		)


def _check_jump(
	result: Assessment,
	value: float,
	unit: str,
	observed_at: dt.datetime,
	band: Band,
	previous: PreviousReading | None,
) -> None:
	if not band.max_jump or previous is None:
		return
	if abs(observed_at - previous.observed_at) > dt.timedelta(minutes=band.jump_window_minutes):
		return
	jump = value - previous.value
	if abs(jump) > band.max_jump:
		result.add(
			QUARANTINE,
			_("an impossible jump of {0} {1} from the previous reading of {2} {1}"),
			_fmt(jump, signed=True),
			unit,
			_fmt(previous.value),
		)


def _check_band(result: Assessment, metric: str, value: float, unit: str, band: Band) -> None:
	flag = classify(value, band)
	if flag == QUARANTINE:
		if band.critical_max is not None and value > band.critical_max:
			result.add(
				QUARANTINE,
				_("{0} {1} {2} is above the critical limit of {3} {2}"),
				metric,
				_fmt(value),
				unit,
				_fmt(band.critical_max),
			)
		else:
			result.add(
				QUARANTINE,
				_("{0} {1} {2} is below the critical limit of {3} {2}"),
				metric,
				_fmt(value),
				unit,
				_fmt(band.critical_min),
			)
	elif flag == WARNING:
		if band.valid_max is not None and value > band.valid_max:
			result.add(
				WARNING,
				_("{0} {1} {2} is above the normal range (up to {3} {2})"),
				metric,
				_fmt(value),
				unit,
				_fmt(band.valid_max),
			)
		else:
			result.add(
				WARNING,
				_("{0} {1} {2} is below the normal range (from {3} {2})"),
				metric,
				_fmt(value),
				unit,
				_fmt(band.valid_min),
			)


def _fmt(value: float | None, signed: bool = False) -> str:
	if value is None:
		return ""
	text = f"{value:+.2f}" if signed else f"{value:.2f}"
	return text.rstrip("0").rstrip(".")
