"""Lot transfers: splitting, merging and blending lots, and the genealogy they leave behind.

A transfer takes grain out of one or more *source* lots and puts it into one or more *destination*
lots (existing ones, or new ones created when the transfer is submitted), less a process loss.

Shapes (``validate_shape``):

- **Split**: exactly one source, at least two destinations.
- **Merge**: at least two sources, exactly one destination. Every source and an existing destination
  are the same crop *and* the same variety (where a variety is recorded): a merge keeps a lot's
  identity.
- **Blend**: at least two sources, at least one destination. Sources are the same crop but may mix
  varieties (a blend is how varieties are mixed on purpose); the new lots then carry no variety.

Grain is taken only from lots that hold it: Received, In Storage or Released (``SOURCE_STATES``). A
Draft lot has not been received yet, a Shipped lot has left and a Rejected lot is held for disposal
or rework by a Quality Manager, never mixed into other grain. Grain is added only to existing lots
that are Received or In Storage (``DESTINATION_STATES``): adding to a Released lot would change
grain a Quality Manager has already released.

Mass balance: the sources' total equals the destinations' total plus the process loss (to 0.001
kg), and the loss is at most the tolerance (YAM Agri Settings, percent of the sources' total).

Genealogy: each submitted transfer links every source to every destination. The quantity on an edge
is the part of the destination that came from that source, ``destination × source / sources' total``
(``edge_qty``): the edges into one destination add up to the destination's quantity, and the edges
out of one source add up to the source's quantity less its share of the loss.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from yam_agri_core.rules.lots import IN_STORAGE, RECEIVED, RELEASED, SHIPPED
from yam_agri_core.rules.messages import RuleError, RuleErrors, _

SPLIT, MERGE, BLEND = "Split", "Merge", "Blend"
TRANSFER_TYPES = (SPLIT, MERGE, BLEND)

#: A lot gives grain only in these states.
SOURCE_STATES = (RECEIVED, IN_STORAGE, RELEASED)
#: An existing lot receives grain only in these states.
DESTINATION_STATES = (RECEIVED, IN_STORAGE)

#: Quantities are compared to the gram.
QTY_DECIMALS = 3
QTY_EPSILON_KG = 0.001

#: Trace queries stop at this many generations (a guard against cycles and runaway genealogies).
MAX_TRACE_DEPTH = 50


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


def _raise_all(errors: Sequence[RuleError]) -> None:
	if len(errors) == 1:
		raise errors[0]
	if errors:
		raise RuleErrors(errors)


def round_kg(value: float | None) -> float:
	return round(float(value or 0), QTY_DECIMALS)


def format_kg(value: float | None) -> str:
	return f"{round_kg(value):,.3f}".rstrip("0").rstrip(".")


# --- shape and rows --------------------------------------------------------------------------------


def validate_shape(transfer_type: str | None, sources: int, destinations: int) -> None:
	"""Split: 1 source, ≥ 2 destinations. Merge: ≥ 2 sources, 1 destination. Blend: ≥ 2 sources, ≥ 1
	destination."""
	if transfer_type not in TRANSFER_TYPES:
		raise RuleError(
			"validation",
			_("Transfer Type {0} is not Split, Merge or Blend"),
			transfer_type or "",
			field="transfer_type",
		)
	if transfer_type == SPLIT and (sources != 1 or destinations < 2):
		raise RuleError(
			"validation",
			_(
				"A Split takes exactly one source lot into two or more destination lots; this one has {0} and {1}"
			),
			sources,
			destinations,
			field="source_lots",
		)
	if transfer_type == MERGE and (sources < 2 or destinations != 1):
		raise RuleError(
			"validation",
			_(
				"A Merge takes two or more source lots into exactly one destination lot; this one has {0} and {1}"
			),
			sources,
			destinations,
			field="source_lots",
		)
	if transfer_type == BLEND and (sources < 2 or destinations < 1):
		raise RuleError(
			"validation",
			_(
				"A Blend takes two or more source lots into one or more destination lots; this one has {0} and {1}"
			),
			sources,
			destinations,
			field="source_lots",
		)


def validate_lines(sources: Sequence[SourceLine], destinations: Sequence[DestinationLine]) -> None:
	"""Every row names its source lot and moves more than zero; no lot is listed twice or on both
	sides."""
	errors: list[RuleError] = []
	seen_sources: set[str] = set()
	for line in sources:
		if not line.lot:
			errors.append(
				RuleError("validation", _("Source row {0}: choose a lot"), line.row, field="source_lots")
			)
		elif line.lot in seen_sources:
			errors.append(
				RuleError(
					"validation",
					_("Source row {0}: lot {1} is listed twice"),
					line.row,
					line.lot,
					field="source_lots",
				)
			)
		if line.lot:
			seen_sources.add(line.lot)
		if not line.qty_kg or line.qty_kg <= 0:
			errors.append(
				RuleError(
					"quantity",
					_("Source row {0}: Quantity (kg) must be greater than zero"),
					line.row,
					field="source_lots",
				)
			)
	seen_destinations: set[str] = set()
	for line in destinations:
		if line.lot and line.lot in seen_sources:
			errors.append(
				RuleError(
					"validation",
					_("Destination row {0}: lot {1} is also a source of this transfer"),
					line.row,
					line.lot,
					field="destination_lots",
				)
			)
		elif line.lot and line.lot in seen_destinations:
			errors.append(
				RuleError(
					"validation",
					_("Destination row {0}: lot {1} is listed twice"),
					line.row,
					line.lot,
					field="destination_lots",
				)
			)
		if line.lot:
			seen_destinations.add(line.lot)
		if not line.qty_kg or line.qty_kg <= 0:
			errors.append(
				RuleError(
					"quantity",
					_("Destination row {0}: Quantity (kg) must be greater than zero"),
					line.row,
					field="destination_lots",
				)
			)
	_raise_all(errors)


# --- lots ------------------------------------------------------------------------------------------


def validate_sources(site: str | None, sources: Sequence[SourceLine]) -> None:
	"""Source lots exist, belong to the transfer's site and hold grain (``SOURCE_STATES``)."""
	errors: list[RuleError] = []
	for line in sources:
		state = line.state
		if not line.lot:
			continue
		if state is None:
			errors.append(
				RuleError(
					"validation",
					_("Source row {0}: lot {1} does not exist"),
					line.row,
					line.lot,
					field="source_lots",
				)
			)
			continue
		if state.site != site:
			errors.append(
				RuleError(
					"site",
					_(
						"Source row {0}: lot {1} belongs to site {2}; every source lot must be of the transfer's site {3}"
					),
					line.row,
					line.lot,
					state.site or "",
					site or "",
					field="source_lots",
				)
			)
		if state.status not in SOURCE_STATES:
			errors.append(
				RuleError(
					"lot_state",
					_(
						"Source row {0}: lot {1} is {2}; grain is taken only from Received, In Storage or Released lots"
					),
					line.row,
					line.lot,
					state.status,
					field="source_lots",
				)
			)
	_raise_all(errors)


