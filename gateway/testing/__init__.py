"""Test helpers of the gateway (used by tests/test_gateway_*.py, tests/bench/ and benchmarks/): a real
Mosquitto on 127.0.0.1 with a password file and the repository's ACL, a fake YAM server, a publisher, and the
gateway as a subprocess (so that it can be killed with SIGKILL)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GATEWAY_DIR = Path(__file__).resolve().parent.parent
REPO = GATEWAY_DIR.parent
ACL = REPO / "docker" / "mosquitto" / "acl"
USERS = {"yam-gateway": "gw-secret", "yam-simulator": "sim-secret", "TMP-1": "tmp-1-secret"}


def free_port() -> int:
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


def wait_for(predicate, timeout: float = 20.0, every: float = 0.05, what: str = "condition") -> None:
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if predicate():
			return
		time.sleep(every)
	raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def port_open(port: int) -> bool:
	with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
		return True
	return False


class Mosquitto:
	"""Debian's mosquitto on 127.0.0.1:port, persistence in ``workdir`` (kept across stop/start)."""

	binary = shutil.which("mosquitto") or (
		"/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None
	)

	def __init__(self, workdir: Path, port: int | None = None, users: dict[str, str] | None = None):
		self.dir = Path(workdir)
		self.dir.mkdir(parents=True, exist_ok=True)
		self.port = port or free_port()
		self.proc: subprocess.Popen | None = None
		passwd = self.dir / "passwd"
		passwd.write_text("")
		for user, password in (users or USERS).items():
			subprocess.run(
				["mosquitto_passwd", "-b", str(passwd), user, password], check=True, capture_output=True
			)
		os.chmod(passwd, 0o600)
		lines = [
			"per_listener_settings false",
			"allow_anonymous false",
			f"password_file {passwd}",
			f"acl_file {ACL}",
			f"listener {self.port} 127.0.0.1",
			"persistence true",
			f"persistence_location {self.dir}/",
			"autosave_interval 60",
			"max_queued_messages 100000",
			"log_dest stdout",
		]
		if os.geteuid() == 0:
			lines.append("user root")  # keep root: the files under /tmp are root's
		self.conf = self.dir / "mosquitto.conf"
		self.conf.write_text("\n".join(lines) + "\n")

	def start(self) -> Mosquitto:
		log = open(self.dir / "mosquitto.log", "a")
		self.proc = subprocess.Popen(
			[self.binary, "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT
		)
		wait_for(lambda: port_open(self.port), 30, what=f"mosquitto on port {self.port}")
		return self

	def stop(self) -> None:
		"""A clean stop (SIGTERM): mosquitto saves its persistence file."""
		if self.proc and self.proc.poll() is None:
			self.proc.terminate()
			self.proc.wait(10)
		self.proc = None

	def __enter__(self) -> Mosquitto:
		return self.start()

	def __exit__(self, *exc) -> None:
		self.stop()


class Publisher:
	"""A sensor: QoS 1 publishes, each waited for (PUBACK from the broker)."""

	def __init__(self, port: int, user: str = "yam-simulator", password: str | None = None):
		import paho.mqtt.client as mqtt

		self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{os.getpid()}-{id(self)}")
		self.client.username_pw_set(user, password if password is not None else USERS[user])
		self.client.reconnect_delay_set(0.5, 2)  # close() must not wait out paho's 2-minute reconnect delay
		self.client.connect("127.0.0.1", port)
		self.client.loop_start()

	def publish(self, topic: str, payload: Any, timeout: float = 30.0) -> bool:
		data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
		info = self.client.publish(topic, data, qos=1)
		info.wait_for_publish(timeout)
		return info.is_published()

	def close(self) -> None:
		self.client.disconnect()
		self.client.loop_stop()


def reading(n: int, device: str = "TMP-1", metric: str = "temperature") -> dict[str, Any]:
	"""The n-th reading of a sensor: one a minute from 2026-02-23 00:00 UTC."""
	minute = n % (24 * 60)
	day = 23 + n // (24 * 60)
	return {
		"metric": metric,
		"value": round(20 + (n % 50) / 10, 1),
		"unit": "C",
		"ts": f"2026-02-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z",
	}


class FakeServer:
	"""The ingest method and Scale Ticket endpoint of a YAM server, in memory.

	``contract="new"``: a reading already stored is a duplicate (the unique index); ``"old"``: every send is
	stored again (the old server) and the answer has no ``duplicates``. ``down=True`` answers 503;
	``max_batch`` refuses bigger batches as the server does. ``stored`` lists every stored reading.
	"""

	def __init__(self, contract: str = "new", max_batch: int = 5000, delay: float = 0.0):
		self.contract = contract
		self.max_batch = max_batch
		self.delay = delay
		self.down = False
		self.stored: list[tuple[str, str, str]] = []
		self.keys: set[tuple[str, str, str]] = set()
		self.tickets: dict[tuple[str, str], dict[str, Any]] = {}
		self.requests = 0
		self.lock = threading.Lock()
		self.bad_devices: set[str] = set()
		self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
		self.httpd.daemon_threads = True
		self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

	@property
	def url(self) -> str:
		return f"http://127.0.0.1:{self.httpd.server_address[1]}"

	def __enter__(self) -> FakeServer:
		self.thread.start()
		return self

	def __exit__(self, *exc) -> None:
		self.httpd.shutdown()
		self.httpd.server_close()

	def ingest(self, readings: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
		if len(readings) > self.max_batch:
			msg = f"At most {self.max_batch} readings per request; this one has {len(readings)}"
			return 417, {
				"exc_type": "ValidationError",
				"_server_messages": json.dumps([json.dumps({"message": msg})]),
			}
		accepted, duplicates, rejected = [], [], []
		with self.lock:
			for row, r in enumerate(readings, start=1):
				key = (r["device"], r["observed_at"], r["metric"])
				if r["device"] in self.bad_devices:
					rejected.append({"row": row, "error": f"Row {row}: Device {r['device']} is inactive"})
				elif self.contract == "new" and key in self.keys:
					duplicates.append({"row": row, "name": f"OBS-{key}"})
				else:
					self.keys.add(key)
					self.stored.append(key)
					accepted.append({"row": row, "name": f"OBS-{len(self.stored)}", "quality_flag": "Valid"})
		answer: dict[str, Any] = {"accepted": accepted, "rejected": rejected}
		if self.contract == "new":
			answer["duplicates"] = duplicates
		return 200, {"message": answer}

	def ticket(self, doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
		key = (doc["site"], doc["ticket_no"])
		with self.lock:
			if key in self.tickets:
				return 417, {
					"exc_type": "DuplicateTicketError",
					"exception": "yam_agri_core.exceptions.DuplicateTicketError: Ticket No is already used",
				}
			if doc.get("gross_kg", 0) > 100000:
				return 417, {"exc_type": "ValidationError", "exception": "ValidationError: gross too high"}
			self.tickets[key] = doc
		return 200, {"data": {"name": f"SCL-{len(self.tickets)}", **doc}}

	def _handler(self):
		server = self

		class Handler(BaseHTTPRequestHandler):
			def _answer(self, status: int, body: dict[str, Any]) -> None:
				data = json.dumps(body).encode()
				self.send_response(status)
				self.send_header("Content-Type", "application/json")
				self.send_header("Content-Length", str(len(data)))
				self.end_headers()
				self.wfile.write(data)

			def do_GET(self):
				if "get_time_zone" in self.path:
					self._answer(200, {"message": {"time_zone": "Asia/Aden"}})
				else:
					self._answer(404, {})

			def do_POST(self):
				body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
				server.requests += 1
				if server.delay:
					time.sleep(server.delay)
				if server.down:
					self._answer(503, {"message": "down for maintenance"})
				elif not self.headers.get("Authorization", "").startswith("token "):
					self._answer(401, {"exc_type": "AuthenticationError"})
				elif self.path.endswith("ingest_observations"):
					self._answer(*server.ingest(body["readings"]))
				elif self.path == "/api/resource/Scale%20Ticket" or self.path == "/api/resource/Scale Ticket":
					self._answer(*server.ticket(body))
				else:
					self._answer(404, {})

			def log_message(self, *args):
				pass

		return Handler


def gateway_env(queue: Path, broker_port: int, server_url: str, **extra: str) -> dict[str, str]:
	env = {k: v for k, v in os.environ.items() if not k.startswith("YAM_GW_")}
	env.update(
		PYTHONPATH=str(GATEWAY_DIR),
		YAM_GW_MQTT_HOST="127.0.0.1",
		YAM_GW_MQTT_PORT=str(broker_port),
		YAM_GW_MQTT_USERNAME="yam-gateway",
		YAM_GW_MQTT_PASSWORD=USERS["yam-gateway"],
		YAM_GW_MQTT_CLIENT_ID=f"yam-gateway-test-{queue.parent.name}",
		YAM_GW_SERVER_URL=server_url,
		YAM_GW_API_KEY="key",
		YAM_GW_API_SECRET="secret",
		YAM_GW_QUEUE_PATH=str(queue),
		YAM_GW_LINGER_SECONDS="0.2",
		YAM_GW_BACKOFF_BASE="0.2",
		YAM_GW_BACKOFF_CAP="1",
		YAM_GW_STATUS_PORT=str(free_port()),
	)
	env.update(extra)
	return env


class GatewayProcess:
	"""``python -m yam_gateway`` in a subprocess, logging to ``log``."""

	def __init__(self, env: dict[str, str], log: Path):
		self.env = env
		self.log = log
		self.proc: subprocess.Popen | None = None

	def start(self) -> GatewayProcess:
		out = open(self.log, "a")
		self.proc = subprocess.Popen(
			[sys.executable, "-m", "yam_gateway", "run"], env=self.env, stdout=out, stderr=subprocess.STDOUT
		)
		port = int(self.env["YAM_GW_STATUS_PORT"])
		wait_for(
			lambda: port_open(port) or self.proc.poll() is not None, 20, what="the gateway's health port"
		)
		assert self.proc.poll() is None, self.log.read_text()[-3000:]
		wait_for(lambda: self.health()["mqtt_subscribed"], 20, what="the gateway subscribed")
		return self

	def health(self) -> dict[str, Any]:
		"""The health endpoint's figures (a 503 answer has them too)."""
		import urllib.error
		import urllib.request

		url = f"http://127.0.0.1:{self.env['YAM_GW_STATUS_PORT']}/health"
		try:
			with urllib.request.urlopen(url, timeout=5) as resp:
				return json.loads(resp.read())
		except urllib.error.HTTPError as exc:
			return json.loads(exc.read())

	def kill(self) -> None:
		"""kill -9: no clean-up of any kind."""
		if self.proc and self.proc.poll() is None:
			os.kill(self.proc.pid, signal.SIGKILL)
			self.proc.wait(10)

	def stop(self) -> int:
		if self.proc and self.proc.poll() is None:
			self.proc.terminate()
			return self.proc.wait(30)
		return self.proc.returncode if self.proc else 0
