"""Certificate status from its dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from yam_agri_core.rules.messages import Kind, RuleError, _
from yam_agri_core.rules.roles import QUALITY_MANAGER

ACTIVE, EXPIRING_SOON, EXPIRED, REVOKED = "Active", "Expiring Soon", "Expired", "Revoked"
STATUSES = (ACTIVE, EXPIRING_SOON, EXPIRED, REVOKED)
DEFAULT_WARNING_DAYS = 30


def validate_dates(issue_date: dt.date | None, expiry_date: dt.date | None) -> None:
	if issue_date and expiry_date and expiry_date <= issue_date:
		raise RuleError(
			Kind.DATES,
			_("Expiry Date {0} must be after Issue Date {1}"),
			expiry_date,
			issue_date,
			field="expiry_date",
		)


def status_from_dates(expiry_date: dt.date, today: dt.date, warning_days: int = DEFAULT_WARNING_DAYS) -> str:
	"""Active until ``warning_days`` before expiry, Expiring Soon up to and including the expiry
	day, Expired from the day after."""
	days_left = (expiry_date - today).days
	if days_left < 0:
		return EXPIRED
	if days_left <= warning_days:
		return EXPIRING_SOON
	return ACTIVE


def next_status(
	*,
	current: str | None,
	requested: str | None,
	expiry_date: dt.date,
	today: dt.date,
	warning_days: int,
	revocation_reason: str | None,
	roles: Collection[str],
) -> str:
	"""The status a certificate must have. Revoked is a Quality Manager's decision (with a reason)
	and final; every other status follows from the dates."""
	if current == REVOKED:
		if requested != REVOKED:
			raise RuleError(
				Kind.TRANSITION,
				_("A Revoked certificate cannot be reinstated; issue a new one"),
				field="status",
			)
		return REVOKED
	if requested == REVOKED:
		if QUALITY_MANAGER not in roles:
			raise RuleError(Kind.ROLE, _("Only a Quality Manager can revoke a certificate"), field="status")
		if not (revocation_reason or "").strip():
			raise RuleError(
				Kind.VALIDATION,
				_("Revocation Reason is required to revoke a certificate"),
				field="revocation_reason",
			)
		return REVOKED
	return status_from_dates(expiry_date, today, warning_days)
