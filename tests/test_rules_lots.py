import datetime as dt

import pytest

from yam_agri_core.rules import lots, weighed
from yam_agri_core.rules.messages import RuleError

QM = {"Quality Manager"}
OPERATOR = {"Site Operator"}


@pytest.mark.parametrize(
	"old, new",
	[
		(None, "Draft"),
		("Draft", "Received"),
		("Received", "In Storage"),
		("In Storage", "Released"),
		("Released", "Shipped"),
		("Draft", "In Storage"),
		("Draft", "Rejected"),
		("In Storage", "Rejected"),
		("Released", "Rejected"),
		("Released", "Released"),
	],
)
def test_allowed_moves_for_a_quality_manager(old, new):
	lots.validate_status_change(old, new, QM)


@pytest.mark.parametrize(
	"old, new", [("Received", "Draft"), ("Released", "In Storage"), ("In Storage", "Received")]
)
def test_lots_never_move_back(old, new):
	with pytest.raises(RuleError) as error:
		lots.validate_status_change(old, new, QM)
	assert error.value.kind == "transition" and error.value.field == "status"


@pytest.mark.parametrize("old", ["Shipped", "Rejected"])
@pytest.mark.parametrize("new", ["Draft", "Released", "Rejected", "Shipped"])
def test_final_states(old, new):
	if old == new:
		return
	with pytest.raises(RuleError):
		lots.validate_status_change(old, new, QM)


def test_only_released_lots_ship():
	with pytest.raises(RuleError) as error:
		lots.validate_status_change("In Storage", "Shipped", QM)
	assert "Released" in error.value.template


@pytest.mark.parametrize("new", ["Released", "Rejected"])
def test_operator_cannot_release_or_reject(new):
	with pytest.raises(RuleError) as error:
		lots.validate_status_change("In Storage", new, OPERATOR)
	assert error.value.kind == "role"


def test_operator_moves_lot_forward_and_ships_a_released_lot():
	lots.validate_status_change("Draft", "Received", OPERATOR)
	lots.validate_status_change("Released", "Shipped", OPERATOR)


def test_new_lot_created_released_needs_a_quality_manager():
	with pytest.raises(RuleError):
		lots.validate_status_change(None, "Released", OPERATOR)


def test_unknown_status():
	with pytest.raises(RuleError):
		lots.validate_status_change("Draft", "Lost", QM)


@pytest.mark.parametrize("declared", [0, -1, None])
def test_declared_quantity_must_be_positive(declared):
	with pytest.raises(RuleError) as error:
		lots.validate_quantities(declared, 0)
	assert error.value.field == "declared_qty_kg"


@pytest.mark.parametrize(
	"available, ok", [(0, True), (3000, True), (1500.5, True), (-1, False), (3000.01, False)]
)
def test_available_between_zero_and_declared(available, ok):
	if ok:
		lots.validate_quantities(3000, available)
	else:
		with pytest.raises(RuleError) as error:
			lots.validate_quantities(3000, available)
		assert error.value.field == "available_qty_kg"


def test_new_lot_starts_with_everything_available():
	assert lots.initial_available_qty(3000, None, is_new=True) == 3000
	assert lots.initial_available_qty(3000, 0, is_new=True) == 3000
	assert lots.initial_available_qty(3000, 1000, is_new=True) == 1000
	assert lots.initial_available_qty(3000, 0, is_new=False) == 0


def test_dates():
	today = dt.date(2026, 6, 1)
	lots.validate_dates(dt.date(2026, 5, 1), dt.date(2026, 5, 3), today)
	lots.validate_dates(None, None, today)
	with pytest.raises(RuleError) as error:
		lots.validate_dates(dt.date(2026, 5, 3), dt.date(2026, 5, 1), today)
	assert error.value.field == "receipt_date"
	with pytest.raises(RuleError) as error:
		lots.validate_dates(dt.date(2026, 6, 2), None, today)
	assert error.value.field == "harvest_date"


@pytest.mark.parametrize(
	"season, ok", [("2026-Spring", True), ("2025-Autumn", True), ("Spring", False), ("26-Spring", False)]
)
def test_season(season, ok):
	if ok:
		lots.validate_season(season)
	else:
		with pytest.raises(RuleError):
			lots.validate_season(season)


# --- weighed quantity ------------------------------------------------------------------------------


def settle(declared=3000.0, available=3000.0, deduction=0.0, weighed_kg=0.0, added=0.0):
	return weighed.settle(
		declared_qty_kg=declared,
		available_qty_kg=available,
		weighing_deduction_kg=deduction,
		weighed_qty_kg=weighed_kg,
		added_by_transfers_kg=added,
	)


