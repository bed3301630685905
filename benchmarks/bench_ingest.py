"""Benchmark of gateway ingest: readings per second of the set-based batch, in-process and over HTTP,
next to one Observation document per reading (the old path) and a bare bulk insert of the same rows
(the floor).

Run it with the bench's Python from the bench's ``sites`` folder, as the bench user:

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/yam_agri_core/benchmarks/bench_ingest.py \\
        --site ingest.test --port 8002

It keeps a site ``BENCH-INGEST`` with 50 sensors and a Sensor Gateway user (with an API key) for the
next run, starts gunicorn on 127.0.0.1:PORT for the HTTP figure, and deletes every reading it wrote.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request

import frappe
from bench_masters import ensure_sensors, ensure_site
from frappe.model.naming import make_autoname
from frappe.permissions import add_user_permission
from frappe.utils import now, now_datetime

SITE = "BENCH-INGEST"
DEVICES = 50
GATEWAY = "bench-gateway@yam-bench.example"
BATCH = 5_000
ONE_BY_ONE = 1_000
RUNS = 3


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("--site", required=True)
	parser.add_argument("--sites-path", default=".")
	parser.add_argument("--port", type=int, default=8002)
	parser.add_argument("--readings", type=int, default=BATCH)
	args = parser.parse_args()
	frappe.init(site=args.site, sites_path=args.sites_path)
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		devices, key = build()
		clock = Clock()
		report(args, devices, key, clock)
	finally:
		frappe.db.rollback()
		frappe.set_user("Administrator")
		frappe.db.delete("Observation", {"site": SITE})
		frappe.db.commit()
		frappe.destroy()


class Clock:
	"""Fresh reading times for every run: no run re-sends another's readings."""

	def __init__(self):
		self.at = now_datetime() - dt.timedelta(days=30)

	def readings(self, devices: list[str], count: int) -> list[dict]:
		rng = random.Random(count)
		out = []
		for i in range(count):
			self.at += dt.timedelta(seconds=1)
			out.append(
				{
					"device": devices[i % len(devices)],
					"observed_at": self.at.isoformat(sep=" "),
					"metric": "Temperature",
					"value": round(rng.uniform(15, 33), 1),
					"unit": "C",
				}
			)
		return out


def build() -> tuple[list[str], str]:
	ensure_site(SITE)
	devices = ensure_sensors(SITE, "T", DEVICES)
	if not frappe.db.exists("User", GATEWAY):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": GATEWAY,
				"first_name": "Bench Gateway",
				"send_welcome_email": 0,
				"roles": [{"role": "Sensor Gateway"}],
			}
		).insert(ignore_permissions=True)
		add_user_permission("Site", SITE, GATEWAY, ignore_permissions=True)
	user = frappe.get_doc("User", GATEWAY)
	user.api_key = user.api_key or frappe.generate_hash(length=15)
	secret = frappe.generate_hash(length=15)
	user.api_secret = secret
	user.save(ignore_permissions=True)
	frappe.db.commit()
	return devices, f"{user.api_key}:{secret}"


# --- the four ways ---------------------------------------------------------------------------------


def one_by_one(readings: list[dict]) -> float:
	from yam_agri_core import store
	from yam_agri_core.monitoring.ingest import ingest_one_by_one

	frappe.set_user(GATEWAY)
	start = time.perf_counter()
	with store.memoized():
		result = ingest_one_by_one(readings)
	frappe.db.commit()
	return checked(result, readings, time.perf_counter() - start)


def in_process(readings: list[dict]) -> float:
	from yam_agri_core.api import ingest_observations

	frappe.set_user(GATEWAY)
	start = time.perf_counter()
	result = ingest_observations(readings)
	frappe.db.commit()
	return checked(result, readings, time.perf_counter() - start)


def over_http(port: int, key: str, readings: list[dict]) -> float:
	body = json.dumps({"readings": readings}).encode()
	request = urllib.request.Request(
		f"http://127.0.0.1:{port}/api/method/yam_agri_core.api.ingest_observations",
		data=body,
		headers={"Authorization": f"token {key}", "Content-Type": "application/json"},
		method="POST",
	)
	start = time.perf_counter()
	with urllib.request.urlopen(request, timeout=300) as response:
		result = json.loads(response.read())["message"]
	return checked(result, readings, time.perf_counter() - start)


def floor_rows(readings: list[dict]) -> list[list]:
	"""The rows the batch writes for ``readings``, already flagged (every column it fills)."""
	from yam_agri_core.monitoring.doctype.observation.gateway_batch import COLUMNS

	stamp = now()
	rows = []
	for r in readings:
		row = dict.fromkeys(COLUMNS)
		row.update(
			name=make_autoname("hash", "Observation"),
			creation=stamp,
			modified=stamp,
			modified_by=GATEWAY,
			owner=GATEWAY,
			docstatus=0,
			idx=0,
			device=r["device"],
			site=SITE,
			observed_at=dt.datetime.fromisoformat(r["observed_at"]),
			metric="Temperature",
			value=r["value"],
			unit="°C",
			quality_flag="Valid",
			alert_sent=0,
			raw_payload=json.dumps(r),
		)
		rows.append(list(row.values()))
	return rows


