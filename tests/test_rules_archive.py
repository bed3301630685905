"""The readings archive's rules (rules.archive): which months are due, where their file lives, the
checksum a file is checked against, what a month needs, and how archived answers merge with live ones."""

from __future__ import annotations

import datetime as dt

import pytest

from yam_agri_core.rules import archive, settings
from yam_agri_core.rules.messages import RuleError

NOW = dt.datetime(2026, 12, 6, 14, 0)


def test_the_retention_defaults_to_180_days_and_is_a_settings_knob():
	assert settings.SETTING_DEFAULTS["keep_readings_live_days"] == 180
	assert "keep_readings_live_days" in {k.fieldname for k in settings.SETTING_RANGES}
	with pytest.raises(RuleError):
		settings.validate_settings({"keep_readings_live_days": 3})


def test_month_bounds_are_half_open_and_december_rolls_over():
	assert archive.month_bounds("2026-02") == (dt.datetime(2026, 2, 1), dt.datetime(2026, 3, 1))
	assert archive.month_bounds("2025-12") == (dt.datetime(2025, 12, 1), dt.datetime(2026, 1, 1))
	for bad in ("2026-13", "2026-1", "26-01", "", "2026-01/../x"):
		with pytest.raises(RuleError):
			archive.month_bounds(bad)


def test_a_month_is_due_only_when_all_of_it_is_older_than_the_retention():
	# 180 days before 2026-12-06 14:00 is 2026-06-09 14:00
	assert archive.cutoff(NOW, 180) == dt.datetime(2026, 6, 9, 14, 0)
	assert archive.is_due("2026-05", NOW, 180)
	assert not archive.is_due("2026-06", NOW, 180)  # partly inside the retention: stays whole
	assert not archive.is_due("2026-11", NOW, 180)
	# the month ending exactly at the cutoff is due
	assert archive.is_due("2026-05", dt.datetime(2026, 11, 29), 181)
	assert not archive.is_due("2026-05", dt.datetime(2026, 11, 28, 23, 59), 181)


def test_due_months_are_per_site_oldest_first_and_each_once():
	present = [("B", "2026-05"), ("A", "2026-05"), ("A", "2026-01"), ("A", "2026-11"), ("A", "2026-05")]
	assert archive.due_months(present, NOW, 180) == [("A", "2026-01"), ("A", "2026-05"), ("B", "2026-05")]
	assert archive.due_months(present, NOW, 3650) == []


def test_the_retention_must_be_positive():
	with pytest.raises(RuleError):
		archive.cutoff(NOW, 0)


def test_months_overlapping_a_period():
	months = ["2026-01", "2026-02", "2026-03"]
	assert archive.months_overlapping(dt.datetime(2026, 1, 31, 23), dt.datetime(2026, 2, 1), months) == [
		"2026-01"
	]
	assert archive.months_overlapping(dt.datetime(2026, 2, 1), dt.datetime(2026, 3, 1), months) == ["2026-02"]
	assert archive.months_overlapping(None, None, months) == months
	assert archive.months_overlapping(dt.datetime(2026, 2, 15), None, months) == ["2026-02", "2026-03"]


def test_one_file_per_site_and_month_under_the_private_files():
	assert archive.archive_relpath("YEM-TAI-SILO-01", "2026-05") == (
		"yam_archive/observation/YEM-TAI-SILO-01/2026-05.parquet"
	)
	for site in ("../etc", "A/B", "", ".", "A..B"):
		with pytest.raises(RuleError):
			archive.archive_relpath(site, "2026-05")
	assert archive.temp_path("/x/y/2026-05.parquet", "ab12") == "/x/y/.2026-05.parquet.ab12.tmp"


def rows():
	return [
		("b", dt.datetime(2026, 5, 1, 0, 1), 21.5, "Valid"),
		("a", dt.datetime(2026, 5, 1, 0, 1), 22.0, "Warning"),
		("c", dt.datetime(2026, 5, 1, 0, 0), None, "Quarantine"),
	]


def test_the_checksum_is_over_the_ordered_rows_whatever_order_they_come_in():
	first = archive.manifest_of(rows())
	assert first == archive.manifest_of(list(reversed(rows())))
	assert first.rows == 3
	ordered = sorted(rows(), key=lambda r: (r[1], r[0]))
	assert archive.RowChecksum().add_all(ordered).manifest() == first


def test_the_checksum_sees_every_column_it_covers():
	base = archive.manifest_of(rows())
	for index, changed in ((2, 21.500001), (3, "Valid"), (1, dt.datetime(2026, 5, 1, 0, 0, 0, 1))):
		altered = [list(r) for r in rows()]
		altered[2][index] = changed
		assert archive.manifest_of([tuple(r) for r in altered]) != base


def test_a_value_reads_the_same_from_a_decimal_column_and_from_parquet():
	assert archive.row_line("n", dt.datetime(2026, 5, 1), 23.1, "Valid") == archive.row_line(
		"n", dt.datetime(2026, 5, 1), 23.100000000, "Valid"
	)
	assert archive.row_line("n", dt.datetime(2026, 5, 1), 10, "Valid").endswith("\t10.0\tValid\n")


