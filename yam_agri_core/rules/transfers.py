"""Lot transfers: splitting, merging and blending lots.

A transfer takes grain out of one or more *source* lots and puts it into one or more *destination*
lots (existing ones, or new ones created when the transfer is submitted), less a process loss. A
source gives the quantity on its row, not necessarily all it holds: what is not taken stays in it.

This module holds what a transfer is made of (its types, the lines of its two tables, the lots'
states, quantities to the gram) and what submitting one creates. The checks of a transfer are in
``yam_agri_core.rules.transfer_checks``, those of cancelling one in
``yam_agri_core.rules.transfer_reversal`` and the arithmetic of the genealogy transfers leave behind
in ``yam_agri_core.rules.genealogy``.

Grain is taken only from lots that hold it: Received, In Storage or Released (``SOURCE_STATES``). A
Draft lot has not been received yet, a Shipped lot has left and a Rejected lot is held for disposal
or rework by a Quality Manager, never mixed into other grain. Grain is added only to existing lots
that are Received or In Storage (``DESTINATION_STATES``): adding to a Released lot would change
grain a Quality Manager has already released.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from yam_agri_core.rules.lots import IN_STORAGE, RECEIVED, RELEASED

SPLIT, MERGE, BLEND = "Split", "Merge", "Blend"
TRANSFER_TYPES = (SPLIT, MERGE, BLEND)

#: A lot gives grain only in these states.
SOURCE_STATES = (RECEIVED, IN_STORAGE, RELEASED)
#: An existing lot receives grain only in these states.
DESTINATION_STATES = (RECEIVED, IN_STORAGE)

#: Quantities are compared to the gram.
QTY_DECIMALS = 3
QTY_EPSILON_KG = 0.001


@dataclass(frozen=True)
class LotState:
	"""What the rules need to know of a lot (read under a row lock when it matters)."""

	name: str
	site: str | None
	crop: str | None
	status: str
	declared_qty_kg: float
	available_qty_kg: float
	variety: str | None = None
	season: str | None = None
	supplier: str | None = None
	#: Net of the lot's submitted Inbound scale tickets (0: not weighed), see ``rules.weighed``.
	weighed_qty_kg: float = 0.0


@dataclass(frozen=True)
class SourceLine:
	"""Row ``row`` of the source table: ``qty_kg`` taken out of lot ``lot`` (``state``: the lot)."""

	row: int
	lot: str | None
	qty_kg: float | None
	state: LotState | None = None


@dataclass(frozen=True)
class DestinationLine:
	"""Row ``row`` of the destination table.

	``lot`` is an existing lot (``state`` is then that lot) or ``None`` for a new lot; ``site`` is the
	site the grain goes to; ``storage_bin_site`` is the site of the chosen bin, if any.
	"""

	row: int
	lot: str | None
	qty_kg: float | None
	site: str | None = None
	state: LotState | None = None
	storage_bin: str | None = None
	storage_bin_site: str | None = None
	created: bool = False


# --- quantities ------------------------------------------------------------------------------------


def round_kg(value: float | None) -> float:
	return round(float(value or 0), QTY_DECIMALS)


def format_kg(value: float | None) -> str:
	return f"{round_kg(value):,.3f}".rstrip("0").rstrip(".")


def total_kg(quantities: Iterable[float | None]) -> float:
	return round_kg(sum(q or 0 for q in quantities))


# --- what submitting creates -----------------------------------------------------------------------


def _common(values: Iterable[str | None]) -> str | None:
	distinct = {v for v in values}
	if len(distinct) == 1:
		return next(iter(distinct)) or None
	return None


def new_lot_values(sources: Sequence[SourceLine]) -> dict[str, str | None]:
	"""What a new destination lot inherits: the crop, and the variety, season and supplier when every
	source shares them (a blend of two varieties has no variety; grain of two farmers no supplier)."""
	states = [line.state for line in sources if line.state]
	return {
		"crop": _common(s.crop for s in states),
		"variety": _common((s.variety or "").strip() or None for s in states),
		"season": _common(s.season for s in states),
		"supplier": _common(s.supplier for s in states),
	}


def new_lot_status(storage_bin: str | None) -> str:
	"""A new lot put in a bin is In Storage; otherwise it is Received (on the floor, in a truck)."""
	return IN_STORAGE if storage_bin else RECEIVED


def sites_involved(site: str | None, destinations: Sequence[DestinationLine]) -> list[str]:
	"""Every site grain leaves or reaches: the user needs all of them."""
	return sorted({s for s in [site, *(line.site for line in destinations)] if s})
