"""The dispatch gate: a lot is Released or Shipped only with the evidence its Season Policy asks for.

The Season Policy of a lot is the active policy of the lot's crop and season. A lot whose crop and
season have no active policy has nothing mandatory and passes. Otherwise, at the moment the lot moves
to Released or to Shipped (both are checked: evidence can go stale between the two):

- every mandatory test type needs a submitted QC Test of the lot. The latest one decides (latest
  Test Date, then the one recorded last): a Fail followed by a passing retest passes, a Pass followed
  by a Fail blocks. The latest test must not be older than the policy's ``max_test_age_days`` (a test
  exactly that many days old still counts; 0 means no age limit).
- every mandatory certificate type needs a valid certificate of the lot, or of the lot's site (a
  certificate with no lot). Valid means issued, not Revoked and not past its expiry date: Expiring
  Soon is still valid until the expiry date, inclusive.

Every missing, stale, failed or invalid item is reported at once (:class:`RuleErrors`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from yam_agri_core.rules import certificates, lots, qc
from yam_agri_core.rules.messages import Kind, RuleCollector, RuleError, _

#: Statuses a lot reaches only through the gate.
GATED_STATUSES = (lots.RELEASED, lots.SHIPPED)
DEFAULT_MAX_TEST_AGE_DAYS = 90
#: Certificate statuses that cover a lot (Expiring Soon is valid until its expiry date).
VALID_CERTIFICATE_STATUSES = (certificates.ACTIVE, certificates.EXPIRING_SOON)


@dataclass(frozen=True)
class Policy:
	name: str
	mandatory_tests: tuple[str, ...] = ()
	mandatory_certificates: tuple[str, ...] = ()
	#: A test older than this (in days) at release or shipping does not count; 0: no age limit.
	max_test_age_days: int = DEFAULT_MAX_TEST_AGE_DAYS


@dataclass(frozen=True)
class TestRecord:
	"""A submitted QC Test of the lot."""

	__test__ = False  # not a pytest test class

	name: str
	test_type: str
	test_date: dt.date
	result: str
	recorded_at: dt.datetime | None = None


@dataclass(frozen=True)
class CertificateRecord:
	"""A certificate of the lot (``lot`` set) or of its site (``lot`` empty)."""

	name: str
	cert_type: str
	status: str
	issue_date: dt.date | None
	expiry_date: dt.date | None
	lot: str | None = None


def gate_applies(old_status: str | None, new_status: str) -> bool:
	"""The gate runs when a lot moves into Released or Shipped (not on later edits of such a lot)."""
	return new_status in GATED_STATUSES and new_status != old_status


def latest_tests(tests: Iterable[TestRecord]) -> dict[str, TestRecord]:
	"""The test that decides, per test type: latest Test Date, then the one recorded last."""
	latest: dict[str, TestRecord] = {}
	for test in tests:
		current = latest.get(test.test_type)
		if current is None or _test_order(test) > _test_order(current):
			latest[test.test_type] = test
	return latest


def _test_order(test: TestRecord) -> tuple:
	return (test.test_date, test.recorded_at or dt.datetime.min, test.name)


def certificate_status(cert: CertificateRecord, today: dt.date) -> str:
	"""The status a certificate has today: Revoked stays Revoked, the rest follows the dates (a
	stored status the scheduler has not refreshed yet does not count)."""
	if cert.status == certificates.REVOKED:
		return certificates.REVOKED
	if cert.expiry_date is None or cert.status == certificates.EXPIRED:
		return certificates.EXPIRED
	return certificates.status_from_dates(cert.expiry_date, today)


def certificate_is_valid(cert: CertificateRecord, today: dt.date) -> bool:
	if cert.issue_date and cert.issue_date > today:
		return False
	return certificate_status(cert, today) in VALID_CERTIFICATE_STATUSES


def dispatch_problems(
	policy: Policy | None,
	tests: Iterable[TestRecord],
	certs: Iterable[CertificateRecord],
	today: dt.date,
) -> list[RuleError]:
	"""Every mandatory item of ``policy`` that is missing, stale, failed or not valid on ``today``."""
	return _problems(policy, tests, certs, today).errors


def check_dispatch(
	policy: Policy | None,
	tests: Iterable[TestRecord],
	certs: Iterable[CertificateRecord],
	today: dt.date,
) -> None:
	_problems(policy, tests, certs, today).raise_if_any()


def _problems(
	policy: Policy | None,
	tests: Iterable[TestRecord],
	certs: Iterable[CertificateRecord],
	today: dt.date,
) -> RuleCollector:
	found = RuleCollector()
	if policy is not None:
		_add_test_problems(found, policy, latest_tests(tests), today)
		_add_certificate_problems(found, policy, list(certs), today)
	return found


def _add_test_problems(
	found: RuleCollector, policy: Policy, latest: dict[str, TestRecord], today: dt.date
) -> None:
	for test_type in _unique(policy.mandatory_tests):
		test = latest.get(test_type)
		if test is None:
			found.add(
				Kind.DISPATCH,
				_("{0} test required by Season Policy {1} is missing: no submitted QC Test of this lot"),
				test_type,
				policy.name,
				field="status",
			)
		elif test.result != qc.PASS:
			found.add(
				Kind.DISPATCH,
				_("{0} test {1} of {2} failed; a passing retest is needed"),
				test_type,
				test.name,
				test.test_date,
				field="status",
			)
		elif policy.max_test_age_days and (today - test.test_date).days > policy.max_test_age_days:
			found.add(
				Kind.DISPATCH,
				_("{0} test {1} of {2} is older than the {3} days Season Policy {4} allows"),
				test_type,
				test.name,
				test.test_date,
				policy.max_test_age_days,
				policy.name,
				field="status",
			)


def _add_certificate_problems(
	found: RuleCollector, policy: Policy, certs: Sequence[CertificateRecord], today: dt.date
) -> None:
	for cert_type in _unique(policy.mandatory_certificates):
		candidates = [c for c in certs if c.cert_type == cert_type]
		if any(certificate_is_valid(c, today) for c in candidates):
			continue
		if not candidates:
			found.add(
				Kind.DISPATCH,
				_("{0} certificate required by Season Policy {1} is missing for this lot and its site"),
				cert_type,
				policy.name,
				field="status",
			)
			continue
		best = max(candidates, key=lambda c: (c.expiry_date or dt.date.min, c.name))
		status = certificate_status(best, today)
		if status in VALID_CERTIFICATE_STATUSES:  # valid by its dates, but not issued yet
			found.add(
				Kind.DISPATCH,
				_("{0} certificate {1} is not valid before its Issue Date {2}"),
				cert_type,
				best.name,
				best.issue_date,
				field="status",
			)
			continue
		found.add(
			Kind.DISPATCH,
			_("{0} certificate {1} is {2}; Season Policy {3} needs an Active or Expiring Soon one"),
			cert_type,
			best.name,
			status,
			policy.name,
			field="status",
		)


def _unique(items: Iterable[str]) -> list[str]:
	return list(dict.fromkeys(i for i in items if i))


# --- the policy itself ------------------------------------------------------------------------------


def validate_policy(
	season: str | None,
	mandatory_tests: Sequence[str],
	mandatory_certificates: Sequence[str],
	max_test_age_days: int | None,
) -> None:
	"""A policy names a season like 2026-Spring, lists each test and certificate type once, and
	allows a test age of 0 (no limit) or more days."""
	if not season:
		raise RuleError(Kind.VALIDATION, _("Season is required"), field="season")
	lots.validate_season(season)
	for fieldname, items in (
		("mandatory_tests", mandatory_tests),
		("mandatory_certificates", mandatory_certificates),
	):
		seen = set()
		for item in items:
			if item in seen:
				raise RuleError(Kind.VALIDATION, _("{0} is listed more than once"), item, field=fieldname)
			seen.add(item)
	if max_test_age_days is not None and max_test_age_days < 0:
		raise RuleError(
			Kind.VALIDATION,
			_("Max Test Age (days) {0} cannot be negative"),
			max_test_age_days,
			field="max_test_age_days",
		)
