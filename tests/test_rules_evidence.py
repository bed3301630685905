"""Evidence packs: scope dates, the readings' summary, the manifest and the pack's life (pure rules)."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from yam_agri_core.rules import evidence
from yam_agri_core.rules.messages import Kind, RuleError

QM = ["Quality Manager"]


def test_period_is_half_open_over_whole_days():
	start, end = evidence.period_bounds(date(2026, 11, 1), date(2026, 11, 30))
	assert start == datetime(2026, 11, 1) and end == datetime(2026, 12, 1)


def test_period_of_one_day():
	start, end = evidence.period_bounds(date(2026, 11, 5), date(2026, 11, 5))
	assert (end - start).days == 1


@pytest.mark.parametrize(
	"start, end, field",
	[(date(2026, 11, 2), date(2026, 11, 1), "to_date"), (date(2025, 1, 1), date(2026, 6, 1), "to_date")],
)
def test_bad_periods_are_refused(start, end, field):
	with pytest.raises(RuleError) as error:
		evidence.period_bounds(start, end)
	assert error.value.kind == Kind.DATES and error.value.field == field


def test_missing_dates_are_refused():
	with pytest.raises(RuleError):
		evidence.period_bounds(None, date(2026, 1, 1))


@pytest.mark.parametrize(
	"issue, expiry, inside",
	[
		(date(2025, 1, 1), date(2026, 11, 10), True),  # expires inside
		(date(2026, 11, 20), date(2027, 1, 1), True),  # issued inside
		(date(2025, 1, 1), date(2027, 1, 1), True),  # covers the period
		(date(2025, 1, 1), date(2026, 10, 31), False),  # expired before
		(date(2026, 12, 1), date(2027, 1, 1), False),  # issued after
	],
)
def test_certificate_valid_at_any_time_in_period(issue, expiry, inside):
	assert evidence.valid_in_period(issue, expiry, date(2026, 11, 1), date(2026, 11, 30)) is inside


@pytest.mark.parametrize(
	"opened, closed, inside",
	[
		(date(2026, 10, 1), None, True),
		(date(2026, 10, 1), date(2026, 11, 1), True),
		(date(2026, 10, 1), date(2026, 10, 31), False),
		(date(2026, 12, 1), None, False),
	],
)
def test_nonconformance_open_in_period(opened, closed, inside):
	assert evidence.open_in_period(opened, closed, date(2026, 11, 1), date(2026, 11, 30)) is inside


def test_reading_summary_is_rounded_and_sorted():
	rows = [
		{"device": "B", "metric": "Temperature", "unit": "°C", "day": date(2026, 11, 2), "count": 3,
		 "min": 20, "mean": 21.33333, "max": 23},
		{"device": "A", "metric": "Humidity", "unit": "%", "day": "2026-11-02 00:00:00", "count": 1,
		 "min": 60.0, "mean": 60.0, "max": 60.0},
		{"device": "Z", "metric": "CO2", "unit": None, "day": date(2026, 11, 1), "count": 2,
		 "min": None, "mean": None, "max": None},
	]  # fmt: skip
	summary = evidence.reading_summary(rows)
	assert [(r["day"], r["device"]) for r in summary] == [
		("2026-11-01", "Z"),
		("2026-11-02", "A"),
		("2026-11-02", "B"),
	]
	assert summary[2]["mean"] == 21.33 and summary[0]["unit"] == "" and summary[0]["min"] is None


def test_counts_per_kind():
	records = {"qc_tests": [1, 2], "scale_tickets": [1], "quarantined_readings": [1]}
	counts = evidence.counts(records, [{"count": 5}, {"count": 7}], lots=3, files=2)
	assert counts["qc_tests"] == 2 and counts["certificates"] == 0 and counts["scale_tickets"] == 1
	assert counts["readings"] == 12 and counts["lots"] == 3 and counts["files"] == 2


# --- manifest --------------------------------------------------------------------------------------

FILES = {"EVP.pdf": b"%PDF-1.4 ...", "csv/qc_tests.csv": "name,نتيجة\r\n".encode()}


def test_manifest_lists_every_file_with_size_and_checksum():
	manifest = evidence.build_manifest(FILES, {"pack": "EVP-2026-00001"})
	body = json.loads(manifest)
	assert body["pack"] == "EVP-2026-00001" and body["algorithm"] == "sha256"
	assert [f["path"] for f in body["files"]] == ["EVP.pdf", "csv/qc_tests.csv"]
	assert body["files"][0]["size"] == len(FILES["EVP.pdf"])
	assert body["files"][0]["sha256"] == evidence.sha256(FILES["EVP.pdf"])


def test_manifest_is_canonical():
	assert evidence.build_manifest(FILES, {"b": 1, "a": 2}) == evidence.build_manifest(
		dict(reversed(FILES.items())), {"a": 2, "b": 1}
	)


def test_manifest_verifies_an_intact_pack():
	manifest = evidence.build_manifest(FILES, {})
	assert evidence.verify_manifest(manifest, {**FILES, "manifest.json": manifest}) == []


def test_manifest_finds_changed_missing_and_extra_files():
	manifest = evidence.build_manifest(FILES, {})
	tampered = {"EVP.pdf": b"%PDF-1.4 !!!", "extra.txt": b"x"}
	assert evidence.verify_manifest(manifest, tampered) == [
		"missing: csv/qc_tests.csv",
		"not listed: extra.txt",
		"changed: EVP.pdf",
	]


def test_manifest_cannot_list_itself():
	with pytest.raises(RuleError):
		evidence.build_manifest({"manifest.json": b"{}"}, {})


@pytest.mark.parametrize(
	"name, expected",
	[
		("report.pdf", "attachments/QC Test/QCT-1/report.pdf"),
		("../../etc/passwd", "attachments/QC Test/QCT-1/.._.._etc_passwd"),
		("..", "attachments/QC Test/QCT-1/_"),
	],
)
def test_attachment_paths_stay_inside_the_zip(name, expected):
	assert evidence.safe_file_name("QC Test", "QCT-1", name) == expected


# --- life of a pack --------------------------------------------------------------------------------


def test_draft_to_reviewed_to_sent_by_a_quality_manager():
	evidence.check_transition("Draft", "Reviewed", QM, generated=True)
	evidence.check_transition("Reviewed", "Sent", ["System Manager"], generated=True)


@pytest.mark.parametrize(
	"current, requested", [("Draft", "Sent"), ("Sent", "Reviewed"), ("Reviewed", "Draft"), ("Sent", "Sent")]
)
def test_other_moves_are_refused(current, requested):
	with pytest.raises(RuleError) as error:
		evidence.check_transition(current, requested, QM, generated=True)
	assert error.value.kind == Kind.TRANSITION


def test_only_a_quality_manager_reviews():
	with pytest.raises(RuleError) as error:
		evidence.check_transition("Draft", "Reviewed", ["Auditor", "Site Operator"], generated=True)
	assert error.value.kind == Kind.ROLE


def test_a_pack_is_generated_before_review():
	with pytest.raises(RuleError):
		evidence.check_transition("Draft", "Reviewed", QM, generated=False)


def test_only_a_draft_is_generated():
	evidence.check_generate("Draft")
	for status in ("Reviewed", "Sent"):
		with pytest.raises(RuleError) as error:
			evidence.check_generate(status)
		assert error.value.kind == Kind.IMMUTABLE


def test_a_sent_pack_never_changes():
	evidence.check_edit("Sent", [])
	for changed in (["sent_to"], ["pdf_file"], ["items"]):
		with pytest.raises(RuleError):
			evidence.check_edit("Sent", changed, by_pack=True)


def test_a_reviewed_pack_keeps_its_scope():
	evidence.check_edit("Reviewed", ["sent_to"])
	with pytest.raises(RuleError) as error:
		evidence.check_edit("Reviewed", ["to_date"])
	assert error.value.field == "to_date"


def test_status_and_files_change_only_through_the_pack():
	evidence.check_edit("Draft", ["from_date", "lot"])
	evidence.check_edit("Draft", ["status", "pdf_file"], by_pack=True)
	with pytest.raises(RuleError) as error:
		evidence.check_edit("Draft", ["status"])
	assert error.value.field == "status"


def test_a_sent_pack_is_not_deleted():
	evidence.check_delete("Draft")
	with pytest.raises(RuleError):
		evidence.check_delete("Sent")


def test_refusals_name_fields_by_their_labels():
	labels = {"sent_to": "Sent To", "to_date": "To Date"}
	with pytest.raises(RuleError) as caught:
		evidence.check_edit("Sent", ["sent_to"], labels=labels)
	assert caught.value.params == ("Sent To",) and "sent_to" not in str(caught.value)
	with pytest.raises(RuleError) as caught:
		evidence.check_edit("Reviewed", ["to_date"], labels=labels)
	assert caught.value.params == ("To Date",)


def test_a_pack_is_sent_to_someone():
	assert evidence.check_sent_to("  YSMO auditor ") == "YSMO auditor"
	for blank in (None, "", "   "):
		with pytest.raises(RuleError) as caught:
			evidence.check_sent_to(blank)
		assert caught.value.field == "sent_to"
