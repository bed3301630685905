"""yam-gateway: how big a 7-day queue is, how fast messages are stored, how fast the queue drains.

	python benchmarks/bench_gateway.py                                  # queue figures + drain to a fake server
	python benchmarks/bench_gateway.py --bench-site gw.test --port 8003 # + drain to a real bench (as root)

A site of --sensors sensors (50) reading once a minute fills --days (7) days: 50 x 1,440 x 7 = 504,000 rows.
Figures printed side by side: the naive way (one request per reading, as mock_iot's API mode posts) and the
floor (batches of 500 and 5,000). The queue drains faster than readings arrive when the drain rate is above
sensors/60 readings per second; the catch-up time after a 7-day outage is rows / (drain - arrival).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gateway"))

from testing import FakeServer
from yam_gateway import config, messages
from yam_gateway.forward import Forwarder
from yam_gateway.queue import Queue


def items(
	n: int,
	sensors: int,
	start: int = 0,
	devices: list[str] | None = None,
	year: int = 2025,
	site: str = "BENCH-01",
) -> list:
	out = []
	for i in range(start, start + n):
		device = devices[i % len(devices)] if devices else f"TMP-{i % sensors + 1:03d}"
		minute = i // (len(devices) if devices else sensors)
		day, rest = divmod(minute, 1440)
		payload = {"metric": "temperature", "value": round(20 + (i % 97) / 10, 1), "unit": "C",
			"ts": f"{year}-01-{day % 28 + 1:02d}T{rest // 60:02d}:{rest % 60:02d}:00Z"}  # fmt: skip
		if day >= 28:
			payload["ts"] = (
				f"{year}-{2 + day // 28:02d}-{day % 28 + 1:02d}T{rest // 60:02d}:{rest % 60:02d}:00Z"
			)
		out += messages.parse_message(f"yam/{site}/{device}/observation", json.dumps(payload).encode())
	return out


def queue_size(rows: int, sensors: int, work: Path) -> None:
	path = work / "week.sqlite3"
	queue = Queue(str(path))
	started = time.perf_counter()
	for start in range(0, rows, 5000):
		queue.put(items(min(5000, rows - start), sensors, start))
	elapsed = time.perf_counter() - started
	queue.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
	size = os.path.getsize(path)
	print(f"queue for {rows:,} readings ({sensors} sensors x 1/min x {rows // sensors // 1440} days):")
	print(f"  file {size / 1e6:,.1f} MB = {size / rows:,.0f} bytes/reading (outbox row + unique key index)")
	print(f"  filled in groups of 5,000: {rows / elapsed:,.0f} readings/s; depth check {queue.depth():,}")
	queue.close()


def intake_rate(work: Path, sensors: int, n: int = 2000) -> None:
	queue = Queue(str(work / "intake.sqlite3"))
	sample = items(n, sensors)
	started = time.perf_counter()
	for item in sample:  # what the gateway does: one committed (fsynced) transaction per MQTT message
		queue.put([item])
	per_message = n / (time.perf_counter() - started)
	queue.close()
	arrival = sensors / 60
	print(f"intake, one fsynced commit per message (synchronous=FULL): {per_message:,.0f} messages/s "
		f"= {per_message / arrival:,.0f} x the site's {arrival:.2f} readings/s")  # fmt: skip


def drain(label: str, cfg: config.Config, queue_path: Path, rows: list, batch: int, sensors: int) -> float:
	queue = Queue(str(queue_path))
	queue.put(rows)
	cfg.batch_size = batch
	fwd = Forwarder(cfg, queue)
	started = time.perf_counter()
	while queue.depth():
		fwd.forward_once()
	rate = len(rows) / (time.perf_counter() - started)
	refused = queue.stats()["counters"]["rejected"]
	if refused:
		print(f"  ({refused} of {len(rows)} readings were refused: the figure below is not of stored rows)")
	wire = len(json.dumps({"readings": [b for _, b in queue.next_batch("observation", 1)] or [rows[0].body]}))
	queue.close()
	arrival = sensors / 60
	week = sensors * 1440 * 7
	catch_up = week / (rate - arrival) / 3600 if rate > arrival else float("inf")
	print(f"  {label:<34} {rate:>9,.0f} readings/s   7-day backlog drained in {catch_up:>7.2f} h"
		f"   ({wire} B/reading on the wire)")  # fmt: skip
	return rate


def main() -> int:
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument("--sensors", type=int, default=50)
	parser.add_argument("--days", type=int, default=7)
	parser.add_argument("--sample", type=int, default=5000, help="readings forwarded per drain figure")
	parser.add_argument("--bench-site", help="also drain to this bench site served by gunicorn (as root)")
	parser.add_argument("--port", type=int, default=8003)
	args = parser.parse_args()
	logging.basicConfig(level=logging.ERROR)
	rows = args.sensors * 1440 * args.days
	with tempfile.TemporaryDirectory() as tmp:
		work = Path(tmp)
		queue_size(rows, args.sensors, work)
		intake_rate(work, args.sensors)
		print(f"drain (arrival: {args.sensors / 60:.2f} readings/s):")
		with FakeServer() as fake:
			cfg = config.Config(server_url=fake.url, api_key="k", api_secret="s", timeout=120)
			sample = items(args.sample, args.sensors)
			drain("fake server, 1 per request", cfg, work / "f1.sqlite3", sample[:500], 1, args.sensors)
			drain("fake server, batches of 500", cfg, work / "f2.sqlite3", sample, 500, args.sensors)
			drain("fake server, batches of 5000", cfg, work / "f3.sqlite3", sample, 5000, args.sensors)
		if args.bench_site:
			bench(args, work)
	return 0


def bench(args: argparse.Namespace, work: Path) -> None:
	import subprocess

	from testing import bench_e2e

	setup = subprocess.run(
		[str(bench_e2e.BENCH / "env/bin/python"), "-c", bench_e2e.SETUP, args.bench_site, bench_e2e.SITE_CODE,
			",".join(bench_e2e.DEVICES), bench_e2e.SCALE],
		cwd=bench_e2e.BENCH / "sites", capture_output=True, text=True, check=True,
	)  # fmt: skip
	creds = json.loads(setup.stdout.strip().splitlines()[-1])
	os.chmod(work, 0o755)  # gunicorn runs as the bench's user and reads its WSGI module from here
	server = bench_e2e.Server(args.bench_site, args.port, work / "server")
	server.start()
	try:
		cfg = config.Config(
			server_url=f"http://127.0.0.1:{args.port}",
			api_key=creds["key"],
			api_secret=creds["secret"],
			timeout=300,
		)
		devices, site = bench_e2e.DEVICES, bench_e2e.SITE_CODE
		n = args.sample
		drain(
			"bench, 1 per request",
			cfg,
			work / "b1.sqlite3",
			items(200, 3, 0, devices, site=site),
			1,
			args.sensors,
		)
		drain(
			"bench, batches of 500",
			cfg,
			work / "b2.sqlite3",
			items(n, 3, 1000, devices, site=site),
			500,
			args.sensors,
		)
		drain(
			"bench, batches of 5000",
			cfg,
			work / "b3.sqlite3",
			items(n, 3, 1000 + n, devices, site=site),
			5000,
			args.sensors,
		)
	finally:
		server.stop()


if __name__ == "__main__":
	sys.exit(main())
