"""QC test results: the crop limit that applies to a test, its unit, the value's range, pass or fail.

Measured tests (Moisture, Protein, Aflatoxin, Germination, Pesticide Residue) are judged against the
crop's limit for that test, at the limit inclusive: a maximum passes when ``value <= limit``, a
minimum when ``value >= limit``. A limit of 0 or blank means the crop sets none; the tester then
records the result, as for Visual and Other tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from yam_agri_core.rules.messages import Kind, RuleError, _

MOISTURE, PROTEIN, AFLATOXIN, VISUAL, GERMINATION, PESTICIDE_RESIDUE, OTHER = (
	"Moisture",
	"Protein",
	"Aflatoxin",
	"Visual",
	"Germination",
	"Pesticide Residue",
	"Other",
)
TEST_TYPES = (MOISTURE, PROTEIN, AFLATOXIN, VISUAL, GERMINATION, PESTICIDE_RESIDUE, OTHER)
PASS, FAIL = "Pass", "Fail"
RESULTS = (PASS, FAIL)

PERCENT, PPB, MG_PER_KG = "%", "ppb", "mg/kg"
#: What labs write for each unit, to the unit stored (ppb of aflatoxin is µg/kg; ppm is mg/kg).
UNIT_ALIASES = {
	"%": PERCENT,
	"percent": PERCENT,
	"pct": PERCENT,
	"ppb": PPB,
	"µg/kg": PPB,  # micro sign
	"μg/kg": PPB,  # Greek mu
	"ug/kg": PPB,
	"mcg/kg": PPB,
	"ppb (µg/kg)": PPB,
	"mg/kg": MG_PER_KG,
	"ppm": MG_PER_KG,
}
MAXIMUM, MINIMUM = "max", "min"


@dataclass(frozen=True)
class Limit:
	"""Which Crop field limits a measured test, in which unit, and in which direction."""

	crop_field: str
	unit: str
	direction: str


LIMITS: dict[str, Limit] = {
	MOISTURE: Limit("max_storage_moisture_pct", PERCENT, MAXIMUM),
	PROTEIN: Limit("min_protein_pct", PERCENT, MINIMUM),
	AFLATOXIN: Limit("max_aflatoxin_ppb", PPB, MAXIMUM),
	GERMINATION: Limit("min_germination_pct", PERCENT, MINIMUM),
	PESTICIDE_RESIDUE: Limit("max_pesticide_residue_mg_kg", MG_PER_KG, MAXIMUM),
}
#: Crop fields holding QC limits (read together).
CROP_LIMIT_FIELDS = tuple(limit.crop_field for limit in LIMITS.values())
MEASURED = tuple(LIMITS)


@dataclass(frozen=True)
class Assessment:
	"""The result of a test and, as a message template and its parameters, the limit applied."""

	result: str
	limit_template: str
	limit_params: tuple[object, ...] = ()


def validate_test_type(test_type: str | None) -> None:
	if test_type not in TEST_TYPES:
		raise RuleError(
			Kind.VALIDATION,
			_("Test Type {0} is not one of {1}"),
			test_type or "",
			", ".join(TEST_TYPES),
			field="test_type",
		)


def validate_test_date(test_date: dt.date | None, today: dt.date) -> None:
	if test_date and test_date > today:
		raise RuleError(Kind.DATES, _("Test Date {0} is in the future"), test_date, field="test_date")


def expected_unit(test_type: str) -> str | None:
	limit = LIMITS.get(test_type)
	return limit.unit if limit else None


def normalize_unit(test_type: str, unit: str | None) -> str | None:
	"""The unit stored for a test: the test type's own unit (blank means it); free text for Other,
	none for Visual."""
	text = (unit or "").strip()
	if test_type == VISUAL:
		return None
	if test_type not in LIMITS:
		return text or None
	wanted = LIMITS[test_type].unit
	if not text:
		return wanted
	normalized = UNIT_ALIASES.get(text.lower(), UNIT_ALIASES.get(text))
	if normalized != wanted:
		raise RuleError(
			Kind.UNIT,
			_("Unit {0} is not valid for a {1} test; use {2}"),
			text,
			test_type,
			wanted,
			field="unit",
		)
	return wanted


def validate_value(test_type: str, value: float | None, unit: str | None) -> None:
	"""Measured tests need a value within what the unit allows (a percentage is 0 to 100)."""
	if test_type not in LIMITS:
		return
	if value is None:
		raise RuleError(Kind.VALIDATION, _("Value is required for a {0} test"), test_type, field="value")
	if value < 0:
		raise RuleError(
			Kind.VALIDATION, _("Value {0} of a {1} test cannot be negative"), value, test_type, field="value"
		)
	if unit == PERCENT and value > 100:
		raise RuleError(
			Kind.VALIDATION,
			_("Value {0} % of a {1} test must be between 0 and 100"),
			value,
			test_type,
			field="value",
		)


def crop_limit(test_type: str, crop_limits: Mapping[str, float | None]) -> float | None:
	"""The crop's limit for ``test_type``; ``None`` when the crop sets none (blank or 0)."""
	limit = LIMITS.get(test_type)
	if not limit:
		return None
	value = crop_limits.get(limit.crop_field)
	return float(value) if value and value > 0 else None


def assess(
	*,
	test_type: str,
	value: float | None,
	unit: str | None,
	crop: str | None,
	crop_limits: Mapping[str, float | None],
	entered_result: str | None,
) -> Assessment:
	"""Pass or Fail: computed from the crop's limit for measured tests, else the tester's result."""
	limit_value = crop_limit(test_type, crop_limits)
	if limit_value is None:
		measured = test_type in LIMITS
		if entered_result not in RESULTS and measured:
			raise RuleError(
				Kind.VALIDATION,
				_("Result (Pass or Fail) is required: crop {0} sets no {1} limit"),
				crop or "-",
				test_type,
				field="result",
			)
		if entered_result not in RESULTS:
			raise RuleError(
				Kind.VALIDATION,
				_("Result (Pass or Fail) is required for a {0} test"),
				test_type,
				field="result",
			)
		if measured:
			return Assessment(
				entered_result,
				_("Crop {0} sets no {1} limit: result entered by the tester"),
				(crop, test_type),
			)
		return Assessment(entered_result, _("Result entered by the inspector"))
	limit = LIMITS[test_type]
	if limit.direction == MAXIMUM:
		passed = value <= limit_value + 1e-9
		template = _("{0} at most {1} {2} (limit of crop {3})")
	else:
		passed = value >= limit_value - 1e-9
		template = _("{0} at least {1} {2} (limit of crop {3})")
	return Assessment(PASS if passed else FAIL, template, (test_type, limit_value, limit.unit, crop))
