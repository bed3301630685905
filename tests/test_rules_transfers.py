import datetime as dt

import pytest

from yam_agri_core.rules import genealogy, transfer_checks, transfer_reversal, transfers
from yam_agri_core.rules.genealogy import TreeLot, TreeMove
from yam_agri_core.rules.messages import RuleError, RuleErrors
from yam_agri_core.rules.transfer_reversal import LaterUse
from yam_agri_core.rules.transfers import DestinationLine, LotState, SourceLine


def lot(name, qty=5000.0, available=None, site="A", crop="Wheat", status="In Storage", **kw):
	return LotState(
		name=name,
		site=site,
		crop=crop,
		status=status,
		declared_qty_kg=qty,
		available_qty_kg=qty if available is None else available,
		**kw,
	)


def src(row, state, qty):
	return SourceLine(row=row, lot=state.name if state else None, qty_kg=qty, state=state)


def dst(row, qty, state=None, site="A", **kw):
	return DestinationLine(
		row=row, lot=state.name if state else None, qty_kg=qty, site=site, state=state, **kw
	)


# --- shape -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"kind, sources, destinations",
	[
		("Split", 1, 1),
		("Split", 1, 2),
		("Split", 1, 5),
		("Merge", 2, 1),
		("Merge", 4, 1),
		("Blend", 2, 1),
		("Blend", 3, 2),
	],
)
def test_allowed_shapes(kind, sources, destinations):
	transfer_checks.validate_shape(kind, sources, destinations)


@pytest.mark.parametrize(
	"kind, sources, destinations",
	[
		("Split", 2, 2),
		("Split", 2, 1),
		("Split", 1, 0),
		("Split", 0, 2),
		("Merge", 1, 1),
		("Merge", 2, 2),
		("Merge", 2, 0),
		("Blend", 1, 2),
		("Blend", 2, 0),
		("Move", 1, 1),
		(None, 1, 2),
	],
)
def test_refused_shapes(kind, sources, destinations):
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_shape(kind, sources, destinations)
	assert error.value.kind == "validation"


def test_shape_message_is_a_template_with_placeholders():
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_shape("Split", 2, 1)
	assert "{0}" in error.value.template and error.value.params == (2, 1)


def test_split_message_says_one_or_more_destinations():
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_shape("Split", 1, 0)
	assert "one or more destination lots" in error.value.template


def test_partial_split_of_a_lot_balances_and_leaves_the_rest():
	# 1,500 kg of a 3,000 kg lot into one new shipment lot, 10 kg lost in handling
	a = lot("A1", 3000)
	transfer_checks.validate_shape("Split", 1, 1)
	transfer_checks.validate_lines([src(1, a, 1500)], [dst(1, 1490)])
	transfer_checks.validate_availability([src(1, a, 1500)])
	transfer_checks.validate_loss(10, "Dust")
	transfer_checks.validate_mass_balance(1500, 1490, 10, 1.0)
	with pytest.raises(RuleError):
		transfer_checks.validate_mass_balance(1500, 1490, 0, 1.0)


def test_a_split_cannot_take_more_than_the_lot_has_available():
	a = lot("A1", 3000, available=1500)
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_availability([src(1, a, 1500.001)])
	assert error.value.kind == "overdraw" and error.value.params == (1, "A1", "1,500", "1,500.001")
	transfer_checks.validate_availability([src(1, a, 1500)])


# --- rows ------------------------------------------------------------------------------------------


def test_every_quantity_must_be_positive_and_all_rows_are_reported():
	a = lot("A1")
	with pytest.raises(RuleErrors) as error:
		transfer_checks.validate_lines([src(1, a, 0)], [dst(1, -5), dst(2, None)])
	assert [e.params[0] for e in error.value.errors] == [1, 1, 2]
	assert all(
		e.kind == "quantity" and e.template.startswith(("Source row", "Destination row"))
		for e in error.value.errors
	)


def test_a_lot_cannot_be_source_and_destination():
	a = lot("A1")
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_lines([src(1, a, 100)], [dst(1, 50, a), dst(2, 50)])
	assert error.value.params == (1, "A1")
	assert "also a source" in error.value.template


