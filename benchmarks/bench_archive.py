"""Benchmark of the readings archive: archiving a month (readings/s), MariaDB's size of the readings table
(``information_schema`` data_length + index_length of ``tabObservation``) before and after archiving
everything older than the retention, and reading an archived month (DuckDB over its Parquet file) against
a live month (MariaDB), row by row and as the evidence pack's daily summary.

Run it with the bench's Python from the bench's ``sites`` folder, as the bench user, on a site kept for
benchmarks:

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/benchmarks/bench_archive.py --site arch.test

Each run starts over: it removes the readings, archive records and files of site ``BENCH-ARCH``, seeds
``--sensors`` sensors with a reading each minute for ``--days`` days up to now (``INSERT ... SELECT`` from
MariaDB's sequence engine; the issue's figure is 20 sensors for 365 days, 10.5 million readings), then
archives everything older than ``--retention`` days (default 180). ``--optimize`` rebuilds the table before
measuring and after the delete (InnoDB keeps freed pages until then), so both sizes stand on the same footing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import time

import frappe
from bench_masters import ensure_sensors, ensure_site
from frappe.utils import now_datetime

SITE = "BENCH-ARCH"
RUNS = 3


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("--site", required=True)
	parser.add_argument("--sites-path", default=".")
	parser.add_argument("--sensors", type=int, default=20)
	parser.add_argument("--days", type=int, default=365)
	parser.add_argument("--retention", type=int, default=180)
	parser.add_argument(
		"--optimize", action="store_true", help="OPTIMIZE TABLE after the delete, then measure"
	)
	args = parser.parse_args()
	frappe.init(site=args.site, sites_path=args.sites_path)
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		run(args)
	finally:
		frappe.db.rollback()
		frappe.destroy()


def run(args) -> None:
	from yam_agri_core.monitoring import archive
	from yam_agri_core.rules import archive as rules

	devices = masters(args.sensors)
	start_over(archive, rules)
	end = now_datetime().replace(second=0, microsecond=0)
	seeded = seed(devices, end, args.days)
	if args.optimize:  # the same footing before and after: no pages freed by an earlier run left over
		optimize("before")
	before = table_size()
	print(
		f"\nMariaDB tabObservation before: {before['rows']:,} rows (all sites), {mb(before['bytes'])} "
		f"(data {mb(before['data'])} + indexes {mb(before['index'])}); site {SITE}: {seeded:,} readings"
	)

	t0 = time.perf_counter()
	result = archive.run_archive(site=SITE, retention_days=args.retention)
	seconds = time.perf_counter() - t0
	moved = result["moved"]
	print(f"\narchiving everything older than {args.retention} days (cutoff {result['cutoff']}):")
	print(
		f"  {len(result['months'])} site-months, {moved:,} readings moved in {seconds:,.1f} s "
		f"({moved / seconds if seconds else 0:,.0f} readings/s), kept {result['kept']:,}"
	)
	per_month = [m for m in result["months"] if m.get("moved")]
	for m in per_month:
		steps = ", ".join(f"{step} {seconds:,.1f} s" for step, seconds in m.get("seconds", {}).items())
		print(f"  {m['month']}: {m['moved']:,} readings ({steps})")
	if per_month:
		biggest = max(per_month, key=lambda m: m["moved"])
		print(f"  largest month {biggest['month']}: {biggest['moved']:,} readings")
	files = archive_files(archive, rules)
	total_file = sum(size for _month, size in files)
	print(
		f"  Parquet files: {len(files)}, {mb(total_file)} "
		f"({total_file / moved if moved else 0:,.1f} bytes a reading)"
	)

	after = table_size()
	print(
		f"\nMariaDB tabObservation after the delete (ANALYZE): {after['rows']:,} rows, {mb(after['bytes'])}"
	)
	if args.optimize:
		optimize("after")
		after = table_size()
		print(f"MariaDB tabObservation after OPTIMIZE: {after['rows']:,} rows, {mb(after['bytes'])}")
	print(
		f"  size before -> after: {mb(before['bytes'])} -> {mb(after['bytes'])} "
		f"({100 * (1 - after['bytes'] / before['bytes']) if before['bytes'] else 0:.0f} % smaller)"
	)

	compare_reads(archive, rules, result, end)


# --- seed ----------------------------------------------------------------------------------------------


def masters(sensors: int) -> list[str]:
	ensure_site(SITE)
	devices = ensure_sensors(SITE, "T", sensors)
	frappe.db.commit()
	return devices


def start_over(archive, rules) -> None:
	"""No reading, record or file of the benchmark's site left from a previous run."""
	frappe.db.delete("Observation", {"site": SITE})
	frappe.db.delete("Observation Archive", {"site": SITE})
	frappe.db.commit()
	folder = os.path.join(archive.archive_root(), SITE)
	if os.path.isdir(folder):
		shutil.rmtree(folder)


