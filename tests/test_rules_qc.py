import datetime as dt

import pytest

from yam_agri_core.rules import qc
from yam_agri_core.rules.messages import RuleError

TODAY = dt.date(2026, 6, 1)
WHEAT = {
	"max_storage_moisture_pct": 14.0,
	"min_protein_pct": 11.5,
	"max_aflatoxin_ppb": 10.0,
	"min_germination_pct": 85.0,
	"max_pesticide_residue_mg_kg": 0.5,
}


def assess(test_type, value, unit=None, limits=WHEAT, entered=None):
	return qc.assess(
		test_type=test_type,
		value=value,
		unit=unit or qc.expected_unit(test_type),
		crop="Wheat",
		crop_limits=limits,
		entered_result=entered,
	)


@pytest.mark.parametrize(
	"test_type, crop_field, unit, direction",
	[
		("Moisture", "max_storage_moisture_pct", "%", "max"),
		("Protein", "min_protein_pct", "%", "min"),
		("Aflatoxin", "max_aflatoxin_ppb", "ppb", "max"),
		("Germination", "min_germination_pct", "%", "min"),
		("Pesticide Residue", "max_pesticide_residue_mg_kg", "mg/kg", "max"),
	],
)
def test_which_limit_applies(test_type, crop_field, unit, direction):
	limit = qc.LIMITS[test_type]
	assert (limit.crop_field, limit.unit, limit.direction) == (crop_field, unit, direction)
	assert qc.expected_unit(test_type) == unit


@pytest.mark.parametrize(
	"test_type, value, result",
	[
		("Moisture", 13.9, "Pass"),
		("Moisture", 14.0, "Pass"),  # at the limit passes
		("Moisture", 14.01, "Fail"),
		("Aflatoxin", 10.0, "Pass"),
		("Aflatoxin", 10.5, "Fail"),
		("Aflatoxin", 0, "Pass"),
		("Pesticide Residue", 0.5, "Pass"),
		("Pesticide Residue", 0.51, "Fail"),
		("Protein", 11.5, "Pass"),  # at the minimum passes
		("Protein", 12.8, "Pass"),
		("Protein", 11.49, "Fail"),
		("Germination", 85, "Pass"),
		("Germination", 84.9, "Fail"),
	],
)
def test_pass_or_fail_against_the_crop_limit(test_type, value, result):
	assessment = assess(test_type, value)
	assert assessment.result == result
	assert assessment.limit_params[0] == test_type
	assert assessment.limit_params[2] == qc.expected_unit(test_type)
	assert assessment.limit_params[3] == "Wheat"
	assert "{3}" in assessment.limit_template


def test_computed_result_overrides_what_was_entered():
	assert assess("Moisture", 16, entered="Pass").result == "Fail"
	assert assess("Moisture", 12, entered="Fail").result == "Pass"


def test_limit_template_names_the_direction():
	assert "most" in assess("Moisture", 12).limit_template
	assert "least" in assess("Protein", 12).limit_template
	assert assess("Moisture", 12).limit_params[1] == 14.0


@pytest.mark.parametrize("test_type", ["Visual", "Other"])
def test_visual_and_other_results_are_entered_by_the_inspector(test_type):
	assert assess(test_type, None, entered="Pass").result == "Pass"
	assert assess(test_type, None, entered="Fail").result == "Fail"
	assert assess(test_type, None, entered="Pass").limit_template == "Result entered by the inspector"
	with pytest.raises(RuleError) as error:
		assess(test_type, None)
	assert error.value.field == "result"
	assert test_type in str(error.value)


@pytest.mark.parametrize("missing", [None, 0, 0.0])
def test_a_crop_without_a_limit_lets_the_tester_decide(missing):
	limits = {**WHEAT, "min_protein_pct": missing}
	with pytest.raises(RuleError) as error:
		assess("Protein", 12, limits=limits)
	assert error.value.field == "result"
	assert "Wheat" in str(error.value) and "Protein" in str(error.value)
	assessment = assess("Protein", 9, limits=limits, entered="Pass")
	assert assessment.result == "Pass"
	assert assessment.limit_params == ("Wheat", "Protein")
	assert assess("Protein", 9, limits={}, entered="Fail").result == "Fail"


@pytest.mark.parametrize(
	"test_type, unit, stored",
	[
		("Moisture", None, "%"),
		("Moisture", "", "%"),
		("Moisture", " % ", "%"),
		("Protein", "percent", "%"),
		("Aflatoxin", None, "ppb"),
		("Aflatoxin", "ppb", "ppb"),
		("Aflatoxin", "µg/kg", "ppb"),
		("Aflatoxin", "μg/kg", "ppb"),
		("Aflatoxin", "ug/kg", "ppb"),
		("Aflatoxin", "PPB", "ppb"),
		("Pesticide Residue", "mg/kg", "mg/kg"),
		("Pesticide Residue", "ppm", "mg/kg"),
		("Germination", "%", "%"),
		("Visual", "%", None),
		("Visual", None, None),
		("Other", "count/100 g", "count/100 g"),
		("Other", "  ", None),
	],
)
def test_units_are_normalized(test_type, unit, stored):
	assert qc.normalize_unit(test_type, unit) == stored


@pytest.mark.parametrize(
	"test_type, unit",
	[
		("Moisture", "ppb"),
		("Aflatoxin", "%"),
		("Aflatoxin", "mg/kg"),
		("Pesticide Residue", "ppb"),
		("Protein", "g"),
	],
)
def test_wrong_unit_for_the_test_is_refused(test_type, unit):
	with pytest.raises(RuleError) as error:
		qc.normalize_unit(test_type, unit)
	assert error.value.kind == "unit" and error.value.field == "unit"
	assert unit in str(error.value) and test_type in str(error.value)


@pytest.mark.parametrize(
	"test_type, value, unit",
	[
		("Moisture", 0, "%"),
		("Moisture", 100, "%"),
		("Aflatoxin", 250, "ppb"),
		("Pesticide Residue", 0, "mg/kg"),
	],
)
def test_values_within_range(test_type, value, unit):
	qc.validate_value(test_type, value, unit)


@pytest.mark.parametrize(
	"test_type, value, unit",
	[
		("Moisture", 100.1, "%"),
		("Germination", 120, "%"),
		("Protein", -1, "%"),
		("Aflatoxin", -0.1, "ppb"),
		("Pesticide Residue", -2, "mg/kg"),
		("Moisture", None, "%"),
	],
)
def test_values_out_of_range_or_missing(test_type, value, unit):
	with pytest.raises(RuleError) as error:
		qc.validate_value(test_type, value, unit)
	assert error.value.field == "value"


@pytest.mark.parametrize("test_type", ["Visual", "Other"])
def test_value_is_optional_for_visual_and_other(test_type):
	qc.validate_value(test_type, None, None)
	qc.validate_value(test_type, 250, None)


def test_test_date_not_in_the_future():
	qc.validate_test_date(TODAY, TODAY)
	qc.validate_test_date(None, TODAY)
	with pytest.raises(RuleError) as error:
		qc.validate_test_date(TODAY + dt.timedelta(days=1), TODAY)
	assert error.value.kind == "dates" and error.value.field == "test_date"


def test_test_type_must_be_known():
	qc.validate_test_type("Aflatoxin")
	for bad in (None, "", "Gluten"):
		with pytest.raises(RuleError) as error:
			qc.validate_test_type(bad)
		assert error.value.field == "test_type"


def test_crop_limit_fields_are_read_together():
	assert set(qc.CROP_LIMIT_FIELDS) == set(WHEAT)
