import datetime as dt

import pytest

from yam_agri_core.rules.messages import RuleError
from yam_agri_core.rules.observations import DeviceState, PreviousReading, assess
from yam_agri_core.rules.thresholds import (
	DEFAULT_BANDS,
	Band,
	classify,
	normalize_unit,
	resolve_band,
	validate_band,
)

NOW = dt.datetime(2026, 6, 1, 12, 0)
DEVICE = DeviceState(exists=True, is_active=True, site="A")


def reading(metric="Temperature", value=22.0, unit="°C", **kw):
	args = dict(
		metric=metric,
		value=value,
		unit=unit,
		observed_at=NOW - dt.timedelta(minutes=1),
		now=NOW,
		site="A",
		device=DEVICE,
		band=resolve_band(metric),
	)
	args.update(kw)
	return assess(**args)


@pytest.mark.parametrize(
	"metric, value, flag",
	[
		("Temperature", 10, "Valid"),
		("Temperature", 30, "Valid"),
		("Temperature", 30.1, "Warning"),
		("Temperature", 35, "Warning"),
		("Temperature", 35.1, "Quarantine"),
		("Temperature", 9.9, "Warning"),
		("Temperature", 5, "Warning"),
		("Temperature", 4.9, "Quarantine"),
		("Humidity", 70, "Valid"),
		("Humidity", 70.1, "Warning"),
		("Humidity", 80, "Warning"),
		("Humidity", 80.1, "Quarantine"),
		("Grain Moisture", 14, "Valid"),
		("Grain Moisture", 16, "Warning"),
		("Grain Moisture", 16.1, "Quarantine"),
		("CO2", 1000, "Valid"),
		("CO2", 2000, "Warning"),
		("CO2", 2001, "Quarantine"),
		("Other", 123456, "Valid"),
	],
)
def test_band_edges(metric, value, flag):
	assert classify(value, resolve_band(metric)) == flag


def test_at08_hot_bin_is_quarantined_with_a_reason():
	result = reading(value=42)
	assert result.flag == "Quarantine"
	template, params = result.reasons[0]
	assert "critical limit" in template
	assert params == ("Temperature", "42", "°C", "35")


def test_warning_reason():
	result = reading(metric="Humidity", value=75, unit="%")
	assert result.flag == "Warning"
	assert "normal range" in result.reasons[0][0]


def test_valid_reading_has_no_reason():
	result = reading()
	assert result.flag == "Valid" and result.reasons == []


@pytest.mark.parametrize(
	"device, phrase",
	[
		(DeviceState(exists=False), "not registered"),
		(DeviceState(exists=True, is_active=False, site="A"), "inactive"),
		(DeviceState(exists=True, is_active=True, site="B"), "belongs to site"),
	],
)
def test_bad_devices_quarantine(device, phrase):
	result = reading(device=device)
	assert result.flag == "Quarantine"
	assert phrase in result.reasons[0][0]


def test_unit_wrong_for_metric():
	result = reading(unit="ppm")
	assert result.flag == "Quarantine"
	assert "wrong for" in result.reasons[0][0]


def test_fahrenheit_is_a_known_unit_but_wrong_for_bin_temperature():
	assert normalize_unit("F") == "°F"
	assert reading(unit="°F", value=72).flag == "Quarantine"


@pytest.mark.parametrize(
	"raw, canonical", [("C", "°C"), (" degC ", "°C"), ("%RH", "%"), ("PPM", "ppm"), ("ºC", "°C")]
)
def test_unit_aliases(raw, canonical):
	assert normalize_unit(raw) == canonical


@pytest.mark.parametrize("raw", ["bananas", "", None, "mg"])
def test_unknown_unit_is_an_input_error_naming_the_field(raw):
	with pytest.raises(RuleError) as error:
		normalize_unit(raw)
	assert error.value.field == "unit" and error.value.kind == "unit"


@pytest.mark.parametrize(
	"metric, value, unit",
	[("Temperature", 150, "°C"), ("Humidity", 101, "%"), ("CO2", -5, "ppm"), ("Temperature", -41, "°C")],
)
def test_physically_impossible_values(metric, value, unit):
	result = reading(metric=metric, value=value, unit=unit)
	assert result.flag == "Quarantine"
	assert "can measure" in result.reasons[0][0]


def test_future_reading():
	assert reading(observed_at=NOW + dt.timedelta(minutes=6)).flag == "Quarantine"
	assert reading(observed_at=NOW + dt.timedelta(minutes=4)).flag == "Valid"


def test_stuck_sensor_needs_the_full_count():
	band = resolve_band("Temperature")
	assert reading(value=22.0, recent_values=[22.0] * (band.stuck_repeat_count - 1)).flag == "Quarantine"
	assert reading(value=22.0, recent_values=[22.0] * (band.stuck_repeat_count - 2)).flag == "Valid"
	assert reading(value=22.0, recent_values=[22.0] * 10 + [22.1] + [22.0] * 10).flag == "Valid"


def test_impossible_jump_from_previous_good_reading():
	prev = PreviousReading(20.0, NOW - dt.timedelta(minutes=5))
	result = reading(value=31.0, previous_good=prev)
	assert result.flag == "Quarantine"
	assert "jump" in result.reasons[0][0]
	assert result.reasons[0][1][0] == "+11"
	assert reading(value=29.0, previous_good=prev).flag == "Valid"


def test_no_jump_check_across_a_long_gap():
	prev = PreviousReading(20.0, NOW - dt.timedelta(hours=3))
	assert reading(value=31.0, previous_good=prev).flag == "Warning"


def test_several_reasons_are_all_reported():
	prev = PreviousReading(25.0, NOW - dt.timedelta(minutes=5))
	result = reading(value=42, previous_good=prev, device=DeviceState(exists=True, is_active=False, site="A"))
	assert result.flag == "Quarantine"
	assert len(result.reasons) == 3


def test_site_band_overrides_default_and_crop_moisture():
	site_band = Band(0, 25, -5, 28)
	assert resolve_band("Temperature", {"Temperature": site_band}) is site_band
	wheat = resolve_band("Grain Moisture", {}, crop_max_moisture_pct=13.0)
	assert (wheat.valid_max, wheat.critical_max) == (13.0, 15.0)
	assert resolve_band("Grain Moisture", {"Grain Moisture": site_band}, 13.0) is site_band
	assert resolve_band("Temperature", None, 13.0) == DEFAULT_BANDS["Temperature"]


def test_band_must_be_ordered():
	validate_band("Temperature", Band(10, 30, 5, 35))
	with pytest.raises(RuleError):
		validate_band("Temperature", Band(10, 30, 15, 35))
	with pytest.raises(RuleError):
		validate_band("Temperature", Band(10, 30, 5, 35, stuck_repeat_count=-1))
