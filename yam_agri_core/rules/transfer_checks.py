"""The checks of a lot transfer before it is saved and again, under row locks, when it is submitted.

Shapes (``validate_shape``):

- **Split**: exactly one source, at least one destination. A split need not take the whole source:
  what it does not take stays in the source lot (its available quantity falls by what was taken), so
  taking 1,500 kg of a 3,000 kg lot into one new shipment lot is a Split with one destination.
- **Merge**: at least two sources, exactly one destination. Every source and an existing destination
  are the same crop *and* the same variety (where a variety is recorded): a merge keeps a lot's
  identity.
- **Blend**: at least two sources, at least one destination. Sources are the same crop but may mix
  varieties (a blend is how varieties are mixed on purpose); the new lots then carry no variety.

Lots: a lot of a site the user may not see is read as no lot, and a row naming no lot is refused
naming nothing of it. Sources hold grain (``transfers.SOURCE_STATES``) and are of the transfer's site; existing
destinations can receive grain (``transfers.DESTINATION_STATES``).

Mass balance: the sources' total equals the destinations' total plus the process loss (to 0.001
kg), and the loss is at most the tolerance (YAM Agri Settings, percent of the sources' total).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from yam_agri_core.rules.messages import Kind, RuleCollector, RuleError, _
from yam_agri_core.rules.transfers import (
	BLEND,
	DESTINATION_STATES,
	MERGE,
	QTY_EPSILON_KG,
	SOURCE_STATES,
	SPLIT,
	TRANSFER_TYPES,
	DestinationLine,
	SourceLine,
	format_kg,
	round_kg,
)

# --- shape and rows --------------------------------------------------------------------------------


def validate_shape(transfer_type: str | None, sources: int, destinations: int) -> None:
	"""Split: 1 source, ≥ 1 destination (the rest stays in the source). Merge: ≥ 2 sources, 1
	destination. Blend: ≥ 2 sources, ≥ 1 destination."""
	if transfer_type not in TRANSFER_TYPES:
		raise RuleError(
			Kind.VALIDATION,
			_("Transfer Type {0} is not Split, Merge or Blend"),
			transfer_type or "",
			field="transfer_type",
		)
	if transfer_type == SPLIT and (sources != 1 or destinations < 1):
		raise RuleError(
			Kind.VALIDATION,
			_(
				"A Split takes exactly one source lot into one or more destination lots; this one has {0} and {1}"
			),
			sources,
			destinations,
			field="source_lots",
		)
	if transfer_type == MERGE and (sources < 2 or destinations != 1):
		raise RuleError(
			Kind.VALIDATION,
			_(
				"A Merge takes two or more source lots into exactly one destination lot; this one has {0} and {1}"
			),
			sources,
			destinations,
			field="source_lots",
		)
	if transfer_type == BLEND and (sources < 2 or destinations < 1):
		raise RuleError(
			Kind.VALIDATION,
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
	found = RuleCollector()
	source_lots = _check_rows(
		found,
		sources,
		"source_lots",
		listed_twice=_("Source row {0}: lot {1} is listed twice"),
		not_positive=_("Source row {0}: Quantity (kg) must be greater than zero"),
		no_lot=_("Source row {0}: choose a lot"),
	)
	_check_rows(
		found,
		destinations,
		"destination_lots",
		listed_twice=_("Destination row {0}: lot {1} is listed twice"),
		not_positive=_("Destination row {0}: Quantity (kg) must be greater than zero"),
		taken=source_lots,
		already_taken=_("Destination row {0}: lot {1} is also a source of this transfer"),
	)
	found.raise_if_any()


def _check_rows(
	found: RuleCollector,
	lines: Sequence[SourceLine | DestinationLine],
	field: str,
	*,
	listed_twice: str,
	not_positive: str,
	no_lot: str | None = None,
	taken: set[str] | None = None,
	already_taken: str | None = None,
) -> set[str]:
	"""Add to ``found`` a row with no lot (when ``no_lot`` says a lot is needed), a lot that is in
	``taken`` or listed twice, and a quantity that is not positive; return the lots listed."""
	seen: set[str] = set()
	for line in lines:
		if not line.lot:
			if no_lot:
				found.add(Kind.VALIDATION, no_lot, line.row, field=field)
		elif taken and line.lot in taken:
			found.add(Kind.VALIDATION, already_taken, line.row, line.lot, field=field)
		elif line.lot in seen:
			found.add(Kind.VALIDATION, listed_twice, line.row, line.lot, field=field)
		if line.lot:
			seen.add(line.lot)
		if not line.qty_kg or line.qty_kg <= 0:
			found.add(Kind.QUANTITY, not_positive, line.row, field=field)
	return seen


# --- lots ------------------------------------------------------------------------------------------


def validate_sources(site: str | None, sources: Sequence[SourceLine]) -> None:
	"""Source lots exist, belong to the transfer's site and hold grain (``SOURCE_STATES``)."""
	found = RuleCollector()
	for line in sources:
		state = line.state
		if not line.lot:
			continue
		if state is None:
			found.add(  # names nothing of a lot of a site the user may not see (read as no lot)
				Kind.VALIDATION,
				_("Source row {0}: lot not found at site {1}"),
				line.row,
				site or "",
				field="source_lots",
			)
			continue
		if state.site != site:
			found.add(
				Kind.SITE,
				_(
					"Source row {0}: lot {1} belongs to site {2}; every source lot must be of the transfer's site {3}"
				),
				line.row,
				line.lot,
				state.site or "",
				site or "",
				field="source_lots",
			)
		if state.status not in SOURCE_STATES:
			found.add(
				Kind.LOT_STATE,
				_(
					"Source row {0}: lot {1} is {2}; grain is taken only from Received, In Storage or Released lots"
				),
				line.row,
				line.lot,
				state.status,
				field="source_lots",
			)
	found.raise_if_any()