def test_a_file_is_refused_when_its_rows_or_checksum_differ():
	good = archive.manifest_of(rows())
	archive.check_manifest(good, good, "f")
	with pytest.raises(RuleError):
		archive.check_manifest(good, archive.Manifest(2, good.checksum), "f")
	with pytest.raises(RuleError):
		archive.check_manifest(good, archive.Manifest(3, "0" * 64), "f")


def test_what_a_due_month_needs():
	# live readings to move: always a move (first time, after a crash, or late readings of an archived month)
	for status in (None, archive.WRITTEN, archive.ARCHIVED):
		for exists in (True, False):
			assert archive.plan_month(status, exists, 5) == archive.MOVE
	# a second run: nothing live, recorded as archived: nothing moves
	assert archive.plan_month(archive.ARCHIVED, True, 0) == archive.SKIP
	# a file but no finished record, nothing live: checked and recorded
	assert archive.plan_month(None, True, 0) == archive.RECORD
	assert archive.plan_month(archive.WRITTEN, True, 0) == archive.RECORD
	assert archive.plan_month(None, False, 0) == archive.SKIP
	# a reading named after its file was written stays live: the file is rewritten without it
	assert archive.plan_month(archive.WRITTEN, True, 0, file_holds_live=True) == archive.MOVE


def test_readings_named_or_counted_by_an_alert_stay_in_the_database():
	at = dt.datetime(2026, 5, 3, 10, 7)
	windows = {"DEV-1": [(dt.datetime(2026, 5, 3, 10, 0), dt.datetime(2026, 5, 3, 10, 15))]}
	assert archive.kept_in_database("nc-named", "DEV-2", at, "Valid", {"nc-named"}, {})
	assert archive.kept_in_database("q", "DEV-1", at, "Quarantine", set(), windows)
	assert not archive.kept_in_database("v", "DEV-1", at, "Valid", set(), windows)
	assert not archive.kept_in_database("q", "DEV-2", at, "Quarantine", set(), windows)
	assert not archive.kept_in_database(
		"q", "DEV-1", dt.datetime(2026, 5, 3, 10, 15), "Quarantine", set(), windows
	)
	assert not archive.kept_in_database("q", None, at, "Quarantine", set(), windows)


def test_a_daily_summary_merges_live_and_archived_counts_and_means():
	live = [
		{
			"device": "D",
			"metric": "Temperature",
			"unit": "°C",
			"day": "2026-05-01",
			"count": 2,
			"min": 20.0,
			"max": 24.0,
			"sum": 44.0,
		}
	]
	archived = [
		{
			"device": "D",
			"metric": "Temperature",
			"unit": "°C",
			"day": dt.date(2026, 5, 1),
			"count": 2,
			"min": 18.0,
			"max": 22.0,
			"sum": 40.0,
		},
		{
			"device": "D",
			"metric": "Humidity",
			"unit": "%",
			"day": dt.date(2026, 5, 1),
			"count": 1,
			"min": 50.0,
			"max": 50.0,
			"sum": 50.0,
		},
	]
	merged = {(r["metric"], r["day"]): r for r in archive.merge_daily_summary(live, archived)}
	temperature = merged[("Temperature", "2026-05-01")]
	assert (temperature["count"], temperature["min"], temperature["max"], temperature["mean"]) == (
		4,
		18.0,
		24.0,
		21.0,
	)
	assert merged[("Humidity", "2026-05-01")]["mean"] == 50.0


def test_quarantine_groups_merge_counts_extremes_and_reasons():
	one = {
		"device": "D",
		"site": "S",
		"day": dt.date(2026, 5, 1),
		"metric": "Temperature",
		"count": 2,
		"min_value": 40.0,
		"max_value": 45.0,
		"first_at": dt.datetime(2026, 5, 1, 1),
		"last_at": dt.datetime(2026, 5, 1, 2),
		"unit": "°C",
		"storage_bin": "B1",
		"reasons": "too hot",
	}
	two = {
		**one,
		"count": 1,
		"min_value": 39.0,
		"max_value": 39.0,
		"first_at": dt.datetime(2026, 5, 1, 0),
		"last_at": dt.datetime(2026, 5, 1, 0),
		"reasons": "spike\ntoo hot",
	}
	(merged,) = archive.merge_quarantine_groups([one, two])
	assert merged["count"] == 3
	assert (merged["min_value"], merged["max_value"]) == (39.0, 45.0)
	assert merged["first_at"] == dt.datetime(2026, 5, 1, 0) and merged["last_at"] == dt.datetime(
		2026, 5, 1, 2
	)
	assert merged["reasons"] == "spike\ntoo hot"


def test_sizes_read_as_people_read_them():
	assert archive.human_bytes(512) == "512 B"
	assert archive.human_bytes(3 * 1024 * 1024) == "3.0 MB"
	assert archive.human_bytes(None) == "0 B"
