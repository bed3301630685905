"""Hourly rollups on a real bench: after gateway batches, single readings, a re-flag and a rebuild they
equal a GROUP BY over the raw readings; the Bin Temperature chart read from them keeps site
isolation and marks a bin whose readings were quarantined (a gap, never 0 °C)."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from decimal import Decimal

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, now_datetime

from yam_agri_core.api import ingest_observations
from yam_agri_core.desk import charts
from yam_agri_core.monitoring import rollups
from yam_agri_core.monitoring.ingest import ingest_one_by_one
from yam_agri_core.rules import dashboards
from yam_agri_core.rules.rollups import hour_of
from yam_agri_core.tests.utils import TEST_IGNORE, make_bin, make_device, make_reading, make_site, make_user

test_ignore = TEST_IGNORE

#: The reference: a GROUP BY over the raw readings, written here on its own.
TRUTH_SQL = """
	select o.site, ifnull(o.device, '') as device,
		if(ifnull(o.device, '') = '', ifnull(o.reported_device_id, ''), '') as reported_device_id,
		ifnull(o.storage_bin, '') as storage_bin, o.metric,
		date_format(o.observed_at, '%%Y-%%m-%%d %%H:00:00') as hour,
		count(*) as readings,
		sum(o.quality_flag = 'Valid') as valid_count,
		sum(o.quality_flag = 'Warning') as warning_count,
		sum(o.quality_flag = 'Quarantine') as quarantine_count,
		sum(if(o.quality_flag in ('Valid', 'Warning'), o.value, 0)) as value_sum,
		min(if(o.quality_flag in ('Valid', 'Warning'), o.value, null)) as value_min,
		max(if(o.quality_flag in ('Valid', 'Warning'), o.value, null)) as value_max,
		avg(if(o.quality_flag in ('Valid', 'Warning'), o.value, null)) as value_mean,
		sum(if(o.quality_flag = 'Quarantine', o.value, 0)) as quarantine_sum,
		max(if(o.quality_flag = 'Quarantine', o.value, null)) as quarantine_max
	from `tabObservation` o
	where o.site in %(sites)s
	group by 1, 2, 3, 4, 5, 6"""
FIGURES = (
	"readings",
	"valid_count",
	"warning_count",
	"quarantine_count",
	"value_sum",
	"value_min",
	"value_max",
	"value_mean",
	"quarantine_sum",
	"quarantine_max",
)


def figures(row) -> tuple:
	return tuple(Decimal(str(row[f] or 0)).quantize(Decimal("1e-7")) for f in FIGURES)


def truth(sites: list[str]) -> dict:
	rows = frappe.db.sql(TRUTH_SQL, {"sites": sites}, as_dict=True)
	return {
		(r.site, r.device, r.reported_device_id, r.storage_bin, r.metric, r.hour): figures(r) for r in rows
	}


DAY_FIGURES = tuple(f for f in FIGURES if f != "value_mean")


def truth_days(sites: list[str]) -> dict:
	"""The reference of the day table: the same GROUP BY per day."""
	sql = TRUTH_SQL.replace("date_format(o.observed_at, '%%Y-%%m-%%d %%H:00:00')", "date(o.observed_at)")
	rows = frappe.db.sql(sql, {"sites": sites}, as_dict=True)
	return {
		(r.site, r.device, r.reported_device_id, r.storage_bin, r.metric, str(r.hour)): day_figures(r)
		for r in rows
	}


def day_figures(row) -> tuple:
	return tuple(Decimal(str(row[f] or 0)).quantize(Decimal("1e-7")) for f in DAY_FIGURES)


def stored_days(sites: list[str]) -> dict:
	rows = frappe.db.sql(
		f"select * from {rollups.DAILY_TABLE} where site in %(sites)s", {"sites": sites}, as_dict=True
	)
	return {
		(r.site, r.device, r.reported_device_id, r.storage_bin, r.metric, str(r.day)): day_figures(r)
		for r in rows
	}


def stored(sites: list[str]) -> dict:
	rows = frappe.get_all("Observation Hourly", {"site": ["in", sites]}, ["*"])
	return {
		(
			r.site,
			r.device or "",
			r.reported_device_id or "",
			r.storage_bin or "",
			r.metric,
			r.hour.strftime("%Y-%m-%d %H:00:00"),
		): figures(r)
		for r in rows
	}


def gateway_reading(device: str, at: dt.datetime, value: float, **extra) -> dict:
	return {
		"device": device,
		"observed_at": at.isoformat(sep=" "),
		"metric": "Temperature",
		"value": value,
		"unit": "°C",
		**extra,
	}


class TestRollups(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site_a, cls.site_b = make_site().name, make_site().name
		cls.s1, cls.s2 = make_bin(cls.site_a, "S1").name, make_bin(cls.site_a, "S2").name
		cls.b1 = make_bin(cls.site_b, "S1").name
		cls.dev1 = make_device(cls.site_a, storage_bin=cls.s1).name
		cls.dev2 = make_device(cls.site_a, storage_bin=cls.s2).name
		cls.dev_b = make_device(cls.site_b, storage_bin=cls.b1).name
		roles = ["Quality Manager", "Site Operator"]
		cls.user_a = make_user(roles, [cls.site_a], "roll-a")
		cls.user_b = make_user(roles, [cls.site_b], "roll-b")
		cls.user_none = make_user(roles, [], "roll-none")
		cls.sites = [cls.site_a, cls.site_b]

	def tearDown(self):
		frappe.set_user("Administrator")

	def assert_rollups_equal_group_by(self):
		expected = truth(self.sites)
		self.assertTrue(expected)
		got = stored(self.sites)
		differing = {
			k: (got.get(k), expected.get(k))
			for k in got.keys() | expected.keys()
			if got.get(k) != expected.get(k)
		}
		self.assertEqual(
			differing, {}, f"{len(differing)} of {len(expected)} rollups differ (stored, group by)"
		)
		days, expected_days = stored_days(self.sites), truth_days(self.sites)
		differing = {
			k: (days.get(k), expected_days.get(k))
			for k in days.keys() | expected_days.keys()
			if days.get(k) != expected_days.get(k)
		}
		self.assertEqual(differing, {}, f"{len(differing)} of {len(expected_days)} days differ")

	def hours_ago(self, hours: float) -> dt.datetime:
		return add_to_date(now_datetime(), hours=-hours).replace(microsecond=0)

	def random_batch(self, rng: random.Random, n: int, hours_back: float) -> list[dict]:
		batch = []
		for _ in range(n):
			device = rng.choice([self.dev1, self.dev2, self.dev_b])
			at = self.hours_ago(rng.uniform(0.05, hours_back)).replace(second=rng.randrange(60))
			batch.append(gateway_reading(device, at, round(rng.uniform(8, 45), 2)))
		# a device that is not registered: kept as Quarantine under the id it sent
		batch.append(gateway_reading("NOT-REGISTERED-1", self.hours_ago(1.5), 20, site=self.site_a))
		return batch

	def test_gateway_batches_late_readings_and_resends_equal_the_group_by(self):
		rng = random.Random(21)
		first = self.random_batch(rng, 400, 5)
		result = ingest_observations(first)
		self.assertGreater(len(result["accepted"]), 300)
		flags = {r["quality_flag"] for r in result["accepted"]}
		self.assertEqual(flags, {"Valid", "Warning", "Quarantine"})
		self.assert_rollups_equal_group_by()
		# a second batch, then late readings landing in hours already rolled up
		ingest_observations(self.random_batch(rng, 300, 3))
		late = self.random_batch(rng, 100, 30)
		ingest_observations(late)
		self.assert_rollups_equal_group_by()
		# a re-sent batch is all duplicates and changes nothing
		before = stored(self.sites)
		again = ingest_observations(late)
		self.assertEqual(again["accepted"], [])
		self.assertEqual(stored(self.sites), before)

	def test_single_readings_through_their_document(self):
		device = make_device(self.site_a, storage_bin=self.s1).name
		for minutes, value in ((10, 21.0), (12, 22.5), (14, 43.7), (70, 33.0)):
			make_reading(device, value, minutes_ago=minutes)
		ingest_one_by_one(
			[gateway_reading(self.dev2, self.hours_ago(0.5 + i / 60), 20 + i) for i in range(5)]
		)
		self.assert_rollups_equal_group_by()
		row = frappe.get_all(
			"Observation Hourly",
			{"device": device, "quarantine_count": [">", 0]},
			["value_max", "quarantine_max"],
		)[0]
		self.assertEqual((row.value_max < 35, row.quarantine_max), (True, 43.7))

	def test_a_reflag_recomputes_the_hour(self):
		hour = hour_of(self.hours_ago(3))
		for minute, value in ((5, 21.0), (6, 29.5), (7, 24.0)):
			at = hour + dt.timedelta(minutes=minute)
			make_reading(self.dev2, value, minutes_ago=(now_datetime() - at).total_seconds() / 60)
		hottest = frappe.get_all(
			"Observation", {"device": self.dev2, "value": 29.5}, pluck="name", limit_page_length=1
		)[0]
		frappe.get_doc("Observation", hottest).db_set("quality_flag", "Quarantine")
		self.assert_rollups_equal_group_by()
		(row,) = frappe.get_all(
			"Observation Hourly", {"device": self.dev2, "hour": hour}, ["value_max", "quarantine_count"]
		)
		self.assertEqual((row.value_max, row.quarantine_count), (24.0, 1))

	def test_rebuild_repairs_any_window_idempotently_and_keeps_archived_hours(self):
		rng = random.Random(5)
		ingest_observations(self.random_batch(rng, 200, 6))
		# readings written behind the app's back, a rollup spoiled, a rollup whose readings were archived
		frappe.db.sql(
			"""insert into `tabObservation` (name, creation, modified, owner, modified_by, site, device,
			storage_bin, observed_at, metric, value, unit, quality_flag)
			values (%s, now(), now(), 'Administrator', 'Administrator', %s, %s, %s, %s, 'Temperature', 27.25,
			'°C', 'Valid')""",
			(frappe.generate_hash(length=10), self.site_a, self.dev1, self.s1, self.hours_ago(2.2)),
		)
		frappe.db.sql(
			"update `tabObservation Hourly` set readings = 0, value_max = 999 where site = %s", self.site_a
		)
		archived_hour = self.hours_ago(24 * 400).replace(minute=0, second=0)
		archived = {
			"site": self.site_a,
			"device": self.dev1,
			"storage_bin": self.s1,
			"metric": "Temperature",
			"observed_at": archived_hour,
			"value": 19.0,
			"quality_flag": "Valid",
		}
		rollups.add_readings([archived])
		start = self.hours_ago(24 * 500)
		first = rollups.rebuild_rollups(str(start), str(now_datetime()), self.site_a)
		after_first = stored(self.sites)
		second = rollups.rebuild_rollups(str(start), str(now_datetime()), self.site_a)
		self.assertEqual(stored(self.sites), after_first)
		self.assertEqual((first["rows"], second["from"]), (second["rows"], first["from"]))
		self.assertGreater(first["rows"], 0)
		archived_key = (
			self.site_a,
			self.dev1,
			"",
			self.s1,
			"Temperature",
			archived_hour.strftime("%Y-%m-%d %H:00:00"),
		)
		self.assertIn(archived_key, after_first)
		del after_first[archived_key]
		self.assertEqual(after_first, truth(self.sites))
		frappe.db.sql("delete from `tabObservation Hourly` where hour = %s", archived_hour)
		frappe.db.sql(f"delete from {rollups.DAILY_TABLE} where day = %s", archived_hour.date())
		# one site only
		frappe.db.sql("update `tabObservation Hourly` set readings = 0 where site in %s", [self.sites])
		rollups.rebuild_rollups(str(start), site=self.site_b)
		counts = dict(
			frappe.db.sql(
				"select site, min(readings) from `tabObservation Hourly` where site in %s group by site",
				[self.sites],
			)
		)
		self.assertEqual(counts[self.site_a], 0)
		self.assertGreater(counts[self.site_b], 0)
		# every site, over the hours spoiled
		since = frappe.db.sql(
			"select min(hour) from `tabObservation Hourly` where site in %s and readings = 0", [self.sites]
		)[0][0]
		rollups.rebuild_rollups(str(since))
		self.assert_rollups_equal_group_by()

	def test_rebuild_is_for_system_managers(self):
		frappe.set_user(self.user_a)
		with self.assertRaises(frappe.PermissionError):
			rollups.rebuild_rollups(str(self.hours_ago(2)))

	def chart(self, user: str, **filters) -> dict:
		frappe.set_user(user)
		return charts.get_bin_temperature(filters=json.dumps(filters))

	def test_bin_chart_marks_a_quarantined_bin_and_draws_no_zero(self):
		# sites of their own: the other tests' random readings stay out of this chart
		site_a, site_b = make_site().name, make_site().name
		s1, s2, b1 = make_bin(site_a, "S1").name, make_bin(site_a, "S2").name, make_bin(site_b, "S1").name
		dev1, dev2 = make_device(site_a, storage_bin=s1).name, make_device(site_a, storage_bin=s2).name
		dev_b = make_device(site_b, storage_bin=b1).name
		roles = ["Quality Manager", "Site Operator"]
		user_a, user_b = make_user(roles, [site_a], "chart-a"), make_user(roles, [site_b], "chart-b")
		readings = []
		for h in range(1, 6):
			readings.append(gateway_reading(dev1, self.hours_ago(h), 21 + h / 10))
			readings.append(gateway_reading(dev_b, self.hours_ago(h), 18 + h / 10))
		# S2's real 43.7 degree readings: quarantined, only in the last two hours
		readings += [gateway_reading(dev2, self.hours_ago(h), 43.7 + h / 100) for h in (1, 2)]
		readings.append(gateway_reading(dev2, self.hours_ago(4), 24.0))
		ingest_observations(readings)
		self.sites += [site_a, site_b]
		self.assert_rollups_equal_group_by()
		quarantined = frappe._("{0} (quarantined)").format("S2")
		for period in dashboards.PERIODS:
			with self.subTest(period=period):
				data = self.chart(user_a, period=period)
				series = {d["name"]: d["values"] for d in data["datasets"]}
				self.assertEqual(set(series), {"S1", quarantined})
				for values in series.values():
					self.assertNotIn(0, values)
					self.assertEqual(len(values), len(data["labels"]))
				if period == "Last 24 Hours":
					self.assertIn(None, series[quarantined])
					self.assertTrue(all(re.fullmatch(r"\d\d:\d\d", label) for label in data["labels"]))
				if period == "Last 7 Days":
					self.assertTrue(all(re.fullmatch(r"\d\d-\d\d", label) for label in data["labels"]))
				# the quarantined readings never enter the mean unless asked for
				self.assertLess(max(v for v in series[quarantined] if v is not None), 35)
		asked = self.chart(user_a, period="Last 24 Hours", include_quarantined=1)
		s2 = next(d["values"] for d in asked["datasets"] if d["name"] == quarantined)
		self.assertGreater(max(v for v in s2 if v is not None), 43)
		# another site's user sees their own bin only, a user without a grant nothing
		self.assertEqual([d["name"] for d in self.chart(user_b)["datasets"]], ["S1"])
		self.assertEqual(self.chart(user_b, storage_bin=s2), {})
		self.assertEqual(self.chart(user_b, site=site_a), {})
		self.assertEqual(self.chart(self.user_none), {})

	def test_bin_chart_means_equal_the_raw_readings(self):
		rng = random.Random(3)
		ingest_observations(
			[
				gateway_reading(self.dev1, self.hours_ago(rng.uniform(0.1, 47)), rng.uniform(15, 29))
				for _ in range(300)
			]
		)
		data = self.chart("Administrator", period="Last 7 Days", storage_bin=self.s1)
		(values,) = [d["values"] for d in data["datasets"]]
		raw = dict(
			frappe.db.sql(
				"""select date(observed_at), round(avg(value), 2) from `tabObservation`
				where storage_bin = %s and metric = 'Temperature' and quality_flag in ('Valid', 'Warning')
				group by 1""",
				self.s1,
			)
		)
		start, bucket = dashboards.period_window("Last 7 Days", now_datetime())
		slots = dashboards.buckets(start, now_datetime(), bucket)
		expected = [float(raw[s.date()]) if s.date() in raw else None for s in slots]
		self.assertEqual([v is None for v in values], [v is None for v in expected])
		for got, want in zip(values, expected, strict=True):
			if want is not None:
				self.assertAlmostEqual(got, want, delta=0.011)