def test_lots_listed_twice():
	a, b = lot("A1"), lot("B1")
	with pytest.raises(RuleError):
		transfer_checks.validate_lines([src(1, a, 10), src(2, a, 10)], [dst(1, 20)])
	with pytest.raises(RuleError):
		transfer_checks.validate_lines([src(1, a, 10)], [dst(1, 5, b), dst(2, 5, b)])
	with pytest.raises(RuleError):
		transfer_checks.validate_lines([SourceLine(row=1, lot=None, qty_kg=10)], [dst(1, 10)])


# --- sources and destinations ----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["Received", "In Storage", "Released"])
def test_sources_that_hold_grain(status):
	transfer_checks.validate_sources("A", [src(1, lot("A1", status=status), 10)])


@pytest.mark.parametrize("status", ["Draft", "Shipped", "Rejected"])
def test_sources_that_do_not_hold_grain(status):
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_sources("A", [src(1, lot("A1", status=status), 10)])
	assert error.value.kind == "lot_state" and error.value.params[:3] == (1, "A1", status)


def test_sources_belong_to_the_transfers_site():
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_sources("A", [src(1, lot("B1", site="B"), 10)])
	assert error.value.kind == "site"


def test_unknown_source_lot():
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_sources("A", [SourceLine(row=1, lot="NOPE", qty_kg=1, state=None)])
	assert error.value.params == (1, "A") and "NOPE" not in str(error.value)


def test_unknown_destination_lot_is_refused_naming_nothing_of_it():
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_destinations(
			[DestinationLine(row=1, lot="HIDDEN-LOT", qty_kg=10, site=None, state=None)]
		)
	assert error.value.params == (1,) and "HIDDEN" not in str(error.value)


def test_no_source_gives_more_than_it_has():
	transfer_checks.validate_availability([src(1, lot("A1", 5000), 5000)])
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_availability([src(1, lot("A1", 5000, available=2000), 2000.5)])
	assert error.value.kind == "overdraw" and error.value.params[:2] == (1, "A1")


@pytest.mark.parametrize("status", ["Draft", "Released", "Shipped", "Rejected"])
def test_existing_destinations_must_be_able_to_receive(status):
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_destinations([dst(1, 10, lot("D1", status=status))])
	assert error.value.kind == "lot_state"


def test_destination_bin_of_another_site():
	transfer_checks.validate_destinations([dst(1, 10, site="B", storage_bin="B-B1", storage_bin_site="B")])
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_destinations(
			[dst(1, 10, site="B", storage_bin="A-B1", storage_bin_site="A")]
		)
	assert error.value.kind == "site"


def test_a_bin_not_found_is_refused_naming_nothing_of_it():
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_destinations([dst(1, 10, site="A", storage_bin="HIDDEN-BIN")])
	assert error.value.params == (1, "A") and "HIDDEN" not in str(error.value)


def test_new_lot_needs_a_site():
	with pytest.raises(RuleError):
		transfer_checks.validate_destinations([dst(1, 10, site=None)])


# --- crops and varieties ---------------------------------------------------------------------------


def test_one_crop_per_transfer():
	with pytest.raises(RuleError):
		transfer_checks.validate_crops(
			"Blend", [src(1, lot("A1"), 10), src(2, lot("A2", crop="Sorghum"), 10)], [dst(1, 20)]
		)


def test_merge_keeps_one_variety_blend_may_mix():
	sources = [src(1, lot("A1", variety="Sonalika"), 10), src(2, lot("A2", variety="Bohoth 13"), 10)]
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_crops("Merge", sources, [dst(1, 20)])
	assert "Blend" in error.value.template
	transfer_checks.validate_crops("Blend", sources, [dst(1, 20)])


def test_merge_ignores_unrecorded_varieties_and_case():
	sources = [
		src(1, lot("A1", variety="Sonalika"), 10),
		src(2, lot("A2"), 10),
		src(3, lot("A3", variety="sonalika "), 1),
	]
	transfer_checks.validate_crops("Merge", sources, [dst(1, 21)])


def test_existing_destination_must_match_the_crop():
	with pytest.raises(RuleError):
		transfer_checks.validate_crops(
			"Split", [src(1, lot("A1"), 10)], [dst(1, 5, lot("D1", crop="Barley")), dst(2, 5)]
		)


# --- mass balance ----------------------------------------------------------------------------------


