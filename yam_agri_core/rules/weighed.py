"""A lot's weighed quantity: what the scale says against what was declared.

A lot's **weighed quantity** is the net weight of its submitted Inbound scale tickets (cancelled tickets
do not count, nor do Outbound ones, which weigh grain leaving). It is compared with the quantity
declared *at receipt*: the declared quantity less the grain Lot Transfers later added into the lot
(that grain is measured by the transfer, not by the lot's receipt tickets). The **weight difference**
is weighed less declared at receipt: negative when the scale found less grain than the papers say.

The grain in the bin is what the scale says, so a shortfall comes off the available quantity: the
**weighing deduction** is the shortfall, but never more than the lot still has on paper (what transfers
have not taken yet), so the available quantity never goes below zero. When transfers already took
more than the scale found, the deduction is smaller than the shortfall and the rest (grain the
transfers took that was never there) stays visible as the gap between the weight difference and the
deduction (``unabsorbed_kg``).

A surplus (the scale found more than declared) is recorded as a positive weight difference but is not
made available: a lot never offers more than its papers declare (0 ≤ available ≤ declared), and the
surplus is for a Quality Manager to reconcile with the supplier (raise the declared quantity).

Everything is recomputed from the totals (``settle``), never added up ticket by ticket: submitting
the same ticket twice, or cancelling one, always lands on the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from yam_agri_core.rules.transfers import round_kg


@dataclass(frozen=True)
class Weighing:
	"""A lot's quantities once its tickets are taken into account."""

	weighed_qty_kg: float
	weight_difference_kg: float
	weighing_deduction_kg: float
	available_qty_kg: float

	def values(self) -> dict[str, float]:
		"""The Lot fields this weighing sets."""
		return {
			"weighed_qty_kg": self.weighed_qty_kg,
			"weight_difference_kg": self.weight_difference_kg,
			"weighing_deduction_kg": self.weighing_deduction_kg,
			"available_qty_kg": self.available_qty_kg,
		}

	@property
	def unabsorbed_kg(self) -> float:
		"""Shortfall the available quantity could not take (transfers took that grain already)."""
		return round_kg(max(0.0, -self.weight_difference_kg) - self.weighing_deduction_kg)


def declared_at_receipt(declared_qty_kg: float | None, added_by_transfers_kg: float | None) -> float:
	"""The declared quantity less what transfers added into the lot later."""
	return round_kg((declared_qty_kg or 0) - (added_by_transfers_kg or 0))


def settle(
	*,
	declared_qty_kg: float | None,
	available_qty_kg: float | None,
	weighing_deduction_kg: float | None,
	weighed_qty_kg: float | None,
	added_by_transfers_kg: float | None = 0.0,
) -> Weighing:
	"""The lot's weighed quantity, weight difference, deduction and available quantity.

	``available_qty_kg`` and ``weighing_deduction_kg`` are the lot's current values: adding them gives
	what the lot has on paper (declared, less what transfers took, plus what they added). A lot with no
	weighed quantity (no submitted Inbound ticket) has no difference and no deduction.
	"""
	on_paper = round_kg((available_qty_kg or 0) + (weighing_deduction_kg or 0))
	weighed = round_kg(weighed_qty_kg)
	if weighed <= 0:
		return Weighing(0.0, 0.0, 0.0, max(0.0, on_paper))
	difference = round_kg(weighed - declared_at_receipt(declared_qty_kg, added_by_transfers_kg))
	deduction = round_kg(min(max(0.0, -difference), max(0.0, on_paper)))
	return Weighing(weighed, difference, deduction, round_kg(max(0.0, on_paper - deduction)))


def resettle_after_declared_edit(
	*,
	declared_before_kg: float,
	declared_kg: float,
	available_before_kg: float,
	available_kg: float,
	weighing_deduction_kg: float,
	weighed_qty_kg: float,
	added_by_transfers_kg: float,
) -> Weighing | None:
	"""A Quality Manager corrected the declared quantity of a weighed lot (settling a surplus or a
	shortfall with the supplier): what the lot has on paper moves by as much, unless an available
	quantity was typed in the same save (kept as typed), and the weighing is recomputed. ``None`` when
	there is nothing to resettle (not weighed, or the declared quantity did not change)."""
	change = round_kg(declared_kg - declared_before_kg)
	if not weighed_qty_kg or not change:
		return None
	if round_kg(available_kg) == round_kg(available_before_kg):
		available_kg += change
	return settle(
		declared_qty_kg=declared_kg,
		available_qty_kg=available_kg,
		weighing_deduction_kg=weighing_deduction_kg,
		weighed_qty_kg=weighed_qty_kg,
		added_by_transfers_kg=added_by_transfers_kg,
	)
