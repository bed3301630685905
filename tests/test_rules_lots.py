import datetime as dt

import pytest

from yam_agri_core.rules import lots
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
