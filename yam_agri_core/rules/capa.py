"""Nonconformance (CAPA) workflow: transitions, required evidence, due dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from yam_agri_core.rules.messages import Kind, RuleError, _
from yam_agri_core.rules.roles import QUALITY_MANAGER

OPEN, UNDER_INVESTIGATION, CORRECTIVE_ACTION, VERIFICATION, CLOSED = (
	"Open",
	"Under Investigation",
	"Corrective Action",
	"Verification",
	"Closed",
)
STATUSES = (OPEN, UNDER_INVESTIGATION, CORRECTIVE_ACTION, VERIFICATION, CLOSED)
CRITICAL, MAJOR, MINOR = "Critical", "Major", "Minor"
SEVERITIES = (CRITICAL, MAJOR, MINOR)
DUE_DAYS = {CRITICAL: 7, MAJOR: 14, MINOR: 30}
EFFECTIVE, NOT_EFFECTIVE = "Effective", "Not Effective"
#: The one step back the workflow allows: a verification that fails sends the NC back to action.
BACKWARD = {(VERIFICATION, CORRECTIVE_ACTION)}


@dataclass(frozen=True)
class Evidence:
	root_cause: str | None = None
	corrective_action: str | None = None
	verification_result: str | None = None


def default_due_date(severity: str, opened_on: dt.date) -> dt.date:
	return opened_on + dt.timedelta(days=DUE_DAYS.get(severity, DUE_DAYS[MINOR]))


def allowed_next(status: str) -> tuple[str, ...]:
	"""Statuses reachable from ``status`` in one move."""
	index = STATUSES.index(status)
	forward = STATUSES[index + 1 : index + 2]
	back = tuple(new for old, new in BACKWARD if old == status)
	return forward + back


def validate_transition(
	old: str | None, new: str, severity: str, evidence: Evidence, roles: Collection[str]
) -> None:
	"""Status moves one step at a time (Verification may go back to Corrective Action); each step
	needs its evidence, and closing a Critical nonconformance needs a Quality Manager."""
	if new not in STATUSES:
		raise RuleError(Kind.TRANSITION, _("Status {0} is not a nonconformance status"), new, field="status")
	if old is None:
		if new != OPEN:
			raise RuleError(Kind.TRANSITION, _("A new nonconformance starts Open"), field="status")
		return
	if new == old:
		return
	if new not in allowed_next(old):
		raise RuleError(
			Kind.TRANSITION,
			_("A nonconformance cannot move from {0} to {1}; next allowed: {2}"),
			old,
			new,
			", ".join(allowed_next(old)) or "-",
			field="status",
		)
	if old == UNDER_INVESTIGATION and not _filled(evidence.root_cause):
		raise RuleError(
			Kind.VALIDATION, _("Root Cause is required to leave Under Investigation"), field="root_cause"
		)
	if new == VERIFICATION and not _filled(evidence.corrective_action):
		raise RuleError(
			Kind.VALIDATION, _("Corrective Action is required before Verification"), field="corrective_action"
		)
	if new == CLOSED:
		if not evidence.verification_result:
			raise RuleError(
				Kind.VALIDATION, _("Verification Result is required to close"), field="verification_result"
			)
		if evidence.verification_result != EFFECTIVE:
			raise RuleError(
				Kind.VALIDATION,
				_(
					"The corrective action was not effective; move the nonconformance back to Corrective Action"
				),
				field="verification_result",
			)
		if severity == CRITICAL and QUALITY_MANAGER not in roles:
			raise RuleError(
				Kind.ROLE, _("Only a Quality Manager can close a Critical nonconformance"), field="status"
			)


def _filled(text: str | None) -> bool:
	return bool((text or "").strip())
