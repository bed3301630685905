"""Marking and raising user-facing messages from pure rules.

Rules never import frappe. They raise :class:`RuleError` with an untranslated message template
(positional ``{0}`` placeholders) and its parameters; the Frappe side translates the template with
``frappe._`` and raises the matching ``frappe.ValidationError`` subclass (see
``yam_agri_core.exceptions``). Rules that must report every broken rule at once gather them in a
:class:`RuleCollector`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum


def _(message: str) -> str:
	"""Mark ``message`` for translation; it is translated when it reaches a user."""
	return message


class Kind(str, Enum):
	"""The family of a broken rule; it selects the Frappe exception class raised for it."""

	WEIGHT = "weight"
	QUANTITY = "quantity"
	DATES = "dates"
	UNIT = "unit"
	SITE = "site"
	TRANSITION = "transition"
	ROLE = "role"
	IMMUTABLE = "immutable"
	VALIDATION = "validation"
	MASS_BALANCE = "mass_balance"
	OVERDRAW = "overdraw"
	LOT_STATE = "lot_state"
	LINKED = "linked"
	DISPATCH = "dispatch"

	def __str__(self) -> str:
		return self.value


class RuleError(ValueError):
	"""A business rule was broken.

	``kind`` names the family of the rule (a :class:`Kind`; an unknown name is refused at once, so a
	typo cannot become another error), ``field`` the DocType field at fault when there is one,
	``template`` the untranslated message and ``params`` its positional arguments.
	"""

	def __init__(self, kind: Kind | str, template: str, *params: object, field: str | None = None):
		self.kind = Kind(kind)
		self.template = template
		self.params = params
		self.field = field
		super().__init__(template.format(*params))


class RuleErrors(RuleError):
	"""Several broken rules reported at once (for gates that must list everything missing)."""

	def __init__(self, errors: Sequence[RuleError]):
		self.errors = list(errors)
		first = self.errors[0]
		super().__init__(first.kind, first.template, *first.params, field=first.field)
		self.args = ("; ".join(str(e) for e in self.errors),)


class RuleCollector:
	"""Gathers broken rules so that a check can report all of them at once.

	>>> found = RuleCollector()
	>>> found.add(Kind.QUANTITY, _("Row {0}: Quantity must be greater than zero"), 2, field="qty_kg")
	>>> found.raise_if_any()  # raises RuleErrors listing every added error
	"""

	def __init__(self) -> None:
		self.errors: list[RuleError] = []

	def add(self, kind: Kind | str, template: str, *params: object, field: str | None = None) -> None:
		self.errors.append(RuleError(kind, template, *params, field=field))

	def extend(self, errors: Sequence[RuleError]) -> None:
		self.errors.extend(errors)

	def __bool__(self) -> bool:
		return bool(self.errors)

	def __len__(self) -> int:
		return len(self.errors)

	def raise_if_any(self) -> None:
		"""Raise the one error found as itself, several as :class:`RuleErrors`."""
		if len(self.errors) == 1:
			raise self.errors[0]
		if self.errors:
			raise RuleErrors(self.errors)
