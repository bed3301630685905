"""Marking and raising user-facing messages from pure rules.

Rules never import frappe. They raise :class:`RuleError` with an untranslated message template
(positional ``{0}`` placeholders) and its parameters; the Frappe side translates the template with
``frappe._`` and raises the matching ``frappe.ValidationError`` subclass (see
``yam_agri_core.exceptions``).
"""

from __future__ import annotations

from collections.abc import Sequence


def _(message: str) -> str:
	"""Mark ``message`` for translation; it is translated when it reaches a user."""
	return message


class RuleError(ValueError):
	"""A business rule was broken.

	``kind`` names the family of the rule (it selects the Frappe exception class), ``field`` the
	DocType field at fault when there is one, ``template`` the untranslated message and ``params``
	its positional arguments.
	"""

	def __init__(self, kind: str, template: str, *params: object, field: str | None = None):
		self.kind = kind
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
