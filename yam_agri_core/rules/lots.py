"""Lot lifecycle and quantities."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection

from yam_agri_core.rules.messages import Kind, RuleError, _
from yam_agri_core.rules.roles import QUALITY_MANAGER

DRAFT, RECEIVED, IN_STORAGE, RELEASED, SHIPPED, REJECTED = (
	"Draft",
	"Received",
	"In Storage",
	"Released",
	"Shipped",
	"Rejected",
)
#: The forward path a lot travels. Rejected may be reached from any state before Shipped.
FORWARD = (DRAFT, RECEIVED, IN_STORAGE, RELEASED, SHIPPED)
STATUSES = (*FORWARD, REJECTED)
#: Only a Quality Manager moves a lot into these states.
QUALITY_DECISIONS = frozenset({RELEASED, REJECTED})

SEASON_PATTERN = re.compile(r"^\d{4}-[A-Za-z][A-Za-z ]*$")


def validate_status_change(old: str | None, new: str, roles: Collection[str]) -> None:
	"""Lots move forward along Draft → Received → In Storage → Released → Shipped.

	Steps may be skipped except that only a Released lot ships. Rejected is reachable from any state
	before Shipped. Shipped and Rejected are final. Only a Quality Manager releases or rejects.
	"""
	if new not in STATUSES:
		raise RuleError(Kind.TRANSITION, _("Status {0} is not a lot status"), new, field="status")
	if old is None:
		old = DRAFT
		if new == DRAFT:
			return
	if new == old:
		return
	if old in (SHIPPED, REJECTED):
		raise RuleError(Kind.TRANSITION, _("A {0} lot cannot change status"), old, field="status")
	if new == REJECTED:
		pass
	elif FORWARD.index(new) < FORWARD.index(old):
		raise RuleError(
			Kind.TRANSITION, _("A lot cannot move back from {0} to {1}"), old, new, field="status"
		)
	elif new == SHIPPED and old != RELEASED:
		raise RuleError(
			Kind.TRANSITION, _("Only a Released lot can be Shipped; this lot is {0}"), old, field="status"
		)
	if new in QUALITY_DECISIONS and QUALITY_MANAGER not in roles:
		raise RuleError(Kind.ROLE, _("Only a Quality Manager can set a lot to {0}"), new, field="status")


def validate_quantities(declared_qty_kg: float | None, available_qty_kg: float | None) -> None:
	if declared_qty_kg is None or declared_qty_kg <= 0:
		raise RuleError(
			Kind.QUANTITY, _("Declared Quantity (kg) must be greater than zero"), field="declared_qty_kg"
		)
	if available_qty_kg is None:
		return
	if available_qty_kg < 0:
		raise RuleError(
			Kind.QUANTITY, _("Available Quantity (kg) cannot be negative"), field="available_qty_kg"
		)
	if available_qty_kg > declared_qty_kg:
		raise RuleError(
			Kind.QUANTITY,
			_("Available Quantity (kg) {0} cannot exceed Declared Quantity (kg) {1}"),
			available_qty_kg,
			declared_qty_kg,
			field="available_qty_kg",
		)


def initial_available_qty(
	declared_qty_kg: float, available_qty_kg: float | None, is_new: bool
) -> float | None:
	"""A new lot starts with all of its declared quantity available."""
	if is_new and not available_qty_kg:
		return declared_qty_kg
	return available_qty_kg


def validate_dates(harvest_date: dt.date | None, receipt_date: dt.date | None, today: dt.date) -> None:
	if harvest_date and harvest_date > today:
		raise RuleError(
			Kind.DATES, _("Harvest Date {0} is in the future"), harvest_date, field="harvest_date"
		)
	if receipt_date and receipt_date > today:
		raise RuleError(
			Kind.DATES, _("Receipt Date {0} is in the future"), receipt_date, field="receipt_date"
		)
	if harvest_date and receipt_date and receipt_date < harvest_date:
		raise RuleError(
			Kind.DATES,
			_("Receipt Date {0} cannot be before Harvest Date {1}"),
			receipt_date,
			harvest_date,
			field="receipt_date",
		)


def validate_season(season: str | None) -> None:
	if season and not SEASON_PATTERN.match(season):
		raise RuleError(
			Kind.VALIDATION,
			_("Season {0} must be a year and a season name, for example 2026-Spring"),
			season,
			field="season",
		)