def test_balanced_transfers():
	transfer_checks.validate_mass_balance(5000, 5000, 0, 1.0)
	transfer_checks.validate_mass_balance(5000, 4950, 50, 1.0)
	transfer_checks.validate_mass_balance(1000.0005, 1000, 0, 1.0)  # below a gram


def test_split_5000_into_6000_is_refused():
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_mass_balance(5000, 6000, 0, 1.0)
	assert error.value.kind == "mass_balance" and error.value.params[:2] == ("5,000", "6,000")


def test_grain_cannot_disappear_without_a_recorded_loss():
	with pytest.raises(RuleError):
		transfer_checks.validate_mass_balance(5000, 4990, 0, 1.0)
	with pytest.raises(RuleError):
		transfer_checks.validate_mass_balance(5000, 4990, 9.99, 1.0)


def test_loss_beyond_tolerance():
	transfer_checks.validate_mass_balance(5000, 4950, 50, 1.0)
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_mass_balance(5000, 4949, 51, 1.0)
	assert error.value.field == "process_loss_kg"
	transfer_checks.validate_mass_balance(5000, 4900, 100, 2.0)


def test_loss_needs_a_reason_and_is_never_negative():
	transfer_checks.validate_loss(0, None)
	transfer_checks.validate_loss(10, "dust removed by the cleaner")
	with pytest.raises(RuleError) as error:
		transfer_checks.validate_loss(10, "  ")
	assert error.value.field == "loss_reason"
	with pytest.raises(RuleError):
		transfer_checks.validate_loss(-1, "x")


def test_transfer_date_not_in_the_future():
	today = dt.date(2026, 5, 1)
	transfer_checks.validate_transfer_date(today, today)
	with pytest.raises(RuleError):
		transfer_checks.validate_transfer_date(dt.date(2026, 5, 2), today)


def test_totals_round_to_the_gram():
	assert transfers.total_kg([0.1, 0.2, None]) == 0.3


# --- new lots, sites, edges ------------------------------------------------------------------------


def test_new_lot_inherits_what_sources_share():
	a = lot("A1", variety="Sonalika", season="2026-Spring", supplier="Farmer Ali")
	b = lot("A2", variety="Sonalika", season="2026-Spring", supplier="Farmer Saleh")
	assert transfers.new_lot_values([src(1, a, 1), src(2, b, 1)]) == {
		"crop": "Wheat",
		"variety": "Sonalika",
		"season": "2026-Spring",
		"supplier": None,
	}
	c = lot("A3", variety="Bohoth 13", season="2026-Spring", supplier="Farmer Ali")
	assert transfers.new_lot_values([src(1, a, 1), src(2, c, 1)])["variety"] is None
	assert transfers.new_lot_values([src(1, a, 1), src(2, c, 1)])["supplier"] == "Farmer Ali"


def test_new_lot_status():
	assert transfers.new_lot_status("A-B1") == "In Storage"
	assert transfers.new_lot_status(None) == "Received"


def test_sites_involved_in_a_farm_to_silo_transfer():
	assert transfers.sites_involved("FARM", [dst(1, 10, site="SILO"), dst(2, 10, site="FARM")]) == [
		"FARM",
		"SILO",
	]


def test_edge_quantities_add_up():
	# blend of 3000 + 1000 into 2500 + 1480 with 20 kg loss
	edges = {
		(s, d): genealogy.edge_qty(sq, dq, 4000)
		for s, sq in (("a", 3000), ("b", 1000))
		for d, dq in (("x", 2500), ("y", 1480))
	}
	assert edges[("a", "x")] + edges[("b", "x")] == 2500
	assert edges[("a", "y")] + edges[("b", "y")] == 1480
	assert edges[("a", "x")] + edges[("a", "y")] == 3000 - 15
	assert genealogy.edge_qty(1, 1, 0) == 0


# --- cancelling ------------------------------------------------------------------------------------


def test_reversal_of_an_untouched_transfer():
	a = lot("A1", 5000, available=2000)
	created = lot("N1", 3000, status="In Storage")
	transfer_reversal.validate_reversal([src(1, a, 3000)], [dst(1, 3000, created, created=True)])


