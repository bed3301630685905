"""End-to-end cases of the gateway on a real bench (run by tests/bench/bench_gateway.sh, as root).

A real Mosquitto on 127.0.0.1, the site served by gunicorn on 127.0.0.1:PORT, the gateway as a subprocess.
After each case the rows on the server are counted with SQL and compared with what was published:
server down for a while, broker restarts, kill -9 of the gateway mid-batch, a "power cut" (gateway, broker
and server all killed with SIGKILL at once), and scale tickets sent twice.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testing import GatewayProcess, Mosquitto, Publisher, gateway_env, port_open, reading, wait_for

BENCH = Path(os.environ.get("YAM_BENCH_DIR", "/home/frappe/frappe-bench"))
SITE_CODE = "GW-E2E-01"
DEVICES = ["GWT-1", "GWT-2", "GWT-3"]
SCALE = "GWS-1"

SETUP = """
import json, sys, frappe
frappe.init(site=sys.argv[1], sites_path="."); frappe.connect()
from frappe.permissions import add_user_permission
code, devices, scale = sys.argv[2], sys.argv[3].split(","), sys.argv[4]
if not frappe.db.exists("Site", code):
	frappe.get_doc({"doctype": "Site", "site_code": code, "site_name": "Gateway E2E Silo", "site_type": "Silo",
		"governorate": "Ta'iz"}).insert(ignore_permissions=True)
for d in devices + [scale]:
	if not frappe.db.exists("Device", d):
		frappe.get_doc({"doctype": "Device", "device_id": d, "site": code, "is_active": 1,
			"device_type": "Scale" if d == scale else "Temperature Sensor"}).insert(ignore_permissions=True)
# a clean start: this site's readings and tickets of earlier runs go
frappe.db.sql("delete from `tabObservation` where site=%s", code)
frappe.db.sql("delete from `tabNonconformance` where site=%s", code)
frappe.db.sql("delete from `tabScale Ticket` where site=%s", code)
email = "gateway-e2e@yam-test.example"
if not frappe.db.exists("User", email):
	frappe.get_doc({"doctype": "User", "email": email, "first_name": "Gateway E2E", "send_welcome_email": 0,
		"user_type": "System User", "roles": [{"role": "Sensor Gateway"}]}).insert(ignore_permissions=True)
	add_user_permission("Site", code, email, ignore_permissions=True)
