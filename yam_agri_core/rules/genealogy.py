"""The arithmetic of the genealogy lot transfers leave behind: edge quantities and mass balances.

Each submitted transfer links every source to every destination. The quantity on an edge is the part
of the destination that came from that source, ``destination × source / sources' total``
(``edge_qty``): the edges into one destination add up to the destination's quantity, and the edges
out of one source add up to the source's quantity less its share of the loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from yam_agri_core.rules.transfers import QTY_EPSILON_KG, round_kg

#: Trace queries stop at this many generations (a guard against cycles and runaway genealogies).
MAX_TRACE_DEPTH = 50


def edge_qty(source_qty_kg: float, destination_qty_kg: float, source_total_kg: float) -> float:
	"""The part of a destination that came from one source (see the module docstring)."""
	if not source_total_kg:
		return 0.0
	return round_kg(destination_qty_kg * source_qty_kg / source_total_kg)


# --- mass balance of a genealogy -------------------------------------------------------------------


@dataclass(frozen=True)
class TransferFlow:
	name: str
	source_kg: float
	destination_kg: float
	loss_kg: float

	@property
	def difference_kg(self) -> float:
		return round_kg(self.source_kg - self.destination_kg - self.loss_kg)

	@property
	def balanced(self) -> bool:
		return abs(self.difference_kg) < QTY_EPSILON_KG


@dataclass(frozen=True)
class TreeBalance:
	"""Grain that entered a genealogy against where it is now."""

	entered_kg: float
	shipped_kg: float
	on_hand_kg: float
	loss_kg: float
	#: Taken off the lots' available quantities because the scale found less than declared.
	weighing_deduction_kg: float = 0.0

	@property
	def accounted_kg(self) -> float:
		return round_kg(self.shipped_kg + self.on_hand_kg + self.loss_kg + self.weighing_deduction_kg)

	@property
	def unaccounted_kg(self) -> float:
		return round_kg(self.entered_kg - self.accounted_kg)

	@property
	def balanced(self) -> bool:
		return abs(self.unaccounted_kg) < QTY_EPSILON_KG


@dataclass(frozen=True)
class TreeLot:
	"""A lot of a genealogy: declared and available now, whether it has shipped, and what weighing took
	off its available quantity (``rules.weighed``)."""

	name: str
	declared_qty_kg: float
	available_qty_kg: float
	shipped: bool
	weighing_deduction_kg: float = 0.0


@dataclass(frozen=True)
class TreeMove:
	"""One row of a transfer inside a genealogy: ``qty_kg`` out of (source) or into a lot."""

	transfer: str
	lot: str
	qty_kg: float
	is_source: bool


def tree_balance(lots: Sequence[TreeLot], moves: Sequence[TreeMove], losses: dict[str, float]) -> TreeBalance:
	"""Mass balance of the downstream tree of a lot.

	``lots`` are the tree's lots, ``moves`` every row of the transfers that took grain out of a lot of
	the tree (sources may lie outside the tree: grain of other lots merged in), ``losses`` those
	transfers' process losses. Grain *entering* the tree is each lot's declared quantity less what
	transfers of the tree put into it, plus what those transfers took from lots outside the tree. It
	must equal what shipped (the available quantity of Shipped lots), what is on hand (the others),
	the losses and what the scale found missing (the lots' weighing deductions); the difference is
	grain nobody accounted for (a quantity edited by hand).
	"""
	in_tree = {lot.name for lot in lots}
	received: dict[str, float] = {}
	from_outside = 0.0
	for move in moves:
		if move.is_source:
			if move.lot not in in_tree:
				from_outside += move.qty_kg
		else:
			received[move.lot] = received.get(move.lot, 0.0) + move.qty_kg
	entered = from_outside + sum(lot.declared_qty_kg - received.get(lot.name, 0.0) for lot in lots)
	shipped = sum(lot.available_qty_kg for lot in lots if lot.shipped)
	on_hand = sum(lot.available_qty_kg for lot in lots if not lot.shipped)
	return TreeBalance(
		entered_kg=round_kg(entered),
		shipped_kg=round_kg(shipped),
		on_hand_kg=round_kg(on_hand),
		loss_kg=round_kg(sum(losses.values())),
		weighing_deduction_kg=round_kg(sum(lot.weighing_deduction_kg for lot in lots)),
	)


def transfer_flows(moves: Sequence[TreeMove], losses: dict[str, float]) -> list[TransferFlow]:
	"""Per transfer: sources against destinations plus loss."""
	sources: dict[str, float] = {}
	destinations: dict[str, float] = {}
	for move in moves:
		target = sources if move.is_source else destinations
		target[move.transfer] = target.get(move.transfer, 0.0) + move.qty_kg
	names = sorted(set(sources) | set(destinations) | set(losses))
	return [
		TransferFlow(
			name=name,
			source_kg=round_kg(sources.get(name, 0.0)),
			destination_kg=round_kg(destinations.get(name, 0.0)),
			loss_kg=round_kg(losses.get(name, 0.0)),
		)
		for name in names
	]
