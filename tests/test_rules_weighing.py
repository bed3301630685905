import pytest

from yam_agri_core.rules.messages import RuleError
from yam_agri_core.rules.weighing import (
	LotExpectations,
	deviation_pct,
	expected_of_truck,
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


def test_a_truck_without_a_declared_weight_is_expected_to_bring_what_its_lot_still_expects():
	assert expected_of_truck(18000, 0) == 18000  # the first truck of the lot
	assert expected_of_truck(18000, 12200) == 5800  # the second: 18,000 declared less 12,200 weighed
	assert expected_of_truck(18000, None) == 18000
	assert expected_of_truck(3000.5, 1000.25) == 2000.25


def test_a_lot_that_expects_nothing_more_does_not_judge_its_trucks():
	assert expected_of_truck(18000, 18000) is None
	assert expected_of_truck(18000, 19000) is None
	assert expected_of_truck(None, 0) is None
	assert expected_of_truck(0, 0) is None


def test_the_second_truck_of_a_lot_is_not_a_mismatch_against_the_whole_lot():
	second = weigh(
		gross_kg=14800, tare_kg=9000, expected_net_kg=expected_of_truck(18000, 12200), tolerance_pct=2
	)
	assert (second.expected_net_kg, second.deviation_pct, second.mismatch) == (5800, 0, False)
	short = weigh(
		gross_kg=14000, tare_kg=9000, expected_net_kg=expected_of_truck(18000, 12200), tolerance_pct=2
	)
	assert short.mismatch and short.deviation_pct == pytest.approx(-13.7931, abs=1e-4)


def test_an_import_counts_the_earlier_rows_of_a_lot():
	lots = LotExpectations({"LOT-A": 18000, "LOT-B": 3000}, {"LOT-A": 0})
	assert lots.expected("LOT-A", "Inbound", None) == 18000
	lots.weighed("LOT-A", 6000)
	assert lots.expected("LOT-A", "Inbound", None) == 12000
	lots.weighed("LOT-A", 6100)
	assert lots.expected("LOT-A", "Inbound", None) == 5900
	assert lots.expected("LOT-A", "Inbound", 6000) is None  # the sender declared the truck
	assert lots.expected("LOT-A", "Outbound", None) is None
	assert lots.expected("LOT-C", "Inbound", None) is None  # not a lot of the site
	lots.weighed("LOT-C", 10)
	assert lots.expected("LOT-B", "Inbound", None) == 3000
	lots.weighed("LOT-A", 5900)
	assert lots.expected("LOT-A", "Inbound", None) is None  # fully weighed


def test_a_lot_figure_is_taken_again_only_while_nobody_typed_over_it():
	from yam_agri_core.rules.weighing import keeps_lot_figure

	assert keeps_lot_figure(True, False, 5800.0, 5800.0)
	assert not keeps_lot_figure(True, False, 5800.0, 6000.0)  # typed over: the sender's now
	assert not keeps_lot_figure(False, False, 5800.0, 5800.0)  # typed by the sender
	assert not keeps_lot_figure(True, True, None, 5800.0)  # a new ticket (an import) keeps its figure
	assert not keeps_lot_figure(True, False, None, 5800.0)
