import pytest

from yam_agri_core.rules.messages import RuleError
from yam_agri_core.rules.weighing import (
	deviation_pct,
	is_mismatch,
	mismatch_severity,
	net_weight,
	validate_weights,
	weigh,
)


def test_at07_clean_ticket():
	result = weigh(gross_kg=15000, tare_kg=12000, expected_net_kg=3000, tolerance_pct=2.0)
	assert result.net_kg == 3000
	assert result.deviation_pct == 0
	assert not result.mismatch


def test_at07_short_delivery_is_flagged():
	result = weigh(gross_kg=14200, tare_kg=12000, expected_net_kg=3000, tolerance_pct=2.0)
	assert result.net_kg == 2200
	assert result.deviation_pct == pytest.approx(-26.6667, abs=1e-4)
	assert result.mismatch


@pytest.mark.parametrize("net", [3060, 2940])
def test_deviation_exactly_at_tolerance_is_not_a_mismatch(net):
	result = weigh(gross_kg=net + 100, tare_kg=100, expected_net_kg=3000, tolerance_pct=2.0)
	assert abs(result.deviation_pct) == 2.0
	assert not result.mismatch


@pytest.mark.parametrize("net", [3060.5, 2939.5])
def test_deviation_just_beyond_tolerance_is_a_mismatch(net):
	assert weigh(gross_kg=net + 100, tare_kg=100, expected_net_kg=3000, tolerance_pct=2.0).mismatch


def test_missing_expected_weight_means_no_deviation_and_no_mismatch():
	for expected in (None, 0):
		result = weigh(gross_kg=5000, tare_kg=1000, expected_net_kg=expected, tolerance_pct=2.0)
		assert result.deviation_pct is None
		assert result.expected_net_kg is None
		assert not result.mismatch


def test_zero_tolerance_flags_any_difference():
	assert weigh(3001, 0, 3000, 0).mismatch
	assert not weigh(3000, 0, 3000, 0).mismatch


def test_deviation_is_signed():
	assert deviation_pct(3300, 3000) == 10.0
	assert deviation_pct(2700, 3000) == -10.0
	assert is_mismatch(-10.0, 2.0) and is_mismatch(10.0, 2.0)
	assert not is_mismatch(None, 2.0)


@pytest.mark.parametrize(
	"gross, tare, field",
	[
		(0, 0, "gross_kg"),
		(-5, 0, "gross_kg"),
		(None, 0, "gross_kg"),
		(100, -1, "tare_kg"),
		(100, 100, "tare_kg"),
		(100, 150, "tare_kg"),
	],
)
def test_bad_weights_name_the_field(gross, tare, field):
	with pytest.raises(RuleError) as error:
		validate_weights(gross, tare)
	assert error.value.field == field
	assert error.value.kind == "weight"


def test_tare_above_gross_message_gives_both_weights():
	with pytest.raises(RuleError) as error:
		net_weight(12000, 15000)
	assert error.value.template == "Tare Weight (kg) {0} must be less than Gross Weight (kg) {1}"
	assert error.value.params == ("15,000", "12,000")


def test_missing_tare_counts_as_zero():
	assert net_weight(1234.5, None) == 1234.5


def test_negative_expected_weight_is_refused():
	with pytest.raises(RuleError) as error:
		weigh(3000, 0, -3000, 2)
	assert error.value.field == "expected_net_kg"


@pytest.mark.parametrize("tolerance", [-0.1, 50.1])
def test_tolerance_out_of_range(tolerance):
	with pytest.raises(RuleError) as error:
		weigh(3000, 0, 3000, tolerance)
	assert error.value.field == "tolerance_pct"


def test_mismatch_severity():
	assert mismatch_severity(-26.7, 2.0) == "Major"
	assert mismatch_severity(3.0, 2.0) == "Minor"
	assert mismatch_severity(-4.0, 2.0) == "Minor"
