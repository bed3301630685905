"""Benchmark of the alert jobs on a bench site: 100,000 certificates and 1,000,000 sensor readings.

Run it with the bench's Python from the bench's ``sites`` folder, on a site kept for benchmarks
(it adds data under sites coded ``BENCH-…``; the jobs' own writes are rolled back after each run):

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/yam_agri_core/benchmarks/bench_alerts.py --site bench.test

It prints, for each job, the time of the set-based job next to the time of the naive way (a loop
that loads every candidate document). The naive loop is timed on a sample and scaled up, since
running it over everything takes many minutes; the sample size is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

import frappe
from frappe.utils import add_days, getdate, now_datetime

SITES = 20
CERTIFICATES = 100_000
DEVICES = 1_000
READINGS = 1_000_000
QUARANTINE_SHARE = 0.01
DAYS_OF_READINGS = 7
BATCH = 5_000
NAIVE_SAMPLE = 2_000


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("--site", required=True)
	parser.add_argument("--sites-path", default=".")
	parser.add_argument("--certificates", type=int, default=CERTIFICATES)
	parser.add_argument("--readings", type=int, default=READINGS)
	args = parser.parse_args()
	frappe.init(site=args.site, sites_path=args.sites_path)
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		build(args.certificates, args.readings)
		report(args.certificates, args.readings)
	finally:
		frappe.destroy()


# --- data -----------------------------------------------------------------------------------------


def build(certificates: int, readings: int) -> None:
	rng = random.Random(20261126)
	sites = [f"BENCH-{i:02d}" for i in range(SITES)]
	for code in sites:
		if not frappe.db.exists("Site", code):
			frappe.get_doc(
				{
					"doctype": "Site",
					"site_code": code,
					"site_name": code,
					"site_type": "Silo",
					"governorate": "Ta'iz",
				}
			).insert(ignore_permissions=True)
	frappe.db.commit()
	have = frappe.db.count("Certificate", {"site": ("like", "BENCH-%")})
	if have < certificates:
		t = time.perf_counter()
		insert_certificates(rng, sites, certificates - have)
		print(f"built {certificates - have:,} certificates in {time.perf_counter() - t:.1f} s")
	devices = [f"BENCH-DEV-{i:04d}" for i in range(DEVICES)]
	if frappe.db.count("Device", {"site": ("like", "BENCH-%")}) < DEVICES:
		insert_devices(sites, devices)
	have = frappe.db.count("Observation", {"site": ("like", "BENCH-%")})
	if have < readings:
		t = time.perf_counter()
		insert_readings(rng, sites, devices, readings - have)
		print(f"built {readings - have:,} readings in {time.perf_counter() - t:.1f} s")


def base_row(now: dt.datetime, name: str) -> list:
	return [name, now, now, "Administrator", "Administrator", 0]


BASE = ["name", "creation", "modified", "owner", "modified_by", "docstatus"]


def insert_certificates(rng: random.Random, sites: list[str], count: int) -> None:
	today = getdate()
	now = now_datetime()
	fields = [
		*BASE,
		"naming_series",
		"cert_type",
		"certificate_no",
		"issuing_body",
		"site",
		"issue_date",
		"expiry_date",
		"status",
	]
	types = ["FAO GAP", "HACCP", "ISO 22000", "Phytosanitary", "Export", "Organic"]
	rows = []
	for _ in range(count):
		# expiry spread over -60..+700 days; statuses as they were a week ago, so the job has work
		days = rng.randint(-60, 700)
		expiry = add_days(today, days)
		status = "Expired" if days < -7 else ("Expiring Soon" if days <= 23 else "Active")
		rows.append(
			[
				*base_row(now, "BCERT-" + frappe.generate_hash(length=12)),
				"CERT-.YYYY.-.#####",
				rng.choice(types),
				"B-" + frappe.generate_hash(length=8),
				"Bench issuer",
				rng.choice(sites),
				add_days(expiry, -730),
				expiry,
				status,
			]
		)
		if len(rows) == BATCH:
			frappe.db.bulk_insert("Certificate", fields, rows)
			frappe.db.commit()
			rows = []
	if rows:
		frappe.db.bulk_insert("Certificate", fields, rows)
		frappe.db.commit()


def insert_devices(sites: list[str], devices: list[str]) -> None:
	now = now_datetime()
	fields = [*BASE, "device_id", "device_type", "site", "is_active", "stale_after_minutes", "last_seen_at"]
	rows = [
		[*base_row(now, d), d, "Temperature Sensor", sites[i % SITES], 1, 60, now]
		for i, d in enumerate(devices)
		if not frappe.db.exists("Device", d)
	]
	frappe.db.bulk_insert("Device", fields, rows)
	frappe.db.commit()


def insert_readings(rng: random.Random, sites: list[str], devices: list[str], count: int) -> None:
	now = now_datetime()
	start = now - dt.timedelta(days=DAYS_OF_READINGS)
	alerted_before = now - dt.timedelta(hours=1)
	span = int((now - start).total_seconds())
	fields = [
		*BASE,
		"device",
		"site",
		"metric",
		"value",
		"unit",
		"quality_flag",
		"flag_reason",
		"observed_at",
		"alert_sent",
	]
	rows = []
	for _ in range(count):
		i = rng.randrange(DEVICES)
		quarantined = rng.random() < QUARANTINE_SHARE
		value = round(rng.uniform(36, 48), 1) if quarantined else round(rng.uniform(12, 28), 1)
		# a reading is one per device, metric and time (unique index): the rare repeat is dropped on insert
		observed = start + dt.timedelta(seconds=rng.randrange(span))
		rows.append(
			[
				*base_row(observed, frappe.generate_hash(length=20)),
				devices[i],
				sites[i % SITES],
				"Temperature",
				value,
				"°C",
				"Quarantine" if quarantined else "Valid",
				"Bench" if quarantined else None,
				observed,
				int(quarantined and observed < alerted_before),  # earlier runs of the job sent these
			]
		)
		if len(rows) == BATCH * 4:
			frappe.db.bulk_insert("Observation", fields, rows, ignore_duplicates=True)
			frappe.db.commit()
			rows = []
	if rows:
		frappe.db.bulk_insert("Observation", fields, rows, ignore_duplicates=True)
		frappe.db.commit()


# --- timing ---------------------------------------------------------------------------------------


def timed(fn, setup=None) -> float:
	if setup:
		setup()
	t = time.perf_counter()
	fn()
	elapsed = time.perf_counter() - t
	frappe.db.rollback()  # the jobs' writes are not kept: every run measures the same work
	return elapsed


def add_burst(now: dt.datetime, minutes: int) -> None:
	"""200 quarantined readings of one device in the newest closed window (the AT-08 hot bin)."""
	from yam_agri_core.rules import alerting

	start, _end = alerting.window_bounds(alerting.last_closed_window(now, minutes), minutes)
	fields = [*BASE, "device", "site", "metric", "value", "unit", "quality_flag", "observed_at", "alert_sent"]
	rows = [
		[
			*base_row(start, frappe.generate_hash(length=20)),
			"BENCH-DEV-0000",
			"BENCH-00",
			"Temperature",
			42 + i % 5,
			"°C",
			"Quarantine",
			start + dt.timedelta(seconds=4 * i),
			0,
		]
		for i in range(200)
	]
	frappe.db.bulk_insert("Observation", fields, rows, ignore_duplicates=True)


def reopen_all_quarantined() -> None:
	"""Catch-up: the scheduler was down and nothing of the last days was alerted."""
	frappe.db.sql(
		"update `tabObservation` set alert_sent = 0 where site like 'BENCH-%%' and quality_flag = 'Quarantine'"
	)


def report(certificates: int, readings: int) -> None:
	today = getdate()
	now = now_datetime()
	minutes = 15
	lookback = add_days(now, -2)
	all_certs, cert_sample, job, naive = time_certificate_job(today)
	results = [
		time_quarantine_job(label, setup, now, minutes, lookback)
		for label, setup in (
			("steady: newest window, one 200-reading burst", lambda: add_burst(now, minutes)),
			("catch-up: 2 days of quarantined readings", reopen_all_quarantined),
		)
	]
	print_report(all_certs, cert_sample, job, naive, results)


def certificate_job(today: dt.date) -> None:
	from yam_agri_core.alerts import certificates as cert_alerts
	from yam_agri_core.rules import alerting

	cert_alerts.update_statuses(today)
	cert_alerts.send_alerts(alerting.CERTIFICATE_EXPIRING, today)
	cert_alerts.send_alerts(alerting.CERTIFICATE_EXPIRED, today)


def naive_certificate_job(names: list[str], today: dt.date) -> None:
	"""The loop a first version would write: load every certificate, recompute, save, check the log."""
	from yam_agri_core.rules import certificates as cert_rules

	for name in names:
		doc = frappe.get_doc("Certificate", name)
		status = cert_rules.status_from_dates(getdate(doc.expiry_date), today, 30)
		if status != doc.status:
			doc.db_set("status", status, update_modified=True)
		if status in ("Expiring Soon", "Expired"):
			frappe.db.exists("YAM Alert Log", {"alert_key": f"{status}|{name}|{doc.expiry_date}"})


def time_certificate_job(today: dt.date) -> tuple[list[str], list[str], float, float]:
	"""The set-based job over every bench certificate and the naive loop on a sample, scaled up."""
	all_certs = frappe.get_all("Certificate", filters={"site": ("like", "BENCH-%")}, pluck="name")
	cert_sample = random.Random(1).sample(all_certs, min(NAIVE_SAMPLE, len(all_certs)))
	job = timed(lambda: certificate_job(today))
	naive = (
		timed(lambda: naive_certificate_job(cert_sample, today)) * len(all_certs) / max(len(cert_sample), 1)
	)
	return all_certs, cert_sample, job, naive


def unsent_quarantined(lookback: dt.datetime) -> list[str]:
	return frappe.get_all(
		"Observation",
		filters={"quality_flag": "Quarantine", "alert_sent": 0, "observed_at": (">=", lookback)},
		pluck="name",
	)


def naive_quarantine_job(names: list[str], minutes: int) -> None:
	"""Load each unsent quarantined reading, look for its window's alert, mark it."""
	from yam_agri_core.rules import alerting

	for name in names:
		doc = frappe.get_doc("Observation", name)
		window = alerting.window_index(doc.observed_at, minutes)
		frappe.db.exists("YAM Alert Log", {"alert_key": f"Sensor Quarantine|{doc.device}|{window}"})
		frappe.db.set_value("Observation", name, "alert_sent", 1, update_modified=False)


