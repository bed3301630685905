import datetime as dt
import itertools

import pytest

from yam_agri_core.rules import dispatch as d
from yam_agri_core.rules.messages import RuleError, RuleErrors

TODAY = dt.date(2026, 6, 1)
POLICY = d.Policy(
	name="Wheat-2026-Spring",
	mandatory_tests=("Moisture", "Aflatoxin"),
	mandatory_certificates=("Phytosanitary", "HACCP"),
	max_test_age_days=90,
)


def days_ago(n: int) -> dt.date:
	return TODAY - dt.timedelta(days=n)


def qct(name, test_type, age=5, result="Pass", recorded_minute=0):
	return d.TestRecord(
		name=name,
		test_type=test_type,
		test_date=days_ago(age),
		result=result,
		recorded_at=dt.datetime(2026, 1, 1, 8, recorded_minute),
	)


def cert(name, cert_type, expires_in=200, status="Active", lot="LOT-1", issued_ago=100):
	return d.CertificateRecord(
		name=name,
		cert_type=cert_type,
		status=status,
		issue_date=days_ago(issued_ago),
		expiry_date=TODAY + dt.timedelta(days=expires_in),
		lot=lot,
	)


GOOD_TESTS = [qct("QCT-M", "Moisture"), qct("QCT-A", "Aflatoxin")]
GOOD_CERTS = [cert("CERT-P", "Phytosanitary"), cert("CERT-H", "HACCP", lot=None)]


def problems(tests=GOOD_TESTS, certs=GOOD_CERTS, policy=POLICY, today=TODAY):
	return d.dispatch_problems(policy, tests, certs, today)


def messages(found):
	return [str(p) for p in found]


# --- when the gate runs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
	"old, new, applies",
	[
		("In Storage", "Released", True),
		("Received", "Released", True),
		(None, "Released", True),
		("Released", "Shipped", True),
		("Released", "Released", False),
		("Shipped", "Shipped", False),
		("In Storage", "Rejected", False),
		("Draft", "Received", False),
		("Received", "In Storage", False),
	],
)
def test_gate_runs_on_moving_into_released_or_shipped(old, new, applies):
	assert d.gate_applies(old, new) is applies


# --- complete evidence, no policy -----------------------------------------------------------------


def test_complete_evidence_passes():
	assert problems() == []
	d.check_dispatch(POLICY, GOOD_TESTS, GOOD_CERTS, TODAY)


def test_no_policy_means_nothing_mandatory():
	assert d.dispatch_problems(None, [], [], TODAY) == []
	d.check_dispatch(None, [], [], TODAY)


def test_empty_policy_passes():
	assert problems([], [], d.Policy(name="Sorghum-2026-Spring")) == []


def test_everything_missing_is_listed_at_once():
	with pytest.raises(RuleErrors) as error:
		d.check_dispatch(POLICY, [], [], TODAY)
	found = error.value.errors
	assert len(found) == 4
	assert {e.kind for e in found} == {"dispatch"} and error.value.kind == "dispatch"
	text = messages(found)
	assert "Moisture" in text[0] and "Aflatoxin" in text[1]
	assert "Phytosanitary" in text[2] and "HACCP" in text[3]
	assert all("Wheat-2026-Spring" in m for m in text)
	assert all(e.field == "status" for e in found)


# --- every combination of a missing, stale or failed test and a missing or invalid certificate ------

TEST_STATES = {
	"good": lambda t: [qct(f"QCT-{t}", t)],
	"missing": lambda t: [],
	"stale": lambda t: [qct(f"QCT-{t}", t, age=91)],
	"failed": lambda t: [qct(f"QCT-{t}", t, result="Fail")],
}
CERT_STATES = {
	"good": lambda c: [cert(f"CERT-{c}", c)],
	"missing": lambda c: [],
	"revoked": lambda c: [cert(f"CERT-{c}", c, status="Revoked")],
	"expired": lambda c: [cert(f"CERT-{c}", c, expires_in=-1, status="Expired")],
}
EXPECTED_WORDS = {
	"missing": "missing",
	"stale": "older than the 90 days",
	"failed": "failed",
	"revoked": "is Revoked",
	"expired": "is Expired",
}