def test_reversal_refused_when_a_created_lot_was_used_later():
	a = lot("A1", 5000, available=2000)
	created = lot("N1", 3000, available=1000)
	with pytest.raises(RuleError) as error:
		transfer_reversal.validate_reversal(
			[src(1, a, 3000)], [dst(1, 3000, created, created=True)], [LaterUse("N1", "LTR-2")]
		)
	assert error.value.kind == "linked" and error.value.params == ("N1", "LTR-2")


def test_reversal_refused_when_a_destination_shipped_or_was_consumed():
	a = lot("A1", 5000, available=2000)
	with pytest.raises(RuleError) as error:
		transfer_reversal.validate_reversal(
			[src(1, a, 3000)], [dst(1, 3000, lot("N1", 3000, status="Shipped"), created=True)]
		)
	assert "Shipped" in error.value.template
	with pytest.raises(RuleError):
		transfer_reversal.validate_reversal(
			[src(1, a, 3000)], [dst(1, 3000, lot("N1", 3000, available=2999), created=True)]
		)
	with pytest.raises(RuleError):
		transfer_reversal.validate_reversal(
			[src(1, a, 3000)], [dst(1, 3000, lot("E1", 8000, available=2000))]
		)
	transfer_reversal.validate_reversal([src(1, a, 3000)], [dst(1, 3000, lot("E1", 8000, available=3000))])


def test_reversal_refused_into_a_shipped_source():
	a = lot("A1", 5000, available=2000, status="Shipped")
	with pytest.raises(RuleError):
		transfer_reversal.validate_reversal([src(1, a, 3000)], [dst(1, 3000, lot("N1", 3000), created=True)])


# --- mass balance of a tree ------------------------------------------------------------------------


def test_tree_balance_of_a_split_then_shipment():
	# A (5000) split into B 2990 + C 2000 (10 lost); B shipped; C on hand with 2000
	lots = [
		TreeLot("A", 5000, 0, False),
		TreeLot("B", 2990, 2990, True),
		TreeLot("C", 2000, 2000, False),
	]
	moves = [
		TreeMove("T1", "A", 5000, True),
		TreeMove("T1", "B", 2990, False),
		TreeMove("T1", "C", 2000, False),
	]
	balance = genealogy.tree_balance(lots, moves, {"T1": 10})
	assert (balance.entered_kg, balance.shipped_kg, balance.on_hand_kg, balance.loss_kg) == (
		5000,
		2990,
		2000,
		10,
	)
	assert balance.balanced and balance.unaccounted_kg == 0
	assert [f.balanced for f in genealogy.transfer_flows(moves, {"T1": 10})] == [True]


def test_tree_balance_counts_grain_merged_in_from_outside():
	# A (1000) merged with X (outside, 500) into existing E (had 200): E = 1700
	lots = [TreeLot("A", 1000, 0, False), TreeLot("E", 1700, 1700, False)]
	moves = [TreeMove("T", "A", 1000, True), TreeMove("T", "X", 500, True), TreeMove("T", "E", 1500, False)]
	balance = genealogy.tree_balance(lots, moves, {"T": 0})
	assert balance.entered_kg == 1000 + 500 + 200
	assert balance.balanced


def test_tree_balance_shows_grain_nobody_accounted_for():
	lots = [TreeLot("A", 1000, 0, False), TreeLot("B", 1000, 900, False)]
	moves = [TreeMove("T", "A", 1000, True), TreeMove("T", "B", 1000, False)]
	balance = genealogy.tree_balance(lots, moves, {})
	assert balance.unaccounted_kg == 100 and not balance.balanced


def test_unbalanced_transfer_flow():
	flows = genealogy.transfer_flows([TreeMove("T", "A", 100, True), TreeMove("T", "B", 90, False)], {"T": 5})
	assert flows[0].difference_kg == 5 and not flows[0].balanced


def test_tree_balance_counts_what_the_scale_found_missing():
	# A declared 3000, weighed 2950: 50 kg deducted; 1500 split into B, A keeps 1450 on hand
	lots = [TreeLot("A", 3000, 1450, False, weighing_deduction_kg=50), TreeLot("B", 1500, 1500, False)]
	moves = [TreeMove("T", "A", 1500, True), TreeMove("T", "B", 1500, False)]
	balance = genealogy.tree_balance(lots, moves, {})
	assert (balance.entered_kg, balance.on_hand_kg, balance.weighing_deduction_kg) == (3000, 2950, 50)
	assert balance.balanced and balance.unaccounted_kg == 0
