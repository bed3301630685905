"""Domain errors, as ``frappe.ValidationError`` subclasses so that Desk and REST show them as
validation messages (HTTP 417) and tests can assert the precise kind."""

import frappe


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


#: Rule families (``RuleError.kind``) to the exception raised for them.
ERRORS_BY_KIND: dict[str, type[YamValidationError]] = {
	"weight": WeightError,
	"quantity": QuantityError,
	"dates": DateRangeError,
	"unit": UnitError,
	"site": SiteMismatchError,
	"transition": StatusTransitionError,
	"role": RoleRequiredError,
	"immutable": ImmutableRecordError,
	"validation": YamValidationError,
	"dispatch": DispatchGateError,
}