def seed(devices: list[str], end: dt.datetime, days: int) -> int:
	minutes = days * 24 * 60
	start = end - dt.timedelta(minutes=minutes)
	t0 = time.perf_counter()
	chunk = 30 * 24 * 60
	for sensor, device in enumerate(devices):
		for first in range(0, minutes, chunk):
			last = min(first + chunk, minutes) - 1
			frappe.db.sql(
				f"""insert into `tabObservation` (name, creation, modified, modified_by, owner, docstatus, idx,
					device, site, observed_at, metric, value, unit, quality_flag, flag_reason, alert_sent)
				select concat('ba', lpad(%(sensor)s, 2, '0'), '-', seq), %(stamp)s, %(stamp)s, 'Administrator',
					'Administrator', 0, 0, %(device)s, %(site)s, t.at, 'Temperature', t.v, '°C',
					case when t.v > 35 then 'Quarantine' when t.v > 30 or t.v < 10 then 'Warning' else 'Valid' end,
					case when t.v > 35 then 'Temperature above the critical limit' end, 1
				from (
					select seq, %(start)s + interval seq minute as at,
						round(22 + 6 * sin(2 * pi() * seq / 525600) + 3 * sin(2 * pi() * seq / 1440)
							+ %(sensor)s / 10 + 15 * (rand(seq) > 0.9995) + (rand(seq + 1) - 0.5), 2) as v
					from seq_{first}_to_{last}
				) t""",
				{
					"sensor": sensor,
					"stamp": now_datetime(),
					"device": device,
					"site": SITE,
					"start": start,
				},
			)
			frappe.db.commit()
	seeded = len(devices) * minutes
	seconds = time.perf_counter() - t0
	print(
		f"seeded {seeded:,} readings ({len(devices)} sensors x {days} days each minute) in {seconds:,.0f} s"
	)
	return seeded


def optimize(when: str) -> None:
	t0 = time.perf_counter()
	frappe.db.sql("optimize table `tabObservation`")
	print(f"  OPTIMIZE TABLE ({when}): {time.perf_counter() - t0:,.0f} s")


# --- figures ---------------------------------------------------------------------------------------------


def table_size() -> dict:
	frappe.db.sql("analyze table `tabObservation`")
	row = frappe.db.sql(
		"""select table_rows, data_length, index_length from information_schema.tables
		where table_schema = database() and table_name = 'tabObservation'""",
		as_dict=True,
	)[0]
	return {
		"rows": int(row.table_rows or 0),
		"data": int(row.data_length or 0),
		"index": int(row.index_length or 0),
		"bytes": int(row.data_length or 0) + int(row.index_length or 0),
	}


def archive_files(archive, rules) -> list[tuple[str, int]]:
	folder = os.path.join(archive.archive_root(), SITE)
	if not os.path.isdir(folder):
		return []
	return [(name, os.path.getsize(os.path.join(folder, name))) for name in sorted(os.listdir(folder))]


def mb(size: int) -> str:
	return f"{size / 1024 / 1024:,.1f} MB"


def timed(fn) -> tuple[float, object]:
	best, result = None, None
	for _run in range(RUNS):
		t0 = time.perf_counter()
		result = fn()
		elapsed = time.perf_counter() - t0
		best = elapsed if best is None else min(best, elapsed)
	return best * 1000, result


def compare_reads(archive, rules, result, end: dt.datetime) -> None:
	"""A whole archived month against a whole live month of the same sensors: every row, and the daily
	summary the evidence pack prints."""
	from frappe.query_builder.functions import Count, Date, Max, Min, Sum

	from yam_agri_core.monitoring import archive_read

	archived = sorted(m["month"] for m in result["months"] if m.get("moved"))
	if not archived:
		print("\nno archived month to read")
		return
	archived_month = archived[-1]
	first_live = rules.month_bounds(rules.month_of(end))[0]
	live_month = rules.month_of(first_live - dt.timedelta(days=1))  # the last whole month, still live

	def rows(month):
		start, stop = rules.month_bounds(month)
		return lambda: archive_read.read_observations({"from": start, "to": stop}, [SITE])

	def live_summary(month):
		start, stop = rules.month_bounds(month)
		Obs = frappe.qb.DocType("Observation")
		day = Date(Obs.observed_at)
		return lambda: (
			frappe.qb.from_(Obs)
			.select(
				Obs.device,
				Obs.metric,
				Obs.unit,
				day.as_("day"),
				Count("*"),
				Min(Obs.value),
				Max(Obs.value),
				Sum(Obs.value),
			)
			.where((Obs.site == SITE) & (Obs.observed_at >= start) & (Obs.observed_at < stop))
			.where(Obs.quality_flag != "Quarantine")
			.groupby(Obs.device, Obs.metric, Obs.unit, day)
		).run()

	def archived_summary(month):
		start, stop = rules.month_bounds(month)
		return lambda: archive_read.daily_summary(
			{"site": SITE, "from": start, "to": stop, "exclude_flag": "Quarantine"}, [SITE]
		)

	print(f"\nreading a month (best of {RUNS}), as Administrator:")
	print(
		f"  {'':32}{'live ' + live_month + ' (MariaDB)':>30}{'archived ' + archived_month + ' (DuckDB)':>32}"
	)
	live_ms, live_rows = timed(rows(live_month))
	arch_ms, arch_rows = timed(rows(archived_month))
	print(
		f"  {'every reading (read_observations)':32}{live_ms:>20,.0f} ms {len(live_rows):>8,}"
		f"{arch_ms:>22,.0f} ms {len(arch_rows):>8,}"
	)
	live_ms, live_days = timed(live_summary(live_month))
	arch_ms, arch_days = timed(archived_summary(archived_month))
	print(
		f"  {'daily summary (evidence pack)':32}{live_ms:>20,.0f} ms {len(live_days):>8,}"
		f"{arch_ms:>22,.0f} ms {len(arch_days):>8,}"
	)


if __name__ == "__main__":
	main()