def test_a_lot_not_weighed_keeps_what_it_has_on_paper():
	result = settle(available=1500)
	assert (result.weighed_qty_kg, result.weight_difference_kg, result.weighing_deduction_kg) == (0, 0, 0)
	assert result.available_qty_kg == 1500


def test_a_short_weighing_comes_off_the_available_quantity():
	result = settle(weighed_kg=2950)
	assert (result.weighed_qty_kg, result.weight_difference_kg) == (2950, -50)
	assert (result.weighing_deduction_kg, result.available_qty_kg, result.unabsorbed_kg) == (50, 2950, 0)


def test_weighed_after_a_partial_split_deducts_from_what_is_left():
	# 1500 of 3000 already split off; the scale then finds 2950: 1450 are left in the bin
	result = settle(available=1500, weighed_kg=2950)
	assert (result.available_qty_kg, result.weighing_deduction_kg, result.weight_difference_kg) == (
		1450,
		50,
		-50,
	)


def test_a_shortfall_larger_than_what_is_left_never_goes_negative():
	# transfers took all 3000 on paper; the scale finds 2900: 100 kg left that were never there
	result = settle(available=0, weighed_kg=2900)
	assert (result.available_qty_kg, result.weighing_deduction_kg) == (0, 0)
	assert (result.weight_difference_kg, result.unabsorbed_kg) == (-100, 100)
	# 40 kg left on paper: 40 come off, 60 stay unabsorbed
	result = settle(available=40, weighed_kg=2900)
	assert (result.available_qty_kg, result.weighing_deduction_kg, result.unabsorbed_kg) == (0, 40, 60)


def test_a_surplus_is_recorded_but_never_made_available_beyond_the_declared_quantity():
	result = settle(weighed_kg=3050)
	assert (result.weight_difference_kg, result.weighing_deduction_kg, result.available_qty_kg) == (
		50,
		0,
		3000,
	)
	lots.validate_quantities(3000, result.available_qty_kg)


def test_settling_again_is_idempotent_and_cancelling_restores():
	first = settle(available=1500, weighed_kg=2950)
	again = settle(available=first.available_qty_kg, deduction=first.weighing_deduction_kg, weighed_kg=2950)
	assert again == first
	cancelled = settle(available=first.available_qty_kg, deduction=first.weighing_deduction_kg, weighed_kg=0)
	assert (cancelled.available_qty_kg, cancelled.weighing_deduction_kg, cancelled.weight_difference_kg) == (
		1500,
		0,
		0,
	)


def test_a_second_ticket_recomputes_from_the_total():
	first = settle(weighed_kg=1400)  # the first truck of two
	assert (first.weighing_deduction_kg, first.available_qty_kg) == (1600, 1400)
	both = settle(available=first.available_qty_kg, deduction=first.weighing_deduction_kg, weighed_kg=2980)
	assert (both.weight_difference_kg, both.weighing_deduction_kg, both.available_qty_kg) == (-20, 20, 2980)


def test_grain_added_by_transfers_is_not_compared_with_the_receipt_tickets():
	# received 3000 (weighed 2950), then a merge added 1000: declared 4000, on paper 3950 + 50
	result = settle(declared=4000, available=3950, deduction=50, weighed_kg=2950, added=1000)
	assert (result.weight_difference_kg, result.weighing_deduction_kg, result.available_qty_kg) == (
		-50,
		50,
		3950,
	)
	assert weighed.declared_at_receipt(4000, 1000) == 3000


# --- a Quality Manager correcting the declared quantity of a weighed lot -------------------------------


def resettle(**kw):
	args = dict(
		declared_before_kg=3000.0,
		declared_kg=2950.0,
		available_before_kg=2950.0,
		available_kg=2950.0,
		weighing_deduction_kg=50.0,
		weighed_qty_kg=2950.0,
		added_by_transfers_kg=0.0,
	)
	args.update(kw)
	return weighed.resettle_after_declared_edit(**args)


def test_settling_a_shortfall_by_lowering_the_declared_quantity_leaves_no_difference():
	result = resettle()
	assert result.values() == {
		"weighed_qty_kg": 2950.0,
		"weight_difference_kg": 0.0,
		"weighing_deduction_kg": 0.0,
		"available_qty_kg": 2950.0,
	}


def test_an_available_quantity_typed_in_the_same_save_is_not_moved_by_the_change():
	# the typed 2,000 kg is kept as it is; the 50 kg deduction the correction makes unneeded comes back
	assert resettle(available_kg=2000.0).available_qty_kg == 2050.0


def test_nothing_to_resettle_without_a_weighing_or_a_change():
	assert resettle(weighed_qty_kg=0.0) is None
	assert resettle(declared_kg=3000.0) is None