@pytest.mark.parametrize(
	"moisture, aflatoxin, phyto, haccp",
	list(itertools.product(TEST_STATES, TEST_STATES, CERT_STATES, CERT_STATES)),
)
def test_every_combination_reports_each_bad_item(moisture, aflatoxin, phyto, haccp):
	tests = TEST_STATES[moisture]("Moisture") + TEST_STATES[aflatoxin]("Aflatoxin")
	certs = CERT_STATES[phyto]("Phytosanitary") + CERT_STATES[haccp]("HACCP")
	found = messages(problems(tests, certs))
	wanted = [
		(item, state)
		for item, state in (
			("Moisture", moisture),
			("Aflatoxin", aflatoxin),
			("Phytosanitary", phyto),
			("HACCP", haccp),
		)
		if state != "good"
	]
	assert len(found) == len(wanted), found
	for message, (item, state) in zip(found, wanted, strict=True):
		assert message.startswith(item), message
		assert EXPECTED_WORDS[state] in message, message


# --- tests: latest decides, retests, age boundaries ---------------------------------------------------


def test_a_passing_retest_after_a_failure_passes():
	tests = [qct("QCT-1", "Moisture", age=10, result="Fail"), qct("QCT-2", "Moisture", age=3), GOOD_TESTS[1]]
	assert problems(tests) == []


def test_a_failure_after_a_pass_blocks():
	tests = [qct("QCT-1", "Moisture", age=10), qct("QCT-2", "Moisture", age=3, result="Fail"), GOOD_TESTS[1]]
	found = messages(problems(tests))
	assert len(found) == 1 and "QCT-2" in found[0] and "failed" in found[0]


def test_same_day_retest_the_one_recorded_last_decides():
	fail_then_pass = [
		qct("QCT-1", "Moisture", age=2, result="Fail", recorded_minute=0),
		qct("QCT-2", "Moisture", age=2, result="Pass", recorded_minute=30),
		GOOD_TESTS[1],
	]
	assert problems(fail_then_pass) == []
	pass_then_fail = [
		qct("QCT-1", "Moisture", age=2, result="Pass", recorded_minute=30),
		qct("QCT-2", "Moisture", age=2, result="Fail", recorded_minute=45),
		GOOD_TESTS[1],
	]
	assert len(problems(pass_then_fail)) == 1


def test_a_retest_entered_later_but_dated_earlier_does_not_decide():
	tests = [
		qct("QCT-NEW", "Moisture", age=1, result="Fail", recorded_minute=0),
		qct("QCT-OLD", "Moisture", age=5, result="Pass", recorded_minute=59),
		GOOD_TESTS[1],
	]
	assert "QCT-NEW" in messages(problems(tests))[0]


def test_latest_tests_per_type():
	latest = d.latest_tests([qct("A", "Moisture", age=9), qct("B", "Moisture", age=2), qct("C", "Protein")])
	assert {k: v.name for k, v in latest.items()} == {"Moisture": "B", "Protein": "C"}


@pytest.mark.parametrize("age, blocked", [(0, False), (89, False), (90, False), (91, True), (400, True)])
def test_max_test_age_boundary(age, blocked):
	tests = [qct("QCT-M", "Moisture", age=age), GOOD_TESTS[1]]
	found = messages(problems(tests))
	assert bool(found) is blocked
	if blocked:
		assert "QCT-M" in found[0] and "90" in found[0]


def test_zero_max_age_means_no_age_limit():
	policy = d.Policy(name="P", mandatory_tests=("Moisture",), max_test_age_days=0)
	assert problems([qct("QCT-M", "Moisture", age=3000)], [], policy) == []


def test_a_stale_pass_is_not_saved_by_an_older_one():
	tests = [qct("QCT-1", "Moisture", age=120), qct("QCT-2", "Moisture", age=95), GOOD_TESTS[1]]
	assert "QCT-2" in messages(problems(tests))[0]


def test_staleness_is_measured_at_the_moment_of_the_move():
	tests = [qct("QCT-M", "Moisture", age=80), GOOD_TESTS[1]]
	assert problems(tests) == []
	later = TODAY + dt.timedelta(days=20)  # shipping three weeks after release
	found = messages(problems(tests, today=later))
	assert len(found) == 1 and "QCT-M" in found[0]


