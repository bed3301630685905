import datetime as dt

import pytest

from yam_agri_core.rules import capa
from yam_agri_core.rules.messages import RuleError

QM = {"Quality Manager"}
OP = {"Site Operator"}
FULL = capa.Evidence(
	root_cause="Scale drift", corrective_action="Recalibrated", verification_result="Effective"
)


@pytest.mark.parametrize(
	"old, new",
	[
		("Open", "Under Investigation"),
		("Under Investigation", "Corrective Action"),
		("Corrective Action", "Verification"),
		("Verification", "Closed"),
		("Verification", "Corrective Action"),
		("Open", "Open"),
	],
)
def test_one_step_moves(old, new):
	capa.validate_transition(old, new, "Major", FULL, QM)


@pytest.mark.parametrize(
	"old, new",
	[
		("Open", "Corrective Action"),
		("Open", "Closed"),
		("Under Investigation", "Open"),
		("Corrective Action", "Under Investigation"),
		("Closed", "Verification"),
		("Closed", "Open"),
		("Corrective Action", "Closed"),
	],
)
def test_skips_and_backward_moves_are_refused(old, new):
	with pytest.raises(RuleError) as error:
		capa.validate_transition(old, new, "Major", FULL, QM)
	assert error.value.kind == "transition"


def test_new_nonconformance_starts_open():
	capa.validate_transition(None, "Open", "Minor", capa.Evidence(), OP)
	with pytest.raises(RuleError):
		capa.validate_transition(None, "Closed", "Minor", FULL, QM)


def test_leaving_investigation_needs_root_cause():
	with pytest.raises(RuleError) as error:
		capa.validate_transition(
			"Under Investigation", "Corrective Action", "Minor", capa.Evidence(root_cause=" "), QM
		)
	assert error.value.field == "root_cause"


def test_verification_needs_corrective_action():
	with pytest.raises(RuleError) as error:
		capa.validate_transition("Corrective Action", "Verification", "Minor", capa.Evidence("cause"), QM)
	assert error.value.field == "corrective_action"


def test_closing_needs_an_effective_verification():
	for result in (None, "", "Not Effective"):
		evidence = capa.Evidence("cause", "action", result)
		with pytest.raises(RuleError) as error:
			capa.validate_transition("Verification", "Closed", "Minor", evidence, QM)
		assert error.value.field == "verification_result"


def test_only_a_quality_manager_closes_a_critical_nc():
	with pytest.raises(RuleError) as error:
		capa.validate_transition("Verification", "Closed", "Critical", FULL, OP)
	assert error.value.kind == "role"
	capa.validate_transition("Verification", "Closed", "Critical", FULL, QM)
	capa.validate_transition("Verification", "Closed", "Major", FULL, OP)


@pytest.mark.parametrize("severity, days", [("Critical", 7), ("Major", 14), ("Minor", 30)])
def test_default_due_dates(severity, days):
	assert capa.default_due_date(severity, dt.date(2026, 1, 1)) == dt.date(2026, 1, 1) + dt.timedelta(
		days=days
	)
