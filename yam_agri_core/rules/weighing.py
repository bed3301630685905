"""Scale ticket arithmetic: net weight, what a truck is expected to bring, deviation, mismatch.

A truck is judged against what its sender declared for it (the ticket's Expected Net Weight, typed or
an import's ``expected_net_kg`` column). When nothing was declared for the truck, it is judged against
what its lot still expects (:func:`expected_of_truck`): the quantity declared at receipt less the net of
the lot's earlier submitted Inbound tickets, so the second truck of a lot is not compared with the
whole lot.
"""

from __future__ import annotations

from dataclasses import dataclass

from yam_agri_core.rules.messages import Kind, RuleError, _
from yam_agri_core.rules.settings import MAX_TOLERANCE_PCT

#: Deviations are compared after rounding to this many decimals, so a deviation of exactly the
#: tolerance (e.g. 3060 kg against 3000 kg at 2 %) is never flagged by a floating point residue.
DEVIATION_DECIMALS = 4
WEIGHT_DECIMALS = 3


@dataclass(frozen=True)
class Weighing:
	net_kg: float
	expected_net_kg: float | None
	tolerance_pct: float
	deviation_pct: float | None
	mismatch: bool


def validate_weights(gross_kg: float | None, tare_kg: float | None) -> None:
	"""Gross must be positive and tare must lie in [0, gross)."""
	if gross_kg is None or gross_kg <= 0:
		raise RuleError(Kind.WEIGHT, _("Gross Weight (kg) must be greater than zero"), field="gross_kg")
	tare = tare_kg or 0.0
	if tare < 0:
		raise RuleError(Kind.WEIGHT, _("Tare Weight (kg) cannot be negative"), field="tare_kg")
	if tare >= gross_kg:
		raise RuleError(
			Kind.WEIGHT,
			_("Tare Weight (kg) {0} must be less than Gross Weight (kg) {1}"),
			format_kg(tare),
			format_kg(gross_kg),
			field="tare_kg",
		)


def net_weight(gross_kg: float, tare_kg: float | None) -> float:
	validate_weights(gross_kg, tare_kg)
	return round(gross_kg - (tare_kg or 0.0), WEIGHT_DECIMALS)


def validate_tolerance(tolerance_pct: float) -> None:
	if tolerance_pct < 0 or tolerance_pct > MAX_TOLERANCE_PCT:
		raise RuleError(
			Kind.WEIGHT,
			_("Tolerance (%) must be between 0 and {0}"),
			MAX_TOLERANCE_PCT,
			field="tolerance_pct",
		)


def deviation_pct(net_kg: float, expected_net_kg: float | None) -> float | None:
	"""Signed deviation of the net weight from the expected one, in percent of the expected.

	Negative when less arrived than was declared. ``None`` when nothing was declared.
	"""
	if expected_net_kg is None or expected_net_kg == 0:
		return None
	if expected_net_kg < 0:
		raise RuleError(
			Kind.WEIGHT, _("Expected Net Weight (kg) must be greater than zero"), field="expected_net_kg"
		)
	return round((net_kg - expected_net_kg) / expected_net_kg * 100.0, DEVIATION_DECIMALS)


def is_mismatch(deviation: float | None, tolerance_pct: float) -> bool:
	"""A weighing mismatches when its deviation lies strictly beyond the tolerance."""
	if deviation is None:
		return False
	return abs(deviation) > round(tolerance_pct, DEVIATION_DECIMALS)


def weigh(
	gross_kg: float | None,
	tare_kg: float | None,
	expected_net_kg: float | None,
	tolerance_pct: float,
) -> Weighing:
	"""All derived values of a scale ticket."""
	validate_tolerance(tolerance_pct)
	net = net_weight(gross_kg, tare_kg)  # type: ignore[arg-type]
	expected = expected_net_kg if expected_net_kg else None
	deviation = deviation_pct(net, expected)
	return Weighing(
		net_kg=net,
		expected_net_kg=expected,
		tolerance_pct=tolerance_pct,
		deviation_pct=deviation,
		mismatch=is_mismatch(deviation, tolerance_pct),
	)


def expected_of_truck(declared_at_receipt_kg: float | None, weighed_before_kg: float | None) -> float | None:
	"""What a truck whose sender declared nothing is expected to bring: what its lot still expects.

	``declared_at_receipt_kg`` is the lot's declared quantity less what Lot Transfers added into it
	(``rules.weighed.declared_at_receipt``); ``weighed_before_kg`` the net of the lot's Inbound tickets
	submitted before this one. ``None`` when the lot expects nothing more (nothing declared, or already
	fully weighed): the truck is then not judged on its own and any surplus shows in the lot's weight
	difference.
	"""
	if not declared_at_receipt_kg or declared_at_receipt_kg <= 0:
		return None
	remaining = round(declared_at_receipt_kg - (weighed_before_kg or 0.0), WEIGHT_DECIMALS)
	return remaining if remaining > 0 else None


def keeps_lot_figure(
	taken_from_lot: bool, is_new: bool, expected_before_kg: float | None, expected_now_kg: float | None
) -> bool:
	"""Whether a ticket's filled Expected Net Weight is the lot's figure of an earlier save, to be taken
	again from the lot (``expected_of_truck``) rather than kept as the sender's.

	A figure typed over the lot's is the sender's; a new ticket that arrives with the lot's figure already
	taken (an import, which counts its earlier rows) keeps it as it is."""
	if not taken_from_lot or is_new or expected_before_kg is None:
		return False
	return round(expected_before_kg or 0.0, WEIGHT_DECIMALS) == round(expected_now_kg or 0.0, WEIGHT_DECIMALS)


class LotExpectations:
	"""What each lot of an import still expects as the file's rows are imported in order: the quantity
	declared at receipt less the net of its submitted Inbound tickets and of the file's rows imported
	before (a dry run rolls each row back, so the file's rows are counted here, not read back)."""

	def __init__(self, declared_at_receipt_kg: dict[str, float], weighed_kg: dict[str, float]):
		self.declared_at_receipt_kg = declared_at_receipt_kg
		self.weighed_kg = dict(weighed_kg)

	def expected(self, lot: str | None, direction: str | None, expected_net_kg: float | None) -> float | None:
		"""What a row's truck is expected to bring when its sender declared nothing; ``None`` when it
		declared something, weighs no lot of the site or the lot expects nothing more."""
		if not lot or direction != "Inbound" or expected_net_kg or lot not in self.declared_at_receipt_kg:
			return None
		return expected_of_truck(self.declared_at_receipt_kg[lot], self.weighed_kg.get(lot))

	def weighed(self, lot: str, net_kg: float | None) -> None:
		"""A row of ``lot`` was imported: what the lot expects shrinks by its net weight."""
		if lot in self.declared_at_receipt_kg:
			self.weighed_kg[lot] = round((self.weighed_kg.get(lot) or 0.0) + (net_kg or 0.0), WEIGHT_DECIMALS)


def format_kg(value: float) -> str:
	return f"{value:,.3f}".rstrip("0").rstrip(".")


def mismatch_severity(deviation: float, tolerance_pct: float) -> str:
	"""Severity of the nonconformance a mismatch opens: Major beyond twice the tolerance."""
	return "Major" if abs(deviation) > 2 * tolerance_pct else "Minor"