def validate_availability(sources: Sequence[SourceLine]) -> None:
	"""No source gives more than it has available (checked again under a row lock on submit)."""
	errors: list[RuleError] = []
	for line in sources:
		if line.state is None or not line.qty_kg:
			continue
		if round_kg(line.qty_kg) > round_kg(line.state.available_qty_kg):
			errors.append(
				RuleError(
					"overdraw",
					_("Source row {0}: lot {1} has {2} kg available; {3} kg cannot be taken from it"),
					line.row,
					line.lot,
					format_kg(line.state.available_qty_kg),
					format_kg(line.qty_kg),
					field="source_lots",
				)
			)
	_raise_all(errors)


def validate_destinations(destinations: Sequence[DestinationLine]) -> None:
	"""Existing destination lots can receive grain; a bin is of the site the grain goes to."""
	errors: list[RuleError] = []
	for line in destinations:
		if line.lot and line.state is None:
			errors.append(
				RuleError(
					"validation",
					_("Destination row {0}: lot {1} does not exist"),
					line.row,
					line.lot,
					field="destination_lots",
				)
			)
			continue
		if line.state is not None and line.state.status not in DESTINATION_STATES:
			errors.append(
				RuleError(
					"lot_state",
					_(
						"Destination row {0}: lot {1} is {2}; grain is added only to Received or In Storage lots"
					),
					line.row,
					line.lot,
					line.state.status,
					field="destination_lots",
				)
			)
		if not line.lot and not line.site:
			errors.append(
				RuleError(
					"validation",
					_("Destination row {0}: choose a lot, or the site of the new lot"),
					line.row,
					field="destination_lots",
				)
			)
		if line.storage_bin and line.storage_bin_site and line.site and line.storage_bin_site != line.site:
			errors.append(
				RuleError(
					"site",
					_(
						"Destination row {0}: Storage Bin {1} belongs to site {2}, not to site {3} of the destination"
					),
					line.row,
					line.storage_bin,
					line.storage_bin_site,
					line.site,
					field="destination_lots",
				)
			)
	_raise_all(errors)