def test_tests_of_types_the_policy_does_not_ask_for_are_ignored():
	tests = [*GOOD_TESTS, qct("QCT-V", "Visual", result="Fail")]
	assert problems(tests) == []


def test_duplicate_policy_rows_report_once():
	policy = d.Policy(
		name="P", mandatory_tests=("Moisture", "Moisture"), mandatory_certificates=("HACCP", "HACCP")
	)
	assert len(problems([], [], policy)) == 2


# --- certificates ---------------------------------------------------------------------------------


def test_expiring_soon_is_valid_until_the_expiry_day_inclusive():
	for expires_in in (30, 1, 0):
		certs = [
			cert("CERT-P", "Phytosanitary", expires_in=expires_in, status="Expiring Soon"),
			GOOD_CERTS[1],
		]
		assert problems(certs=certs) == [], expires_in


def test_a_certificate_past_its_date_is_expired_even_if_not_refreshed_yet():
	certs = [cert("CERT-P", "Phytosanitary", expires_in=-1, status="Expiring Soon"), GOOD_CERTS[1]]
	found = messages(problems(certs=certs))
	assert len(found) == 1 and "CERT-P is Expired" in found[0]


def test_revoked_blocks_whatever_its_dates():
	certs = [cert("CERT-P", "Phytosanitary", status="Revoked"), GOOD_CERTS[1]]
	assert "CERT-P is Revoked" in messages(problems(certs=certs))[0]


def test_one_valid_certificate_of_the_type_is_enough():
	certs = [
		cert("CERT-OLD", "Phytosanitary", expires_in=-30, status="Expired"),
		cert("CERT-REV", "Phytosanitary", status="Revoked"),
		cert("CERT-NEW", "Phytosanitary", expires_in=100),
		GOOD_CERTS[1],
	]
	assert problems(certs=certs) == []


def test_site_level_and_lot_level_certificates_both_count():
	site_level = [cert("CERT-P", "Phytosanitary", lot=None), cert("CERT-H", "HACCP", lot=None)]
	lot_level = [cert("CERT-P", "Phytosanitary"), cert("CERT-H", "HACCP")]
	assert problems(certs=site_level) == []
	assert problems(certs=lot_level) == []


def test_invalid_certificate_reports_the_latest_candidate():
	certs = [
		cert("CERT-1", "HACCP", expires_in=-400, status="Expired"),
		cert("CERT-2", "HACCP", expires_in=-10, status="Expired"),
		GOOD_CERTS[0],
	]
	found = messages(problems(certs=certs))
	assert len(found) == 1 and "CERT-2" in found[0] and "CERT-1" not in found[0]


def test_a_certificate_not_issued_yet_does_not_count():
	certs = [cert("CERT-P", "Phytosanitary", issued_ago=-5), GOOD_CERTS[1]]
	found = messages(problems(certs=certs))
	assert len(found) == 1 and "CERT-P" in found[0] and "Issue Date" in found[0]


@pytest.mark.parametrize("status", ["Active", "Expiring Soon", "Expired", "Revoked"])
def test_certificate_validity_by_status(status):
	record = cert("C", "HACCP", status=status, expires_in=10)
	assert d.certificate_is_valid(record, TODAY) is (status in ("Active", "Expiring Soon"))


# --- the policy ------------------------------------------------------------------------------------


def test_policy_validation():
	d.validate_policy("2026-Spring", ["Moisture", "Aflatoxin"], ["HACCP"], 90)
	d.validate_policy("2026-Spring", [], [], 0)
	cases = [
		(("Spring 2026", [], [], 90), "season"),
		((None, [], [], 90), "season"),
		(("2026-Spring", ["Moisture", "Moisture"], [], 90), "mandatory_tests"),
		(("2026-Spring", [], ["HACCP", "HACCP"], 90), "mandatory_certificates"),
		(("2026-Spring", [], [], -1), "max_test_age_days"),
	]
	for args, field in cases:
		with pytest.raises(RuleError) as error:
			d.validate_policy(*args)
		assert error.value.field == field, args