def floor_bulk_insert(readings: list[dict]) -> float:
	"""The same rows in ``frappe.db.bulk_insert`` (the query builder escapes every value)."""
	from yam_agri_core.monitoring.doctype.observation.gateway_batch import COLUMNS

	rows = floor_rows(readings)
	start = time.perf_counter()
	frappe.db.bulk_insert("Observation", list(COLUMNS), rows)
	frappe.db.commit()
	return len(readings) / (time.perf_counter() - start)


def floor_multi_row_insert(readings: list[dict]) -> float:
	"""The same rows through the batch's own multi-row insert, with nothing read or judged."""
	from yam_agri_core.monitoring.doctype.observation.gateway_batch import ROWS_PER_INSERT, insert_rows

	rows = floor_rows(readings)
	start = time.perf_counter()
	for i in range(0, len(rows), ROWS_PER_INSERT):
		insert_rows(rows[i : i + ROWS_PER_INSERT])
	frappe.db.commit()
	return len(readings) / (time.perf_counter() - start)


def checked(result: dict, readings: list[dict], seconds: float) -> float:
	if len(result["accepted"]) != len(readings):
		sys.exit(
			f"expected {len(readings)} accepted, got {len(result['accepted'])}: {result['rejected'][:3]}"
		)
	return len(readings) / seconds


# --- report ------------------------------------------------------------------------------------------


def report(args, devices: list[str], key: str, clock: Clock) -> None:
	n = args.readings
	print(f"site {args.site}: {DEVICES} devices, {n:,} readings a batch, best of {RUNS} runs\n")
	figures = {}
	figures["one document per reading (old path)"] = one_by_one(clock.readings(devices, ONE_BY_ONE))
	figures["batch, in-process"] = max(in_process(clock.readings(devices, n)) for _ in range(RUNS))
	with gunicorn(args.site, args.port):
		over_http(args.port, key, clock.readings(devices, 10))  # warm the worker
		figures["batch, over HTTP (gunicorn, 1 worker)"] = max(
			over_http(args.port, key, clock.readings(devices, n)) for _ in range(RUNS)
		)
	frappe.set_user("Administrator")
	figures["floor: frappe.db.bulk_insert of the same rows"] = max(
		floor_bulk_insert(clock.readings(devices, n)) for _ in range(RUNS)
	)
	figures["floor: the batch's multi-row insert of the same rows"] = max(
		floor_multi_row_insert(clock.readings(devices, n)) for _ in range(RUNS)
	)
	width = max(map(len, figures))
	for label, rate in figures.items():
		print(f"{label:<{width}}  {rate:>9,.0f} readings/s")
	old = figures["one document per reading (old path)"]
	batch = figures["batch, in-process"]
	bare = figures["floor: the batch's multi-row insert of the same rows"]
	print(f"\nbatch / old path: {batch / old:.1f}x; multi-row floor / batch: {bare / batch:.2f}x")
	print(f"(the old path is timed on {ONE_BY_ONE:,} readings; each figure includes the commit)")


class gunicorn:
	"""gunicorn serving only ``site`` on 127.0.0.1:``port`` from the bench's sites folder."""

	def __init__(self, site: str, port: int):
		self.site, self.port = site, port

	def __enter__(self):
		self.folder = tempfile.mkdtemp(prefix="bench_ingest_")
		with open(os.path.join(self.folder, "bench_ingest_wsgi.py"), "w") as f:
			f.write(
				f'import frappe.app; frappe.app._site = "{self.site}"\napplication = frappe.app.application\n'
			)
		bench_env = os.path.dirname(sys.executable)
		self.process = subprocess.Popen(
			[
				os.path.join(bench_env, "gunicorn"),
				"--bind",
				f"127.0.0.1:{self.port}",
				"--workers",
				"1",
				"--timeout",
				"300",
				"--pythonpath",
				self.folder,
				"bench_ingest_wsgi:application",
			],
			stdout=subprocess.DEVNULL,
			stderr=open(os.path.join(self.folder, "gunicorn.log"), "w"),
		)
		for _ in range(100):
			try:
				urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/method/ping", timeout=2)
				return self
			except OSError:
				time.sleep(0.3)
		self.__exit__()
		sys.exit(f"gunicorn did not answer on port {self.port}; see {self.folder}/gunicorn.log")

	def __exit__(self, *exc):
		self.process.terminate()
		self.process.wait(timeout=30)


if __name__ == "__main__":
	main()
