"""Defaults and ranges of the app's knobs (rules.settings), and the DocTypes that must agree with them."""

from __future__ import annotations

import pytest
from doctype_meta import fields_of

from yam_agri_core.rules import settings
from yam_agri_core.rules.messages import Kind, RuleError, RuleErrors

# --- the contract's values (shared/domain.md), checked where the app keeps them -------------------


def test_contract_defaults_live_in_one_place_and_the_doctypes_agree():
	assert settings.DEFAULT_SCALE_TOLERANCE_PCT == 2.0  # domain.md: Site.scale_tolerance_pct default 2.0
	assert settings.DEFAULT_STALE_AFTER_MINUTES == 60  # domain.md: Device.stale_after_minutes default 60
	assert int(fields_of("Device")["stale_after_minutes"]["default"]) == settings.DEFAULT_STALE_AFTER_MINUTES
	knobs = fields_of("YAM Agri Settings")
	for fieldname, default in settings.SETTING_DEFAULTS.items():
		assert float(knobs[fieldname]["default"]) == float(default), fieldname


def test_a_site_without_a_tolerance_takes_the_settings_default_not_a_copy_in_its_json():
	# a default in the Site JSON would win over YAM Agri Settings in Desk and REST alike
	assert "default" not in fields_of("Site")["scale_tolerance_pct"]


def test_every_numeric_setting_has_a_range_and_a_default():
	numeric = {
		name
		for name, field in fields_of("YAM Agri Settings").items()
		if field["fieldtype"] in ("Int", "Float", "Percent")
	}
	assert numeric == {knob.fieldname for knob in settings.SETTING_RANGES}
	assert numeric <= set(settings.SETTING_DEFAULTS)


# --- tolerance: 0 % is a tolerance, blank is not -----------------------------------------------------


@pytest.mark.parametrize(
	("own", "default", "expected"), [(None, 2.0, 2.0), (0.0, 2.0, 0.0), (5.0, 2.0, 5.0), (None, 3.5, 3.5)]
)
def test_site_tolerance(own, default, expected):
	assert settings.site_tolerance(own, default) == expected


@pytest.mark.parametrize(
	("own", "site", "expected"),
	[(None, 0.0, 0.0), (None, 5.0, 5.0), (0.0, 5.0, 0.0), (1.5, 0.0, 1.5), (None, None, 2.0)],
)
def test_ticket_tolerance(own, site, expected):
	assert settings.ticket_tolerance(own, site) == expected


# --- ranges --------------------------------------------------------------------------------------------


def test_out_of_range_settings_are_all_reported():
	with pytest.raises(RuleErrors) as caught:
		settings.validate_settings(
			{"certificate_warning_days": 0, "quarantine_window_minutes": 0, "calibration_lead_days": 7}
		)
	assert {e.field for e in caught.value.errors} == {"certificate_warning_days", "quarantine_window_minutes"}
	assert {e.kind for e in caught.value.errors} == {Kind.VALIDATION}


def test_the_defaults_are_inside_their_ranges():
	settings.validate_settings(settings.SETTING_DEFAULTS)


@pytest.mark.parametrize("knob", settings.SETTING_RANGES, ids=lambda k: k.fieldname)
def test_range_edges_are_inclusive(knob):
	settings.validate_settings({knob.fieldname: knob.smallest})
	settings.validate_settings({knob.fieldname: knob.largest})
	with pytest.raises(RuleError) as error:
		settings.validate_settings({knob.fieldname: knob.largest + 1})
	assert error.value.field == knob.fieldname


def test_blank_settings_fall_back_to_their_defaults():
	assert settings.setting_or_default("certificate_warning_days", None) == 30
	assert settings.setting_or_default("certificate_warning_days", "") == 30
	assert settings.setting_or_default("default_scale_tolerance_pct", 0) == 0


# --- devices and crops ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "ok"), [(None, False), (0, False), (-5, False), (1, True), (60, True)])
def test_stale_after_must_be_positive(minutes, ok):
	if ok:
		settings.validate_stale_after(minutes)
	else:
		with pytest.raises(RuleError) as error:
			settings.validate_stale_after(minutes)
		assert error.value.field == "stale_after_minutes"


def test_a_device_without_its_own_silence_uses_the_default():
	assert settings.stale_after_minutes(None) == settings.DEFAULT_STALE_AFTER_MINUTES
	assert settings.stale_after_minutes(15) == 15


def test_calibration_cannot_fall_due_before_it_was_last_done():
	settings.validate_calibration_dates("2026-01-10", "2026-07-10")
	settings.validate_calibration_dates("2026-01-10", "2026-01-10")
	settings.validate_calibration_dates(None, "2026-01-10")
	with pytest.raises(RuleError) as error:
		settings.validate_calibration_dates("2026-01-10", "2026-01-09")
	assert error.value.kind is Kind.DATES and error.value.field == "calibration_due_date"


@pytest.mark.parametrize(
	("value", "ok"), [(5, True), (40, True), (14, True), (4.9, False), (40.1, False), (None, False)]
)
def test_max_storage_moisture_range(value, ok):
	if ok:
		settings.validate_max_storage_moisture(value)
	else:
		with pytest.raises(RuleError) as error:
			settings.validate_max_storage_moisture(value)
		assert error.value.field == "max_storage_moisture_pct"
