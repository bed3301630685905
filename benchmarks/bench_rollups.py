"""Benchmark of the hourly rollups: the Bin Temperature chart over 24 hours, 7 days, 30 days and a year
read from the rollups (``Observation Hourly``) against the same chart from a scan of the raw readings,
and gateway ingest with the rollup upkeep against without it.

Run it with the bench's Python from the bench's ``sites`` folder, as the bench user, on a site kept
for benchmarks:

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/benchmarks/bench_rollups.py --site roll.test

The first run seeds a year of readings of 20 sensors each minute (10,512,000 readings) at site
``BENCH-ROLL`` with ``INSERT ... SELECT`` from MariaDB's sequence engine, one sensor-month per statement
(committed, so an interrupted seed resumes), a quarantined hot spell in bin S2 (its readings at 43.7 °C
in the last 3 days), then the rollups of every hour (``rebuild``, a day per statement). Later runs
find them and only measure. Ingest is measured on 20 other sensors whose readings are deleted after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time

import frappe
from bench_masters import ensure_sensors
from frappe.utils import now_datetime

SITE = "BENCH-ROLL"
SENSORS = 20
BINS = 10
MINUTES = 365 * 24 * 60
INGEST_SENSORS = 20
BATCH = 5_000
RUNS = 3
TARGET_MS = 200


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("--site", required=True)
	parser.add_argument("--sites-path", default=".")
	parser.add_argument("--minutes", type=int, default=MINUTES, help="minutes of readings per sensor")
	parser.add_argument("--seed-only", action="store_true")
	parser.add_argument("--skip-ingest", action="store_true")
	args = parser.parse_args()
	frappe.init(site=args.site, sites_path=args.sites_path)
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		end = seed(args.minutes)
		if args.seed_only:
			return
		charts(end)
		if not args.skip_ingest:
			ingest()
	finally:
		frappe.db.rollback()
		frappe.destroy()


# --- seed ----------------------------------------------------------------------------------------


def masters() -> list[tuple[str, str]]:
	"""The site, its bins and sensors (two sensors a bin); (device, bin) pairs."""
	if not frappe.db.exists("Site", SITE):
		frappe.get_doc(
			{
				"doctype": "Site",
				"site_code": SITE,
				"site_name": SITE,
				"site_type": "Silo",
				"governorate": "Ta'iz",
			}
		).insert(ignore_permissions=True)
	pairs = []
	for b in range(1, BINS + 1):
		code = f"S{b}"
		bin_name = frappe.db.get_value("Storage Bin", {"site": SITE, "bin_code": code}, "name")
		if not bin_name:
			bin_name = (
				frappe.get_doc(
					{
						"doctype": "Storage Bin",
						"site": SITE,
						"bin_code": code,
						"bin_type": "Silo",
						"capacity_kg": 1e6,
					}
				)
				.insert(ignore_permissions=True)
				.name
			)
		for s in range(2):
			device_id = f"{SITE}-T{(b - 1) * 2 + s:02d}"
			if not frappe.db.exists("Device", device_id):
				frappe.get_doc(
					{
						"doctype": "Device",
						"device_id": device_id,
						"device_type": "Temperature Sensor",
						"site": SITE,
						"storage_bin": bin_name,
					}
				).insert(ignore_permissions=True)
			pairs.append((device_id, bin_name))
	frappe.db.commit()
	return pairs[:SENSORS]


def seed(minutes: int) -> dt.datetime:
	"""A year (``minutes``) of readings of every sensor up to the last whole hour; the rollups of it."""
	pairs = masters()
	end = now_datetime().replace(minute=0, second=0, microsecond=0)
	start = end - dt.timedelta(minutes=minutes)
	hot_from = end - dt.timedelta(days=3)
	t0 = time.perf_counter()
	written = 0
	for sensor, (device, bin_name) in enumerate(pairs):
		have = frappe.db.count("Observation", {"device": device})
		if have >= minutes:
			continue
		frappe.db.delete("Observation", {"device": device})  # an interrupted sensor starts over
		frappe.db.commit()
		chunk = 30 * 24 * 60
		for first in range(0, minutes, chunk):
			last = min(first + chunk, minutes) - 1
			seed_chunk(sensor, device, bin_name, start, first, last, hot_from)
			frappe.db.commit()
			written += last - first + 1
		print(f"  seeded {device}: {written:,} readings, {time.perf_counter() - t0:,.0f} s", flush=True)
	if written:
		rate = written / (time.perf_counter() - t0)
		print(f"seeded {written:,} readings in {time.perf_counter() - t0:,.0f} s ({rate:,.0f} readings/s)")
	total = frappe.db.count("Observation", {"site": SITE})
	if not frappe.db.count("Observation Hourly", {"site": SITE}) or written:
		from yam_agri_core.monitoring import rollups

		t0 = time.perf_counter()
		rollups.rebuild(start, end + dt.timedelta(hours=1), SITE, commit=True)
		seconds = time.perf_counter() - t0
		print(f"rolled up {total:,} readings in {seconds:,.0f} s ({total / seconds:,.0f} readings/s)")
	rows = frappe.db.count("Observation Hourly", {"site": SITE})
	print(f"site {SITE}: {total:,} readings, {rows:,} hourly rollups, last reading {end}\n")
	return end


def seed_chunk(sensor, device, bin_name, start, first, last, hot_from) -> None:
	"""Readings ``first``..``last`` minutes after ``start`` in one INSERT ... SELECT: a daily swing
	around a seasonal mean, a little noise; bin S2's first sensor reads 43.7 °C from ``hot_from`` on,
	quarantined (a critical breach)."""
	hot = 1 if sensor == 2 else 0
	frappe.db.sql(
		f"""insert into `tabObservation` (name, creation, modified, modified_by, owner, docstatus, idx,
			device, site, storage_bin, observed_at, metric, value, unit, quality_flag, flag_reason, alert_sent)
		select concat('br', lpad(%(sensor)s, 2, '0'), '-', seq), %(stamp)s, %(stamp)s, 'Administrator',
			'Administrator', 0, 0, %(device)s, %(site)s, %(bin)s, t.at, 'Temperature', t.v, '°C',
			case when t.v > 35 then 'Quarantine' when t.v > 30 or t.v < 10 then 'Warning' else 'Valid' end,
			case when t.v > 35 then 'Temperature above the critical limit' end, 1
		from (
			select seq, %(start)s + interval seq minute as at,
				case when {hot} and %(start)s + interval seq minute >= %(hot_from)s then 43.7
				else round(22 + 6 * sin(2 * pi() * seq / 525600) + 3 * sin(2 * pi() * seq / 1440)
					+ %(sensor)s / 10 + (rand(seq) - 0.5), 2) end as v
			from seq_{first}_to_{last}
		) t""",
		{
			"sensor": sensor,
			"stamp": now_datetime(),
			"device": device,
			"site": SITE,
			"bin": bin_name,
			"start": start,
			"hot_from": hot_from,
		},
	)


# --- the chart -----------------------------------------------------------------------------------------


def raw_chart(period: str) -> dict:
	"""The Bin Temperature chart as it was drawn before the rollups: one GROUP BY over the raw readings
	of the window (through ``frappe.get_list``, as Administrator), shaped the same way."""
	from frappe.utils import format_date, format_datetime

	from yam_agri_core.desk import charts
	from yam_agri_core.rules import dashboards

	now = now_datetime()
	start, bucket = dashboards.period_window(period, now)
	slot = {
		dashboards.HOURLY: (["date(observed_at) as day", "hour(observed_at) as h"], "day, h"),
		dashboards.DAILY: (["date(observed_at) as day"], "day"),
		dashboards.MONTHLY: (["year(observed_at) as year", "month(observed_at) as month"], "year, month"),
	}[bucket]
	rows = frappe.get_list(
		"Observation",
		filters={
			"metric": "Temperature",
			"quality_flag": ["in", ["Valid", "Warning"]],
			"observed_at": [">=", start],
			"storage_bin": ["is", "set"],
		},
		fields=[
			"storage_bin",
			*slot[0],
			"sum(value) as total",
			"count(*) as valid",
			"max(value) as highest",
		],
		group_by=f"storage_bin, {slot[1]}",
		order_by="storage_bin",
		limit_page_length=0,
	)
	if bucket == dashboards.HOURLY:
		for r in rows:
			r["hour"] = dt.datetime.combine(r["day"], dt.time(int(r["h"])))
	drawn = dashboards.temperature_series(rows, start, now, bucket)
	show = format_datetime if bucket == dashboards.HOURLY else format_date
	pattern = dashboards.LABEL_FORMATS[bucket]
	return charts.chart([show(s, pattern) for s in drawn.slots], drawn.series)


def timed(fn, *args) -> tuple[float, object]:
	"""Median of ``RUNS`` runs after a warm-up, in ms (each run a fresh request cache); one run more
	after the warm-up when that took over 5 s (a raw scan of a year)."""
	t0 = time.perf_counter()
	result = fn(*args)
	times = []
	for _ in range(RUNS if time.perf_counter() - t0 < 5 else 1):
		frappe.local.request_cache.clear()
		t0 = time.perf_counter()
		result = fn(*args)
		times.append((time.perf_counter() - t0) * 1000)
	return statistics.median(times), result


def charts(end: dt.datetime) -> None:
	from yam_agri_core.desk import charts as desk_charts
	from yam_agri_core.rules import dashboards

	frappe.set_user("Administrator")
	print(
		"Bin Temperature as Administrator (every site), median of 3 runs after a warm-up (1 when over 5 s):"
	)
	print(f"{'window':<15} {'rollups':>10} {'raw scan':>10} {'speed-up':>9}  rows  datasets")
	for period in dashboards.PERIODS:
		fast, data = timed(desk_charts.get_bin_temperature, None, json.dumps({"period": period}))
		slow, _raw = timed(raw_chart, period)
		quarantined = [d["name"] for d in data.get("datasets", []) if "(" in d["name"]]
		print(
			f"{period:<15} {fast:>8.0f} ms {slow:>8.0f} ms {slow / fast:>8.0f}x"
			f"  {len(data.get('labels', [])):>4}  {len(data.get('datasets', []))} (marked: {', '.join(quarantined) or '-'})"
			+ ("" if fast < TARGET_MS else f"  over the {TARGET_MS} ms goal")
		)
	print()


# --- ingest --------------------------------------------------------------------------------------------


def ingest() -> None:
	from yam_agri_core.api import ingest_observations
	from yam_agri_core.monitoring.doctype.observation import gateway_batch

	devices = ensure_sensors(SITE, "I", INGEST_SENSORS)
	frappe.db.commit()
	at = [now_datetime() - dt.timedelta(days=20)]

	def batch() -> list[dict]:
		rng = random.Random(len(devices))
		out = []
		for i in range(BATCH):
			at[0] += dt.timedelta(seconds=1)
			out.append(
				{
					"device": devices[i % len(devices)],
					"observed_at": at[0].isoformat(sep=" "),
					"metric": "Temperature",
					"value": round(rng.uniform(15, 33), 1),
					"unit": "C",
				}
			)
		return out

	def run() -> float:
		readings = batch()
		t0 = time.perf_counter()
		result = ingest_observations(readings)
		frappe.db.commit()
		assert len(result["accepted"]) == BATCH, result["rejected"][:3]
		return BATCH / (time.perf_counter() - t0)

	keep = gateway_batch.Batch.update_rollups
	rates = {"with rollup upkeep": [], "without (before the rollups)": []}
	try:
		run()  # warm
		for _ in range(RUNS):
			rates["with rollup upkeep"].append(run())
			gateway_batch.Batch.update_rollups = lambda self: None
			rates["without (before the rollups)"].append(run())
			gateway_batch.Batch.update_rollups = keep
	finally:
		gateway_batch.Batch.update_rollups = keep
		frappe.db.rollback()
		frappe.db.sql(
			"delete from `tabObservation` where device in %s", [devices]
		)  # the ingest sensors' readings and rollups go, the year stays
		frappe.db.sql("delete from `tabObservation Hourly` where device in %s", [devices])
		frappe.db.commit()
	print(f"Gateway ingest, {BATCH:,} readings a batch in-process (commit included), best of {RUNS}:")
	for label, figures in rates.items():
		print(f"{label:<30} {max(figures):>9,.0f} readings/s")
	ratio = max(rates["with rollup upkeep"]) / max(rates["without (before the rollups)"])
	print(f"with / without: {ratio:.2f} (goal: at least 0.80)")


if __name__ == "__main__":
	main()