def time_quarantine_job(label: str, setup, now: dt.datetime, minutes: int, lookback: dt.datetime) -> tuple:
	"""One case of the quarantine job after ``setup``: the job, the naive loop on a sample (scaled up)
	and the GROUP BY alone; returns the row of figures for the report."""
	from yam_agri_core.alerts import quarantine
	from yam_agri_core.rules import alerting

	setup()
	pending = unsent_quarantined(lookback)
	batches = len(alerting.batch_quarantine(quarantine.pending_aggregates(now, minutes)))
	frappe.db.rollback()
	sample = min(NAIVE_SAMPLE, len(pending))
	q_job = timed(lambda: quarantine.send_alerts(now), setup)

	def naive_on_sample():
		# the readings pending after this run's setup (its burst has names of its own)
		naive_quarantine_job(random.Random(2).sample(unsent_quarantined(lookback), sample), minutes)

	q_naive = timed(naive_on_sample, setup) * len(pending) / max(sample, 1)
	group_by = timed(lambda: quarantine.pending_aggregates(now, minutes), setup)
	return label, q_job, q_naive, group_by, len(pending), batches, sample


def print_report(
	all_certs: list[str], cert_sample: list[str], job: float, naive: float, results: list
) -> None:
	total_readings = frappe.db.count("Observation", {"site": ("like", "BENCH-%")})
	print()
	print(
		f"data: {len(all_certs):,} certificates and {total_readings:,} readings on {SITES} sites, {DEVICES} devices"
	)
	print(f"{'job':<52}{'set-based':>11}{'naive loop':>13}   notes")
	print(
		f"{'daily certificate status + expiry alerts':<52}{job:>10.2f}s{naive:>12.1f}s"
		f"   naive timed on {len(cert_sample):,} of {len(all_certs):,} and scaled"
	)
	for label, q_job, q_naive, group_by, pending, batches, sample in results:
		print(
			f"{'quarantine batching, ' + label:<52}{q_job:>10.2f}s{q_naive:>12.1f}s"
			f"   {pending:,} unsent readings -> {batches:,} alerts (one per device window);"
			f" naive on {sample:,}; GROUP BY alone {group_by * 1000:.0f} ms"
		)


if __name__ == "__main__":
	main()