def _variety(value: str | None) -> str:
	return (value or "").strip().casefold()


def validate_crops(
	transfer_type: str, sources: Sequence[SourceLine], destinations: Sequence[DestinationLine]
) -> None:
	"""All lots of a transfer are one crop. Split and Merge keep one variety; a Blend may mix them."""
	lots = [line.state for line in sources if line.state] + [
		line.state for line in destinations if line.state
	]
	if not lots:
		return
	crop = lots[0].crop
	for state in lots[1:]:
		if state.crop != crop:
			raise RuleError(
				"validation",
				_("Lot {0} is {1} and lot {2} is {3}; a transfer moves one crop only"),
				lots[0].name,
				crop or "",
				state.name,
				state.crop or "",
				field="source_lots",
			)
	if transfer_type == BLEND:
		return
	varieties = [(state.name, state.variety) for state in lots if _variety(state.variety)]
	for name, variety in varieties[1:]:
		if _variety(variety) != _variety(varieties[0][1]):
			raise RuleError(
				"validation",
				_("Lot {0} is variety {1} and lot {2} is variety {3}; only a Blend mixes varieties"),
				varieties[0][0],
				varieties[0][1],
				name,
				variety,
				field="source_lots",
			)


# --- mass balance ----------------------------------------------------------------------------------


def total_kg(quantities: Iterable[float | None]) -> float:
	return round_kg(sum(q or 0 for q in quantities))


def validate_loss(loss_kg: float | None, loss_reason: str | None) -> None:
	if (loss_kg or 0) < 0:
		raise RuleError("quantity", _("Process Loss (kg) cannot be negative"), field="process_loss_kg")
	if round_kg(loss_kg) > 0 and not (loss_reason or "").strip():
		raise RuleError(
			"validation", _("Say why {0} kg were lost (Loss Reason)"), format_kg(loss_kg), field="loss_reason"
		)


def validate_mass_balance(
	source_total_kg: float, destination_total_kg: float, loss_kg: float | None, tolerance_pct: float
) -> None:
	"""Sources = destinations + loss (to 0.001 kg); loss ≤ tolerance % of the sources."""
	loss = round_kg(loss_kg)
	if abs(round_kg(source_total_kg) - round_kg(destination_total_kg + loss)) >= QTY_EPSILON_KG - 1e-9:
		raise RuleError(
			"mass_balance",
			_(
				"Mass balance: the sources total {0} kg but the destinations ({1} kg) and the process loss "
				"({2} kg) total {3} kg"
			),
			format_kg(source_total_kg),
			format_kg(destination_total_kg),
			format_kg(loss),
			format_kg(destination_total_kg + loss),
			field="destination_lots",
		)
	allowed = round_kg(source_total_kg * tolerance_pct / 100.0)
	if loss > allowed:
		raise RuleError(
			"mass_balance",
			_("Process Loss (kg) {0} is more than {1}% of the sources ({2} kg allowed)"),
			format_kg(loss),
			f"{tolerance_pct:g}",
			format_kg(allowed),
			field="process_loss_kg",
		)


