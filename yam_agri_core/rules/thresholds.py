"""Threshold bands and units for sensor readings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from yam_agri_core.rules.messages import Kind, RuleError, _

TEMPERATURE, HUMIDITY, GRAIN_MOISTURE, CO2, OTHER = (
	"Temperature",
	"Humidity",
	"Grain Moisture",
	"CO2",
	"Other",
)
METRICS = (TEMPERATURE, HUMIDITY, GRAIN_MOISTURE, CO2, OTHER)

VALID, WARNING, QUARANTINE = "Valid", "Warning", "Quarantine"
FLAGS = (VALID, WARNING, QUARANTINE)
_SEVERITY = {VALID: 0, WARNING: 1, QUARANTINE: 2}

#: Every unit the platform knows, with the spellings gateways send for it.
UNIT_ALIASES: dict[str, str] = {
	"°c": "°C",
	"c": "°C",
	"degc": "°C",
	"deg c": "°C",
	"celsius": "°C",
	"°f": "°F",
	"f": "°F",
	"degf": "°F",
	"fahrenheit": "°F",
	"k": "K",
	"kelvin": "K",
	"%": "%",
	"%rh": "%",
	"rh": "%",
	"percent": "%",
	"ppm": "ppm",
	"kg": "kg",
	"g": "g",
	"lux": "lux",
	"v": "V",
	"hpa": "hPa",
}
#: The unit each metric must be reported in; a known unit of another quantity quarantines the reading.
METRIC_UNITS: dict[str, frozenset[str]] = {
	TEMPERATURE: frozenset({"°C"}),
	HUMIDITY: frozenset({"%"}),
	GRAIN_MOISTURE: frozenset({"%"}),
	CO2: frozenset({"ppm"}),
}
#: What the sensors can physically report (outside: bad data, not a real reading).
SENSOR_RANGES: dict[str, tuple[float, float]] = {
	TEMPERATURE: (-40.0, 85.0),
	HUMIDITY: (0.0, 100.0),
	GRAIN_MOISTURE: (0.0, 45.0),
	CO2: (0.0, 10000.0),
}


@dataclass(frozen=True)
class Band:
	"""A threshold band: Valid inside [valid_min, valid_max], Quarantine outside [critical_min,
	critical_max], Warning in between. ``None`` means unbounded on that side.

	``stuck_repeat_count`` identical consecutive readings mean a stuck sensor; ``max_jump`` is the
	largest change from the previous good reading (within ``jump_window_minutes``) a real bin shows.
	"""

	valid_min: float | None
	valid_max: float | None
	critical_min: float | None
	critical_max: float | None
	stuck_repeat_count: int = 20
	max_jump: float | None = None
	jump_window_minutes: int = 60


DEFAULT_BANDS: dict[str, Band] = {
	TEMPERATURE: Band(10.0, 30.0, 5.0, 35.0, max_jump=10.0),
	HUMIDITY: Band(None, 70.0, None, 80.0, max_jump=30.0),
	GRAIN_MOISTURE: Band(None, 14.0, None, 16.0, max_jump=4.0),
	CO2: Band(None, 1000.0, None, 2000.0, max_jump=3000.0),
	OTHER: Band(None, None, None, None, stuck_repeat_count=0),
}
#: Grain moisture: the crop's maximum storage moisture is the top of the Valid band and the
#: critical limit lies this many points above it.
MOISTURE_CRITICAL_MARGIN = 2.0


def normalize_unit(unit: str | None) -> str:
	"""The canonical spelling of a known unit; an unknown unit is an input error."""
	key = (unit or "").strip().lower().replace("º", "°")
	if key in UNIT_ALIASES:
		return UNIT_ALIASES[key]
	raise RuleError(
		Kind.UNIT,
		_("Unit {0} is not a known unit; use one of {1}"),
		unit or "",
		", ".join(sorted(set(UNIT_ALIASES.values()))),
		field="unit",
	)


def unit_fits_metric(metric: str, unit: str) -> bool:
	allowed = METRIC_UNITS.get(metric)
	return allowed is None or unit in allowed


def validate_band(metric: str, band: Band) -> None:
	"""A configured band must be ordered: critical_min ≤ valid_min ≤ valid_max ≤ critical_max."""
	bounds = [band.critical_min, band.valid_min, band.valid_max, band.critical_max]
	present = [b for b in bounds if b is not None]
	if present != sorted(present):
		raise RuleError(
			Kind.VALIDATION,
			_("Thresholds for {0} must be ordered: Critical Min ≤ Valid Min ≤ Valid Max ≤ Critical Max"),
			metric,
			field="thresholds",
		)
	if band.stuck_repeat_count < 0 or (band.max_jump is not None and band.max_jump < 0):
		raise RuleError(
			Kind.VALIDATION,
			_("Stuck Repeat Count and Max Jump for {0} cannot be negative"),
			metric,
			field="thresholds",
		)


def band_with_defaults(
	metric: str,
	valid_min: float | None,
	valid_max: float | None,
	critical_min: float | None,
	critical_max: float | None,
	stuck_repeat_count: int | None = None,
	max_jump: float | None = None,
) -> Band:
	"""A site's threshold row as a band; a blank (or 0) stuck count or jump takes the metric's default."""
	default = DEFAULT_BANDS.get(metric, DEFAULT_BANDS[OTHER])
	return Band(
		valid_min=valid_min,
		valid_max=valid_max,
		critical_min=critical_min,
		critical_max=critical_max,
		stuck_repeat_count=stuck_repeat_count or default.stuck_repeat_count,
		max_jump=max_jump or default.max_jump,
	)


def validate_site_thresholds(rows: Iterable[tuple[int, str, Band]]) -> None:
	"""A site's threshold rows ((row number, metric, band)): one row per metric, each band ordered."""
	seen: set[str] = set()
	for idx, metric, band in rows:
		if metric in seen:
			raise RuleError(
				Kind.VALIDATION,
				_("Row {0}: Metric {1} already has thresholds on this site"),
				idx,
				metric,
				field="thresholds",
			)
		seen.add(metric)
		validate_band(metric, band)


def resolve_band(
	metric: str,
	site_bands: Mapping[str, Band] | None = None,
	crop_max_moisture_pct: float | None = None,
) -> Band:
	"""The band that applies: the site's own row for the metric, else (for grain moisture) the
	crop's storage limit, else the contract's default."""
	if site_bands and metric in site_bands:
		return site_bands[metric]
	default = DEFAULT_BANDS.get(metric, DEFAULT_BANDS[OTHER])
	if metric == GRAIN_MOISTURE and crop_max_moisture_pct:
		return replace(
			default,
			valid_max=crop_max_moisture_pct,
			critical_max=crop_max_moisture_pct + MOISTURE_CRITICAL_MARGIN,
		)
	return default


def classify(value: float, band: Band) -> str:
	"""Valid, Warning or Quarantine for ``value`` against ``band``; band edges belong to the
	milder side (30 °C is Valid, 35 °C is Warning, 35.1 °C is Quarantine)."""
	if (band.critical_min is not None and value < band.critical_min) or (
		band.critical_max is not None and value > band.critical_max
	):
		return QUARANTINE
	if (band.valid_min is not None and value < band.valid_min) or (
		band.valid_max is not None and value > band.valid_max
	):
		return WARNING
	return VALID


def worst(*flags: str) -> str:
	return max(flags, key=_SEVERITY.__getitem__, default=VALID)
