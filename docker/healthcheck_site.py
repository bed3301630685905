"""Liveness of a background container (healthcheck.sh worker|scheduler), without importing Frappe.

An open TCP port says nothing about a worker whose site cannot log in to MariaDB (a database user bound to
another address after a restore answers ``1045 Access denied`` to every job) or whose RQ worker died. This
checks what the process needs to do its work, with the site's own credentials, in well under a second:

- the site's database user logs in and runs ``SELECT 1`` (db_host/db_port of common_site_config.json, db_name
  and db_password of the site's site_config.json);
- worker: an RQ worker of this container (its hostname) is registered in redis-queue, with a recent heartbeat;
- scheduler: redis-queue answers (the scheduler enqueues there), and PID 1 is ``bench schedule``.

Prints what failed and exits 1; exits 0 when alive. Runs with the bench's Python (pymysql and redis are
Frappe's own dependencies).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
from pathlib import Path

#: an RQ worker refreshes its heartbeat at least every worker_ttl (420 s by default); older means it hangs
HEARTBEAT_MAX_AGE = int(os.environ.get("YAM_HEARTBEAT_MAX_AGE", "600"))


def read_config(bench: Path, site: str) -> dict:
	config: dict = {}
	for path in (bench / "sites" / "common_site_config.json", bench / "sites" / site / "site_config.json"):
		config.update(json.loads(path.read_text()))
	return config


def check_database(config: dict) -> str | None:
	import pymysql

	try:
		conn = pymysql.connect(
			host=config.get("db_host") or "db",
			port=int(config.get("db_port") or 3306),
			user=config.get("db_user") or config["db_name"],
			password=config["db_password"],
			database=config["db_name"],
			connect_timeout=5,
			read_timeout=5,
		)
	except pymysql.MySQLError as e:
		return f"the site's database user cannot log in: {e}"
	try:
		with conn.cursor() as cursor:
			cursor.execute("SELECT 1")
	finally:
		conn.close()
	return None


def redis_client(config: dict):
	import redis

	return redis.Redis.from_url(
		config.get("redis_queue") or "redis://redis-queue:6379", socket_timeout=5, socket_connect_timeout=5
	)


def parse_heartbeat(value: bytes | str | None) -> dt.datetime | None:
	if not value:
		return None
	text = value.decode() if isinstance(value, bytes) else value
	text = text.rstrip("Z")
	for fmt in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"):
		try:
			return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.timezone.utc)
		except ValueError:
			continue
	return None


def worker_problem(workers: list[dict], hostname: str, now: dt.datetime) -> str | None:
	"""Pure: ``workers`` are the registered RQ workers' hashes (hostname, last_heartbeat)."""
	mine = [w for w in workers if w.get("hostname") == hostname]
	if not mine:
		return f"no RQ worker of this container ({hostname}) is registered in redis-queue"
	beats = [b for b in (parse_heartbeat(w.get("last_heartbeat")) for w in mine) if b]
	if not beats or (now - max(beats)).total_seconds() > HEARTBEAT_MAX_AGE:
		return f"the RQ worker of this container has sent no heartbeat for over {HEARTBEAT_MAX_AGE} s"
	return None


def check_worker(config: dict) -> str | None:
	r = redis_client(config)
	workers = []
	for key in r.smembers("rq:workers"):
		fields = r.hmget(key, "hostname", "last_heartbeat")
		if fields[0] is None:
			continue  # expired worker, its set entry not cleaned up yet
		workers.append({"hostname": fields[0].decode(), "last_heartbeat": fields[1]})
	return worker_problem(workers, socket.gethostname(), dt.datetime.now(dt.timezone.utc))


def check_scheduler(config: dict) -> str | None:
	cmdline = Path("/proc/1/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
	if "schedule" not in cmdline:
		return f"PID 1 is not the scheduler: {cmdline}"
	if not redis_client(config).ping():
		return "redis-queue does not answer"
	return None


def main(argv: list[str]) -> int:
	if len(argv) != 2 or argv[1] not in ("worker", "scheduler"):
		print("usage: healthcheck_site.py worker|scheduler", file=sys.stderr)
		return 2
	bench = Path(os.environ.get("BENCH_DIR", "/home/frappe/frappe-bench"))
	site = os.environ.get("SITE_NAME", "yam.localhost")
	try:
		config = read_config(bench, site)
		problem = check_database(config) or (check_worker if argv[1] == "worker" else check_scheduler)(config)
	except Exception as e:  # a missing file, Redis down, ...: not alive, and say why
		problem = f"{type(e).__name__}: {e}"
	if problem:
		print(f"{argv[1]}: {problem}", file=sys.stderr)
		return 1
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