def validate_transfer_date(transfer_date: dt.date | None, today: dt.date) -> None:
	if transfer_date and transfer_date > today:
		raise RuleError(
			"dates", _("Transfer Date {0} is in the future"), transfer_date, field="transfer_date"
		)


# --- new lots --------------------------------------------------------------------------------------


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


def edge_qty(source_qty_kg: float, destination_qty_kg: float, source_total_kg: float) -> float:
	"""The part of a destination that came from one source (see the module docstring)."""
	if not source_total_kg:
		return 0.0
	return round_kg(destination_qty_kg * source_qty_kg / source_total_kg)


# --- cancelling ------------------------------------------------------------------------------------


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
	errors: list[RuleError] = []
	used = {}
	for use in later_uses:
		used.setdefault(use.lot, use.transfer)
	for line in destinations:
		state = line.state
		if state is None:
			continue
		if line.created and line.lot in used:
			errors.append(
				RuleError(
					"linked",
					_(
						"Lot {0} created by this transfer has since been used by Lot Transfer {1}; cancel that first"
					),
					line.lot,
					used[line.lot],
					field="destination_lots",
				)
			)
			continue
		if state.status == SHIPPED:
			errors.append(
				RuleError(
					"linked",
					_("Lot {0} has been Shipped since this transfer; its grain cannot be taken back"),
					line.lot,
					field="destination_lots",
				)
			)
			continue
		if line.created and (
			round_kg(state.available_qty_kg) != round_kg(line.qty_kg)
			or round_kg(state.declared_qty_kg) != round_kg(line.qty_kg)
		):
			errors.append(
				RuleError(
					"linked",
					_(
						"Lot {0} created by this transfer now has {1} kg available of {2} kg declared, not the {3} kg it received; its grain has moved on"
					),
					line.lot,
					format_kg(state.available_qty_kg),
					format_kg(state.declared_qty_kg),
					format_kg(line.qty_kg),
					field="destination_lots",
				)
			)
		elif not line.created and round_kg(state.available_qty_kg) < round_kg(line.qty_kg):
			errors.append(
				RuleError(
					"linked",
					_("Lot {0} has only {1} kg available; the {2} kg this transfer added have moved on"),
					line.lot,
					format_kg(state.available_qty_kg),
					format_kg(line.qty_kg),
					field="destination_lots",
				)
			)
	for line in sources:
		state = line.state
		if state is None:
			continue
		if state.status == SHIPPED:
			errors.append(
				RuleError(
					"linked",
					_(
						"Source lot {0} has been Shipped since this transfer; the grain cannot be put back into it"
					),
					line.lot,
					field="source_lots",
				)
			)
		elif round_kg(state.available_qty_kg + (line.qty_kg or 0)) > round_kg(state.declared_qty_kg):
			errors.append(
				RuleError(
					"quantity",
					_("Source lot {0} would hold more than its declared {1} kg if {2} kg were put back"),
					line.lot,
					format_kg(state.declared_qty_kg),
					format_kg(line.qty_kg),
					field="source_lots",
				)
			)
	_raise_all(errors)


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

	@property
	def accounted_kg(self) -> float:
		return round_kg(self.shipped_kg + self.on_hand_kg + self.loss_kg)

	@property
	def unaccounted_kg(self) -> float:
		return round_kg(self.entered_kg - self.accounted_kg)

	@property
	def balanced(self) -> bool:
		return abs(self.unaccounted_kg) < QTY_EPSILON_KG


@dataclass(frozen=True)
class TreeLot:
	"""A lot of a genealogy: declared and available now, and whether it has shipped."""

	name: str
	declared_qty_kg: float
	available_qty_kg: float
	shipped: bool


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
	must equal what shipped (the available quantity of Shipped lots), what is on hand (the others)
	and the losses; the difference is grain nobody accounted for (a quantity edited by hand).
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