def validate_availability(sources: Sequence[SourceLine]) -> None:
	"""No source gives more than it has available (checked again under a row lock on submit)."""
	found = RuleCollector()
	for line in sources:
		if line.state is None or not line.qty_kg:
			continue
		if round_kg(line.qty_kg) > round_kg(line.state.available_qty_kg):
			found.add(
				Kind.OVERDRAW,
				_("Source row {0}: lot {1} has {2} kg available; {3} kg cannot be taken from it"),
				line.row,
				line.lot,
				format_kg(line.state.available_qty_kg),
				format_kg(line.qty_kg),
				field="source_lots",
			)
	found.raise_if_any()


def validate_destinations(destinations: Sequence[DestinationLine]) -> None:
	"""Existing destination lots can receive grain; a bin is of the site the grain goes to."""
	found = RuleCollector()
	for line in destinations:
		if line.lot and line.state is None:
			found.add(  # names nothing of a lot of a site the user may not see (read as no lot)
				Kind.VALIDATION,
				_("Destination row {0}: lot not found at your sites"),
				line.row,
				field="destination_lots",
			)
			continue
		if line.state is not None and line.state.status not in DESTINATION_STATES:
			found.add(
				Kind.LOT_STATE,
				_("Destination row {0}: lot {1} is {2}; grain is added only to Received or In Storage lots"),
				line.row,
				line.lot,
				line.state.status,
				field="destination_lots",
			)
		if not line.lot and not line.site:
			found.add(
				Kind.VALIDATION,
				_("Destination row {0}: choose a lot, or the site of the new lot"),
				line.row,
				field="destination_lots",
			)
		if line.storage_bin and not line.lot and not line.storage_bin_site:
			found.add(  # a bin of a site the user may not see is read as no bin, named by nobody
				Kind.SITE,
				_("Destination row {0}: Storage Bin not found at site {1}"),
				line.row,
				line.site or "",
				field="destination_lots",
			)
		if line.storage_bin and line.storage_bin_site and line.site and line.storage_bin_site != line.site:
			found.add(
				Kind.SITE,
				_(
					"Destination row {0}: Storage Bin {1} belongs to site {2}, not to site {3} of the destination"
				),
				line.row,
				line.storage_bin,
				line.storage_bin_site,
				line.site,
				field="destination_lots",
			)
	found.raise_if_any()


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
				Kind.VALIDATION,
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
				Kind.VALIDATION,
				_("Lot {0} is variety {1} and lot {2} is variety {3}; only a Blend mixes varieties"),
				varieties[0][0],
				varieties[0][1],
				name,
				variety,
				field="source_lots",
			)


# --- mass balance ----------------------------------------------------------------------------------


def validate_loss(loss_kg: float | None, loss_reason: str | None) -> None:
	if (loss_kg or 0) < 0:
		raise RuleError(Kind.QUANTITY, _("Process Loss (kg) cannot be negative"), field="process_loss_kg")
	if round_kg(loss_kg) > 0 and not (loss_reason or "").strip():
		raise RuleError(
			Kind.VALIDATION,
			_("Say why {0} kg were lost (Loss Reason)"),
			format_kg(loss_kg),
			field="loss_reason",
		)


def validate_mass_balance(
	source_total_kg: float, destination_total_kg: float, loss_kg: float | None, tolerance_pct: float
) -> None:
	"""Sources = destinations + loss (to 0.001 kg); loss ≤ tolerance % of the sources."""
	loss = round_kg(loss_kg)
	if abs(round_kg(source_total_kg) - round_kg(destination_total_kg + loss)) >= QTY_EPSILON_KG - 1e-9:
		raise RuleError(
			Kind.MASS_BALANCE,
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
			Kind.MASS_BALANCE,
			_("Process Loss (kg) {0} is more than {1}% of the sources ({2} kg allowed)"),
			format_kg(loss),
			f"{tolerance_pct:g}",
			format_kg(allowed),
			field="process_loss_kg",
		)


def validate_transfer_date(transfer_date: dt.date | None, today: dt.date) -> None:
	if transfer_date and transfer_date > today:
		raise RuleError(
			Kind.DATES, _("Transfer Date {0} is in the future"), transfer_date, field="transfer_date"
		)
