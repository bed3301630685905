import datetime as dt

import pytest

from yam_agri_core.rules import certificates as c
from yam_agri_core.rules.messages import RuleError

TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(
	"days_left, status",
	[(31, "Active"), (30, "Expiring Soon"), (20, "Expiring Soon"), (0, "Expiring Soon"), (-1, "Expired")],
)
def test_status_from_dates(days_left, status):
	assert c.status_from_dates(TODAY + dt.timedelta(days=days_left), TODAY, 30) == status


def test_expiry_must_follow_issue():
	c.validate_dates(TODAY, TODAY + dt.timedelta(days=1))
	for expiry in (TODAY, TODAY - dt.timedelta(days=1)):
		with pytest.raises(RuleError) as error:
			c.validate_dates(TODAY, expiry)
		assert error.value.field == "expiry_date"


def status(**kw):
	args = dict(
		current="Active",
		requested="Active",
		expiry_date=TODAY + dt.timedelta(days=20),
		today=TODAY,
		warning_days=30,
		revocation_reason=None,
		roles={"Quality Manager"},
	)
	args.update(kw)
	return c.next_status(**args)


def test_status_follows_dates_whatever_was_requested():
	assert status() == "Expiring Soon"
	assert status(requested="Expired") == "Expiring Soon"
	assert status(expiry_date=TODAY - dt.timedelta(days=1)) == "Expired"


def test_renewed_certificate_becomes_active_again():
	assert (
		status(current="Expired", requested="Expired", expiry_date=TODAY + dt.timedelta(days=365)) == "Active"
	)


def test_revocation_needs_a_quality_manager_and_a_reason():
	assert status(requested="Revoked", revocation_reason="Fraudulent") == "Revoked"
	with pytest.raises(RuleError) as error:
		status(requested="Revoked", revocation_reason="  ")
	assert error.value.field == "revocation_reason"
	with pytest.raises(RuleError) as error:
		status(requested="Revoked", revocation_reason="x", roles={"Site Operator"})
	assert error.value.kind == "role"


def test_revoked_is_final():
	assert status(current="Revoked", requested="Revoked") == "Revoked"
	with pytest.raises(RuleError):
		status(current="Revoked", requested="Active")
