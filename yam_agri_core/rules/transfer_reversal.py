"""Cancelling a lot transfer: the sources get their grain back and the destinations give it up.

Refused when that grain has moved on: a lot the transfer created has been used by a later transfer,
shipped, or lost part of its quantity; an existing destination no longer has the quantity added; a
source has been shipped since (or would hold more than it declares).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from yam_agri_core.rules.lots import SHIPPED
from yam_agri_core.rules.messages import Kind, RuleCollector, _
from yam_agri_core.rules.transfers import DestinationLine, SourceLine, format_kg, round_kg


@dataclass(frozen=True)
class LaterUse:
	"""A later submitted transfer that used a lot of this one."""

	lot: str
	transfer: str


def validate_reversal(
	sources: Sequence[SourceLine],
	destinations: Sequence[DestinationLine],
	later_uses: Sequence[LaterUse] = (),
) -> None:
	"""Cancelling gives the sources their grain back and takes it out of the destinations.

	Refused when that grain has moved on: a lot this transfer created has been used by a later
	transfer, shipped, or lost part of its quantity; an existing destination no longer has the
	quantity added; a source has been shipped since.
	"""
	found = RuleCollector()
	used: dict[str, str] = {}
	for use in later_uses:
		used.setdefault(use.lot, use.transfer)
	for line in destinations:
		if line.state is not None:
			_check_destination(found, line, used)
	for line in sources:
		if line.state is not None:
			_check_source(found, line)
	found.raise_if_any()


def _check_destination(found: RuleCollector, line: DestinationLine, used: dict[str, str]) -> None:
	"""The grain this transfer put into ``line``'s lot is still there to be taken back."""
	state = line.state
	if line.created and line.lot in used:
		found.add(
			Kind.LINKED,
			_("Lot {0} created by this transfer has since been used by Lot Transfer {1}; cancel that first"),
			line.lot,
			used[line.lot],
			field="destination_lots",
		)
	elif state.status == SHIPPED:
		found.add(
			Kind.LINKED,
			_("Lot {0} has been Shipped since this transfer; its grain cannot be taken back"),
			line.lot,
			field="destination_lots",
		)
	elif line.created and (
		round_kg(state.available_qty_kg) != round_kg(line.qty_kg)
		or round_kg(state.declared_qty_kg) != round_kg(line.qty_kg)
	):
		found.add(
			Kind.LINKED,
			_(
				"Lot {0} created by this transfer now has {1} kg available of {2} kg declared, not the {3} kg it received; its grain has moved on"
			),
			line.lot,
			format_kg(state.available_qty_kg),
			format_kg(state.declared_qty_kg),
			format_kg(line.qty_kg),
			field="destination_lots",
		)
	elif not line.created and round_kg(state.available_qty_kg) < round_kg(line.qty_kg):
		found.add(
			Kind.LINKED,
			_("Lot {0} has only {1} kg available; the {2} kg this transfer added have moved on"),
			line.lot,
			format_kg(state.available_qty_kg),
			format_kg(line.qty_kg),
			field="destination_lots",
		)


def _check_source(found: RuleCollector, line: SourceLine) -> None:
	"""``line``'s lot can take its grain back."""
	state = line.state
	if state.status == SHIPPED:
		found.add(
			Kind.LINKED,
			_("Source lot {0} has been Shipped since this transfer; the grain cannot be put back into it"),
			line.lot,
			field="source_lots",
		)
	elif round_kg(state.available_qty_kg + (line.qty_kg or 0)) > round_kg(state.declared_qty_kg):
		found.add(
			Kind.QUANTITY,
			_("Source lot {0} would hold more than its declared {1} kg if {2} kg were put back"),
			line.lot,
			format_kg(state.declared_qty_kg),
			format_kg(line.qty_kg),
			field="source_lots",
		)