user = frappe.get_doc("User", email)
user.api_key = frappe.generate_hash(length=15)
secret = frappe.generate_hash(length=15)
user.api_secret = secret
user.save(ignore_permissions=True)
frappe.db.commit()
print(json.dumps({"key": user.api_key, "secret": secret, "db": frappe.conf.db_name}))
"""


def sql(db: str, query: str) -> list[list[str]]:
	out = subprocess.run(
		["mysql", "-h127.0.0.1", "-uroot", "-proot", "-N", "-B", db, "-e", query],
		capture_output=True,
		text=True,
		check=True,
	).stdout
	return [line.split("\t") for line in out.splitlines()]


class Server:
	"""gunicorn serving one site on 127.0.0.1:port (as the frappe user)."""

	def __init__(self, site: str, port: int, workdir: Path):
		self.port = port
		self.proc: subprocess.Popen | None = None
		workdir.mkdir(parents=True, exist_ok=True)
		os.chmod(workdir, 0o755)
		(workdir / "gw_wsgi.py").write_text(
			f'import frappe.app; frappe.app._site = "{site}"\napplication = frappe.app.application_with_statics()\n'
		)
		self.workdir = workdir

	def start(self) -> None:
		log = open(self.workdir / "gunicorn.log", "a")
		cmd = [str(BENCH / "env/bin/gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
			"--timeout", "120", "--pythonpath", str(self.workdir), "gw_wsgi:application"]  # fmt: skip
		if os.geteuid() == 0:
			cmd = ["runuser", "-u", "frappe", "--", *cmd]
		self.proc = subprocess.Popen(
			cmd, cwd=BENCH / "sites", stdout=log, stderr=subprocess.STDOUT, start_new_session=True
		)
		wait_for(lambda: port_open(self.port), 60, what=f"gunicorn on {self.port}")

	def stop(self, sig: int = signal.SIGTERM) -> None:
		if self.proc and self.proc.poll() is None:
			os.killpg(self.proc.pid, sig)
			self.proc.wait(30)
		self.proc = None


class Sensors:
	"""Publishes reading n as a sensor would: QoS 1, and again after a lost connection until the broker
	acknowledged it (at least once)."""

	def __init__(self, port: int):
		self.port = port
		self.acked: set[int] = set()

	def send(self, numbers, pause: float = 0.0) -> None:
		pub = None
		for n in numbers:
			while n not in self.acked:
				try:
					pub = pub or Publisher(self.port)
					if pub.publish(
						f"yam/{SITE_CODE.lower()}/{DEVICES[n % 3]}/observation", reading(n), timeout=5
					):
						self.acked.add(n)
					else:
						raise OSError("no PUBACK")
				except Exception:
					if pub:
						pub.close()
					pub = None
					time.sleep(0.5)
			if pause:
				time.sleep(pause)
		if pub:
			pub.close()


class Run:
	def __init__(self, args: argparse.Namespace):
		self.work = Path(args.workdir)
		self.work.mkdir(parents=True, exist_ok=True)
		setup = subprocess.run(
			[str(BENCH / "env/bin/python"), "-c", SETUP, args.site, SITE_CODE, ",".join(DEVICES), SCALE],
			cwd=BENCH / "sites", capture_output=True, text=True,
		)  # fmt: skip
		if setup.returncode:
			sys.exit(f"setting up {args.site} failed:\n{setup.stderr[-3000:]}")
		creds = json.loads(setup.stdout.strip().splitlines()[-1])
		self.db = creds["db"]
		self.server = Server(args.site, args.port, self.work / "server")
		self.broker = Mosquitto(self.work / "mosquitto")
		env = gateway_env(
			self.work / "queue" / "queue.sqlite3",
			self.broker.port,
			f"http://127.0.0.1:{args.port}",
			YAM_GW_API_KEY=creds["key"],
			YAM_GW_API_SECRET=creds["secret"],
			YAM_GW_BATCH_SIZE=str(args.batch),
			YAM_GW_LINGER_SECONDS="0.5",
			YAM_GW_BACKOFF_CAP="3",
			YAM_GW_MQTT_CLIENT_ID="yam-gateway-e2e",
		)
		self.gateway = GatewayProcess(env, self.work / "gateway.log")
		self.sensors = Sensors(self.broker.port)
		self.published = 0
		self.results: list[tuple[str, bool, str]] = []

	def count(self) -> tuple[int, int]:
		(row,) = sql(
			self.db,
			"select count(*), count(distinct device, observed_at, metric) from tabObservation "
			f"where site = '{SITE_CODE}'",
		)
		return int(row[0]), int(row[1])

	def check(self, case: str, timeout: float = 180) -> None:
		expected = len(self.sensors.acked)
		try:
			wait_for(lambda: self.count()[0] >= expected, timeout, every=1, what=f"{expected} rows")
		except AssertionError:
			pass
		time.sleep(2)
		rows, distinct = self.count()
		health = self.gateway.health()
		ok = rows == distinct == expected
		detail = (
			f"published {expected}, rows on the server {rows} (distinct {distinct}), queue depth "
			f"{health['queue_depth']}, server duplicates {health['counters']['duplicate']}, "
			f"redelivered by the broker {health['counters']['redelivered']}"
		)
		self.results.append((case, ok, detail))
		print(f"{'PASS' if ok else 'FAIL'} {case}: {detail}", flush=True)

	def next_numbers(self, n: int) -> range:
		start = self.published
		self.published += n
		return range(start, start + n)

	# -- the cases -----------------------------------------------------------------------------------------

	def baseline(self) -> None:
		self.sensors.send(self.next_numbers(300))
		self.check("baseline: 300 readings")

	def server_down(self) -> None:
		self.server.stop()
		self.sensors.send(self.next_numbers(600))
		wait_for(lambda: self.gateway.health()["queue_depth"] >= 600, 30, what="600 queued")
		time.sleep(5)  # a few failed tries with backoff
		print(
			f"     server down: {json.dumps({k: self.gateway.health()[k] for k in ('queue_depth', 'last_error')})}"
		)
		self.server.start()
		self.check("server down (gunicorn stopped), 600 readings queued, then back")

	def broker_restart(self) -> None:
		self.broker.stop()
		self.broker.start()
		wait_for(lambda: self.gateway.health()["mqtt_subscribed"], 60, what="gateway back on the broker")
		self.sensors.send(self.next_numbers(200))
		self.gateway.stop()
		self.sensors.send(self.next_numbers(200))  # kept by the broker for the gateway's session
		self.broker.stop()
		self.broker.start()
		self.gateway.start()
		self.check("broker restarted twice (once with the gateway stopped and 200 readings waiting)")

	def kill_9(self) -> None:
		numbers = self.next_numbers(3000)
		sender = threading.Thread(target=self.sensors.send, args=(numbers, 0.002))
		sender.start()
		rng = random.Random(7)
		kills = 0
		while sender.is_alive() or kills < 3:
			time.sleep(rng.uniform(0.5, 2.0))
			self.gateway.kill()
			kills += 1
			self.gateway.start()
		sender.join()
		print(f"     gateway killed with SIGKILL {kills} times while 3000 readings streamed in")
		self.check("kill -9 of the gateway mid-batch")

	def power_cut(self) -> None:
		numbers = self.next_numbers(1500)
		sender = threading.Thread(target=self.sensors.send, args=(numbers, 0.002))
		sender.start()
		time.sleep(2.5)
		for proc in (self.gateway.proc, self.broker.proc):
			os.kill(proc.pid, signal.SIGKILL)
		self.server.stop(signal.SIGKILL)
		self.gateway.proc.wait()
		self.broker.proc.wait()
		self.broker.proc = None
		print("     power cut: gateway, broker and gunicorn killed with SIGKILL at once")
		time.sleep(2)
		self.broker.start()
		self.server.start()
		self.gateway.start()
		sender.join()
		self.check("power cut (everything SIGKILLed mid-stream), then restarted")

	def tickets(self) -> None:
		pub = Publisher(self.broker.port)
		numbers = [f"E2E-{n}" for n in range(1, 6)]
		for no in [*numbers, numbers[0], numbers[3]]:  # two of them sent twice (a scale that retried)
			pub.publish(f"yam/{SITE_CODE}/{SCALE}/ticket", {"ticket_no": no, "ts": "2026-02-23T09:30:00Z",
				"gross_kg": 15000, "tare_kg": 12000, "vehicle": "T-55", "direction": "Inbound"})  # fmt: skip
		pub.close()
		query = (
			f"select count(*), count(distinct ticket_no) from `tabScale Ticket` where site = '{SITE_CODE}'"
		)
		try:
			wait_for(lambda: int(sql(self.db, query)[0][0]) >= 5, 60, every=1, what="5 tickets")
		except AssertionError:
			pass
		time.sleep(3)
		rows, distinct = (int(v) for v in sql(self.db, query)[0])
		health = self.gateway.health()
		ok = rows == distinct == 5 and health["queue_depth_by_kind"].get("ticket", 0) == 0
		detail = f"7 ticket messages (5 tickets), {rows} Scale Tickets on the server, dead letters {health['dead_letters']}"
		self.results.append(("scale tickets, two sent twice", ok, detail))
		print(f"{'PASS' if ok else 'FAIL'} scale tickets, two sent twice: {detail}", flush=True)

	def main(self) -> int:
		try:
			self.broker.start()
			self.server.start()
			self.gateway.start()
			for case in (
				self.baseline,
				self.server_down,
				self.broker_restart,
				self.kill_9,
				self.power_cut,
				self.tickets,
			):
				case()
		finally:
			self.gateway.stop()
			self.broker.stop()
			self.server.stop()
		failed = [r for r in self.results if not r[1]]
		print(f"{len(self.results) - len(failed)} passed, {len(failed)} failed")
		return 1 if failed else 0


if __name__ == "__main__":
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument("--site", default="gw.test")
	parser.add_argument("--port", type=int, default=8003)
	parser.add_argument("--batch", type=int, default=500)
	parser.add_argument("--workdir", default="/tmp/yam-gateway-e2e")
	sys.exit(Run(parser.parse_args()).main())
