"""Alert rules that need no Frappe: recipients, exactly-once keys, quarantine windows and batches,
calibration and silence, and the settings' ranges."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from yam_agri_core.rules import alerting
from yam_agri_core.rules.alerting import Candidate, Grant, Reading
from yam_agri_core.rules.thresholds import DEFAULT_BANDS

QM, SO, PO, AUD = "Quality Manager", "Site Operator", "Platform Owner", "Auditor"
A, B = "YEM-TAI-SILO-01", "YEM-SAN-FARM-01"


def user(name, roles, sites, **kw):
	return Candidate(name, roles=set(roles), grants=[Grant(s) for s in sites], **kw)


# --- recipients -----------------------------------------------------------------------------------


def test_the_alert_roles_are_the_contracts_table(contract_alert_roles):
	assert {alert.lower(): roles for alert, roles in alerting.ALERT_ROLES.items()} == contract_alert_roles


def test_recipients_hold_the_role_and_the_site():
	people = [
		user("qm-a", [QM], [A]),
		user("qm-b", [QM], [B]),
		user("so-a", [SO], [A]),
		user("po-a", [PO], [A]),
		user("aud-a", [AUD], [A]),
		user("qm-ab", [QM], [A, B]),
	]
	names = lambda alert: [c.user for c in alerting.select_recipients(people, alert, A)]  # noqa: E731
	assert names("Scale Ticket Mismatch") == ["qm-a", "qm-ab"]
	assert names("Sensor Quarantine") == ["qm-a", "qm-ab", "so-a"]
	assert names("Critical Nonconformance") == ["po-a", "qm-a", "qm-ab"]
	assert names("Sensor Silent") == ["so-a"]


def test_disabled_website_and_ungranted_users_get_nothing():
	people = [
		user("off", [QM], [A], enabled=False),
		user("web", [QM], [A], user_type="Website User"),
		user("nogrant", [QM], []),
		user("admin-no-grant", [QM, "System Manager"], []),
	]
	assert alerting.select_recipients(people, "Certificate Expiring", A) == []


def test_a_grant_limited_to_another_doctype_does_not_count():
	limited = Candidate("lim", roles={QM}, grants=[Grant(A, "Lot")])
	assert alerting.select_recipients([limited], "Certificate Expiring", A, "Certificate") == []
	assert [c.user for c in alerting.select_recipients([limited], "Certificate Expiring", A, "Lot")] == [
		"lim"
	]


def test_a_user_is_listed_once_even_with_two_matching_roles():
	both = user("both", [QM, SO], [A])
	assert [c.user for c in alerting.select_recipients([both, both], "Sensor Quarantine", A)] == ["both"]


def test_recipients_are_grouped_by_language():
	people = [
		user("ar1", [QM], [A], language="ar"),
		user("en1", [QM], [A]),
		user("ar2", [QM], [A], language="ar"),
	]
	assert alerting.group_by_language(people, default="en") == {"ar": ["ar1", "ar2"], "en": ["en1"]}


# --- keys -----------------------------------------------------------------------------------------


def test_same_state_same_key_new_state_new_key():
	first = alerting.alert_key("Certificate Expiring", "CERT-2026-00001", dt.date(2026, 12, 20))
	assert first == "Certificate Expiring|CERT-2026-00001|2026-12-20"
	assert first == alerting.alert_key("Certificate Expiring", "CERT-2026-00001", dt.date(2026, 12, 20))
	renewed = alerting.alert_key("Certificate Expiring", "CERT-2026-00001", dt.date(2027, 12, 20))
	assert renewed != first
	assert (
		alerting.alert_key("Scale Ticket Mismatch", "SCL-2026-00001")
		== "Scale Ticket Mismatch|SCL-2026-00001"
	)
	assert alerting.alert_key("Sensor Silent", "D1", dt.datetime(2026, 11, 26, 8, 5, 9)).endswith(
		"2026-11-26 08:05:09"
	)


def test_keys_fit_the_log_column():
	with pytest.raises(ValueError):
		alerting.alert_key("Sensor Quarantine", "X" * 140)


# --- windows --------------------------------------------------------------------------------------


def test_windows_are_aligned_and_half_open():
	t = dt.datetime(2026, 11, 26, 10, 14, 59)
	w = alerting.window_index(t, 15)
	start, end = alerting.window_bounds(w, 15)
	assert (start, end) == (dt.datetime(2026, 11, 26, 10, 0), dt.datetime(2026, 11, 26, 10, 15))
	assert alerting.window_index(end, 15) == w + 1
	assert alerting.window_index(start, 15) == w


def test_only_closed_windows_are_alerted():
	now = dt.datetime(2026, 11, 26, 10, 7)
	closed = alerting.last_closed_window(now, 15)
	assert alerting.window_bounds(closed, 15)[1] == dt.datetime(2026, 11, 26, 10, 0)
	assert alerting.window_bounds(closed, 15)[1] <= now


# --- quarantine batches ---------------------------------------------------------------------------


def readings(device, n, start, step_s=4, value=lambda i: 42.0, metric="Temperature", site=A):
	return [
		Reading(device, site, metric, start + dt.timedelta(seconds=i * step_s), value(i), "°C")
		for i in range(n)
	]


def test_200_quarantined_readings_in_one_window_are_one_batch_saying_200():
	rows = readings("T1", 200, dt.datetime(2026, 11, 26, 10, 0), value=lambda i: 36 + i % 9)
	batches = alerting.batch_quarantine(alerting.aggregate_readings(rows, 15), DEFAULT_BANDS)
	assert len(batches) == 1
	assert batches[0].count == 200
	assert batches[0].worst == {"Temperature": (44, "°C")}


def test_batches_split_by_device_and_window():
	start = dt.datetime(2026, 11, 26, 10, 0)
	rows = (
		readings("T1", 10, start)
		+ readings("T1", 5, start + dt.timedelta(minutes=15))
		+ readings("T2", 3, start)
	)
	batches = alerting.batch_quarantine(alerting.aggregate_readings(rows, 15))
	assert [(b.device, b.count) for b in batches] == [("T1", 10), ("T1", 5), ("T2", 3)]


def test_metrics_of_one_device_add_up_in_one_batch():
	start = dt.datetime(2026, 11, 26, 10, 0)
	rows = readings("M1", 4, start) + readings("M1", 6, start, metric="Humidity", value=lambda i: 85 + i)
	(batch,) = alerting.batch_quarantine(alerting.aggregate_readings(rows, 15), DEFAULT_BANDS)
	assert batch.count == 10 and set(batch.worst) == {"Temperature", "Humidity"}
	assert batch.worst["Humidity"][0] == 90


def test_the_worst_value_is_the_one_farthest_outside_the_valid_band():
	band = DEFAULT_BANDS["Temperature"]  # valid 10-30
	assert alerting.worst_value(1.0, 33.0, band) == 1.0
	assert alerting.worst_value(8.0, 45.0, band) == 45.0
	assert alerting.worst_value(5.0, 7.0, None) == 7.0


def test_sql_aggregate_reference_matches_a_brute_force_count():
	rng = random.Random(7)
	start = dt.datetime(2026, 11, 26, 0, 0)
	rows = [
		Reading(
			f"D{rng.randint(1, 4)}",
			A,
			"Temperature",
			start + dt.timedelta(seconds=rng.randint(0, 7200)),
			40.0,
		)
		for _ in range(1000)
	]
	batches = alerting.batch_quarantine(alerting.aggregate_readings(rows, 10))
	assert sum(b.count for b in batches) == 1000
	for b in batches:
		lo, hi = alerting.window_bounds(b.window, 10)
		assert b.count == sum(1 for r in rows if r.device == b.device and lo <= r.observed_at < hi)


# --- due dates and silence ------------------------------------------------------------------------


@pytest.mark.parametrize(
	"days, due",
	[(-30, True), (-1, True), (0, True), (7, True), (8, False), (None, False)],
)
def test_calibration_due_within_lead_days_or_overdue(days, due):
	today = dt.date(2026, 11, 26)
	due_date = None if days is None else today + dt.timedelta(days=days)
	assert alerting.calibration_is_due(due_date, today, 7) is due


def test_silence_counts_from_last_seen_or_registration():
	now = dt.datetime(2026, 11, 26, 12, 0)
	created = dt.datetime(2026, 11, 1)
	assert alerting.silent_since(now - dt.timedelta(minutes=59), created, now, 60) is None
	assert alerting.silent_since(now - dt.timedelta(minutes=60), created, now, 60) == now - dt.timedelta(
		minutes=60
	)
	assert alerting.silent_since(None, created, now, 60) == created
	assert alerting.silent_since(now - dt.timedelta(minutes=30), created, now, 20) is not None
	assert alerting.silent_since(now - dt.timedelta(minutes=30), created, now, None) is None  # default 60
