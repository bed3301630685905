"""The shaping rules of the Desk reports (rules.reporting), pure."""

from __future__ import annotations

import datetime as dt

import pytest

from yam_agri_core.rules import reporting as r
from yam_agri_core.rules.messages import Kind, RuleError

TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 12, 0)


# --- sites ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("allowed", "requested", "expected"),
	[
		(None, None, None),
		(None, "A", ["A"]),
		(["B", "A"], None, ["A", "B"]),
		(["A", "B"], "A", ["A"]),
		(["A"], "B", []),
		([], None, []),
		([], "A", []),
	],
)
def test_sites_to_read_denies_by_default(allowed, requested, expected):
	assert r.sites_to_read(allowed, requested) == expected


# --- certificates ---------------------------------------------------------------------------------


def cert(expiry, status="Active"):
	return {"name": "CERT-1", "expiry_date": expiry, "status": status}


def test_certificate_days_left_and_status_today():
	row = r.shape_certificate(cert(TODAY + dt.timedelta(days=20)), TODAY, 30)
	assert (row["days_left"], row["status"], row["needs_action"]) == (20, "Expiring Soon", 1)
	row = r.shape_certificate(cert(TODAY + dt.timedelta(days=31)), TODAY, 30)
	assert (row["days_left"], row["status"], row["needs_action"]) == (31, "Active", 0)
	row = r.shape_certificate(cert(TODAY, "Active"), TODAY, 30)
	assert (row["days_left"], row["status"]) == (0, "Expiring Soon")
	row = r.shape_certificate(cert(TODAY - dt.timedelta(days=1), "Expiring Soon"), TODAY, 30)
	assert (row["days_left"], row["status"]) == (-1, "Expired")


def test_revoked_certificate_stays_revoked():
	row = r.shape_certificate(cert(TODAY + dt.timedelta(days=200), "Revoked"), TODAY, 30)
	assert row["status"] == "Revoked" and row["needs_action"] == 0


def test_count_by_lists_every_key():
	rows = [{"status": "Active"}, {"status": "Active"}, {"status": "Expired"}, {"status": "Odd"}]
	assert r.count_by(rows, "status", ("Active", "Expired", "Revoked")) == {
		"Active": 2,
		"Expired": 1,
		"Revoked": 0,
	}


# --- nonconformance ageing ------------------------------------------------------------------------


@pytest.mark.parametrize(
	("age", "bucket"),
	[(0, "0-7 days"), (7, "0-7 days"), (8, "8-30 days"), (90, "31-90 days"), (91, "Over 90 days")],
)
def test_age_buckets(age, bucket):
	assert r.age_bucket(age) == bucket


def nc(name, opened_days_ago, due_in_days, severity="Major", status="Open", **kw):
	return {
		"name": name,
		"severity": severity,
		"status": status,
		"opened_on": TODAY - dt.timedelta(days=opened_days_ago),
		"due_date": TODAY + dt.timedelta(days=due_in_days) if due_in_days is not None else None,
		"owner": "opener@x",
		**kw,
	}


def test_nonconformance_age_overdue_and_owner():
	row = r.shape_nonconformance(nc("NC-1", 20, -6, assigned_to="qa@x"), TODAY)
	assert (row["age_days"], row["age_bucket"], row["overdue"], row["days_overdue"]) == (
		20,
		"8-30 days",
		1,
		6,
	)
	assert row["responsible"] == "qa@x"
	row = r.shape_nonconformance(nc("NC-2", 3, 0), TODAY)
	assert (row["overdue"], row["days_overdue"], row["responsible"]) == (0, 0, "opener@x")
	row = r.shape_nonconformance(nc("NC-3", 3, None), TODAY)
	assert (row["overdue"], row["days_overdue"]) == (0, 0)


def test_ageing_order_puts_most_overdue_then_critical_first():
	rows = [
		r.shape_nonconformance(nc("NC-A", 5, 10, "Minor"), TODAY),
		r.shape_nonconformance(nc("NC-B", 40, -2, "Minor"), TODAY),
		r.shape_nonconformance(nc("NC-C", 40, -9, "Major"), TODAY),
		r.shape_nonconformance(nc("NC-D", 1, 5, "Critical"), TODAY),
	]
	assert [x["name"] for x in sorted(rows, key=r.ageing_order)] == ["NC-C", "NC-B", "NC-D", "NC-A"]


