"""Rule errors: kinds are an Enum (a typo is refused), collectors report everything at once."""

from __future__ import annotations

import pytest

from yam_agri_core.rules.messages import Kind, RuleCollector, RuleError, RuleErrors, _


def test_an_unknown_kind_is_refused_at_once():
	with pytest.raises(ValueError):
		RuleError("wieght", _("Gross Weight (kg) is required"))


def test_a_kind_may_be_named_by_its_value():
	assert RuleError("weight", _("x")).kind is Kind.WEIGHT


def test_a_collector_raises_nothing_when_empty():
	found = RuleCollector()
	found.raise_if_any()
	assert not found and len(found) == 0


def test_a_collector_raises_a_single_error_as_itself():
	found = RuleCollector()
	found.add(Kind.DATES, _("Transfer Date {0} is in the future"), "2030-01-01", field="transfer_date")
	with pytest.raises(RuleError) as caught:
		found.raise_if_any()
	assert type(caught.value) is RuleError and caught.value.field == "transfer_date"


def test_a_collector_reports_every_error_in_order():
	found = RuleCollector()
	found.add(Kind.QUANTITY, _("Row {0}: Quantity must be greater than zero"), 1, field="qty_kg")
	found.add(Kind.SITE, _("Row {0}: Lot {1} is not at site {2}"), 2, "LOT-1", "S-1")
	with pytest.raises(RuleErrors) as caught:
		found.raise_if_any()
	errors = caught.value.errors
	assert [e.kind for e in errors] == [Kind.QUANTITY, Kind.SITE]
	assert str(errors[1]) == "Row 2: Lot LOT-1 is not at site S-1"
	assert caught.value.kind is Kind.QUANTITY and caught.value.field == "qty_kg"
