"""Domain errors, as ``frappe.ValidationError`` subclasses so that Desk and REST show them as
validation messages (HTTP 417) and tests can assert the precise kind."""

import frappe

from yam_agri_core.rules.messages import Kind


class YamValidationError(frappe.ValidationError):
	"""Base of every YAM Agri business rule error."""


class WeightError(YamValidationError):
	pass


class QuantityError(YamValidationError):
	pass


class DateRangeError(YamValidationError):
	pass


class UnitError(YamValidationError):
	pass


class SiteMismatchError(YamValidationError):
	pass


class StatusTransitionError(YamValidationError):
	pass


class RoleRequiredError(YamValidationError):
	pass


class ImmutableRecordError(YamValidationError):
	pass


class DuplicateTicketError(YamValidationError):
	pass


class LinkedRecordsExistError(YamValidationError):
	pass


class DispatchGateError(YamValidationError):
	"""A lot lacks evidence its Season Policy requires to be Released or Shipped."""


class MassBalanceError(YamValidationError):
	"""A lot transfer's sources do not equal its destinations plus the process loss (or the loss is too
	large)."""


class OverdrawError(YamValidationError):
	"""A lot transfer takes more grain from a lot than it has available."""


class LotStateError(YamValidationError):
	"""A lot in this status cannot give or receive grain."""


#: Rule families (``RuleError.kind``) to the exception raised for them.
ERRORS_BY_KIND: dict[Kind, type[YamValidationError]] = {
	Kind.WEIGHT: WeightError,
	Kind.QUANTITY: QuantityError,
	Kind.DATES: DateRangeError,
	Kind.UNIT: UnitError,
	Kind.SITE: SiteMismatchError,
	Kind.TRANSITION: StatusTransitionError,
	Kind.ROLE: RoleRequiredError,
	Kind.IMMUTABLE: ImmutableRecordError,
	Kind.VALIDATION: YamValidationError,
	Kind.MASS_BALANCE: MassBalanceError,
	Kind.OVERDRAW: OverdrawError,
	Kind.LOT_STATE: LotStateError,
	Kind.LINKED: LinkedRecordsExistError,
	Kind.DISPATCH: DispatchGateError,
}