# --- quarantine review ----------------------------------------------------------------------------


def agg(device, day, metric, count, lo, hi, reasons, unit="°C", site="S1", bin_=None):
	return {
		"device": device,
		"site": site,
		"day": day,
		"metric": metric,
		"count": count,
		"min_value": lo,
		"max_value": hi,
		"unit": unit,
		"storage_bin": bin_,
		"reasons": reasons,
		"first_at": dt.datetime.combine(day, dt.time(1)),
		"last_at": dt.datetime.combine(day, dt.time(count)),
	}


def test_quarantine_grouped_by_device_and_day_with_worst_value():
	d1, d2 = dt.date(2026, 11, 30), dt.date(2026, 12, 1)
	rows = r.group_quarantine(
		[
			agg(
				"DEV-1",
				d1,
				"Temperature",
				3,
				2.0,
				36.0,
				"Temperature 2 °C below critical 5\nTemperature 36 °C above critical 35",
			),
			agg(
				"DEV-1",
				d1,
				"Humidity",
				2,
				85.0,
				90.0,
				"Humidity 90 % above critical 80",
				unit="%",
				bin_="BIN-1",
			),
			agg("DEV-2", d1, "Temperature", 1, 42.0, 42.0, "Temperature 42 °C above critical 35"),
			agg("DEV-1", d2, "Temperature", 4, 40.0, 41.0, "Temperature 41 °C above critical 35"),
		]
	)
	out = [x.as_row() for x in rows]
	assert [(x["day"], x["device"], x["readings"]) for x in out] == [
		(d2, "DEV-1", 4),
		(d1, "DEV-1", 5),
		(d1, "DEV-2", 1),
	]
	first_day = out[1]
	# 2 °C lies 8 below the valid 10, 36 °C only 6 above the valid 30: the cold reading is the worst
	assert first_day["worst_value"] == "Humidity 90 %, Temperature 2 °C"
	assert first_day["metrics"] == "Humidity, Temperature"
	assert first_day["storage_bin"] == "BIN-1"
	assert first_day["reasons"].count(";") == 2
	assert first_day["first_at"] == dt.datetime.combine(d1, dt.time(1))
	assert first_day["last_at"] == dt.datetime.combine(d1, dt.time(3))


def test_quarantine_reasons_are_distinct_and_capped():
	day = dt.date(2026, 12, 1)
	reasons = "\n".join(f"reason {i}" for i in range(8))
	rows = r.group_quarantine(
		[
			agg("D", day, "Temperature", 8, 40, 41, reasons),
			agg("D", day, "CO2", 1, 2500, 2500, "reason 1", unit="ppm"),
		]
	)
	row = rows[0].as_row(label=lambda m: m.upper())
	assert row["reasons"].endswith("(+3)") and row["reasons"].count("reason") == 5
	assert row["metrics"] == "CO2, TEMPERATURE"


# --- scale ticket mismatches ----------------------------------------------------------------------


def test_mismatch_difference_severity_and_totals():
	short = r.shape_mismatch(
		{
			"name": "T1",
			"net_kg": 2200.0,
			"expected_net_kg": 3000.0,
			"deviation_pct": -26.6667,
			"tolerance_pct": 2.0,
		}
	)
	assert (short["difference_kg"], short["beyond_tolerance_pct"], short["severity"]) == (
		-800.0,
		24.6667,
		"Major",
	)
	over = r.shape_mismatch(
		{
			"name": "T2",
			"net_kg": 3090.0,
			"expected_net_kg": 3000.0,
			"deviation_pct": 3.0,
			"tolerance_pct": 2.0,
			"nonconformance": "NC-1",
		}
	)
	assert (over["difference_kg"], over["beyond_tolerance_pct"], over["severity"]) == (90.0, 1.0, "Minor")
	assert r.mismatch_totals([short, over]) == {
		"tickets": 2,
		"short_kg": 800.0,
		"over_kg": 90.0,
		"without_nc": 1,
	}
	assert r.mismatch_totals([]) == {"tickets": 0, "short_kg": 0.0, "over_kg": 0.0, "without_nc": 0}


# --- lot stock ------------------------------------------------------------------------------------


def test_stock_rows_and_totals():
	rows = [
		r.shape_stock(
			{
				"site": "A",
				"lots": 2,
				"declared_qty_kg": 6000.0,
				"weighed_qty_kg": 5900.0,
				"available_qty_kg": 4400.0,
				"weight_difference_kg": -100.0,
			}
		),
		r.shape_stock(
			{
				"site": "B",
				"lots": 1,
				"declared_qty_kg": 1000.0,
				"weighed_qty_kg": None,
				"available_qty_kg": 1000.0,
				"weight_difference_kg": 0.0,
			}
		),
	]
	assert [x["out_kg"] for x in rows] == [1600.0, 0.0]
	assert r.stock_totals(rows) == {
		"lots": 3,
		"declared_qty_kg": 7000.0,
		"weighed_qty_kg": 5900.0,
		"available_qty_kg": 5400.0,
		"weight_difference_kg": -100.0,
	}


# --- device health --------------------------------------------------------------------------------


def device(**kw):
	return {
		"name": "DEV",
		"device_type": "Temperature Sensor",
		"is_active": 1,
		"creation": NOW - dt.timedelta(days=30),
		"last_seen_at": NOW - dt.timedelta(minutes=5),
		"stale_after_minutes": 60,
		"calibration_due_date": None,
		**kw,
	}


def test_device_health_silence_follows_the_alert_rule():
	ok = r.shape_device(device(), NOW, 7)
	assert (ok["connection"], ok["silent"], ok["minutes_since_seen"], ok["problem"]) == ("Reporting", 0, 5, 0)
	silent = r.shape_device(device(last_seen_at=NOW - dt.timedelta(minutes=60)), NOW, 7)
	assert (silent["connection"], silent["silent"], silent["problem"]) == ("Silent", 1, 1)
	never = r.shape_device(device(last_seen_at=None, creation=NOW - dt.timedelta(hours=2)), NOW, 7)
	assert (never["connection"], never["minutes_since_seen"]) == ("Never Reported", None)
	scale = r.shape_device(device(device_type="Scale", last_seen_at=NOW - dt.timedelta(days=3)), NOW, 7)
	assert scale["silent"] == 0 and scale["minutes_since_seen"] == 3 * 24 * 60
	inactive = r.shape_device(device(is_active=0, last_seen_at=None), NOW, 7)
	assert inactive["silent"] == 0


@pytest.mark.parametrize(
	("due_in", "state", "days"),
	[
		(None, "Not Set", None),
		(-1, "Overdue", -1),
		(0, "Due Soon", 0),
		(7, "Due Soon", 7),
		(8, "Up to Date", 8),
	],
)
def test_device_calibration_state(due_in, state, days):
	due = TODAY + dt.timedelta(days=due_in) if due_in is not None else None
	row = r.shape_device(device(calibration_due_date=due), NOW, 7)
	assert (row["calibration"], row["days_to_calibration"]) == (state, days)
	assert row["problem"] == int(state in ("Overdue", "Due Soon"))


# --- access review --------------------------------------------------------------------------------


def flags(**kw):
	args = {
		"enabled": True,
		"user_type": "System User",
		"roles": ["Site Operator"],
		"sites": ["A"],
		"has_api_key": False,
	}
	return r.access_flags(**{**args, **kw})


def test_access_flags():
	assert flags() == []
	assert flags(sites=[]) == [r.FLAG_NO_GRANT]
	assert flags(sites=[], user_type="Website User") == []
	assert flags(enabled=False) == [r.FLAG_DISABLED_WITH_GRANTS]
	assert flags(enabled=False, sites=[]) == []
	assert flags(roles=["System Manager"], sites=[]) == [r.FLAG_SYSTEM_MANAGER]
	assert flags(has_api_key=True, roles=["Sensor Gateway"]) == [r.FLAG_API_KEY]


def test_who_is_reviewed():
	assert r.is_reviewed("a@x", True, [])
	assert r.is_reviewed("b@x", False, ["A"])
	assert not r.is_reviewed("c@x", False, [])
	assert not r.is_reviewed("Guest", True, [])


def test_report_dates_may_not_run_backwards_but_may_be_open():
	r.check_date_order(dt.date(2026, 12, 1), dt.date(2026, 12, 1))
	r.check_date_order(None, dt.date(2026, 12, 1))
	r.check_date_order(dt.date(2026, 12, 1), None)
	with pytest.raises(RuleError) as caught:
		r.check_date_order(dt.date(2026, 12, 2), dt.date(2026, 12, 1))
	assert (caught.value.kind, caught.value.field) == (Kind.DATES, "to_date")
