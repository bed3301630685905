"""Shared client of the YAM Agri simulators (mock_iot.py, mock_scale.py) and setup_gateway.py.

The simulators' main loop is in sim_loop.py, gateway user provisioning in gateway_user.py.

Talks to the Frappe REST API as a Sensor Gateway user (``Authorization: token KEY:SECRET``), retries with
exponential backoff while the backend is down, and never raises out of the simulators' main loops.
Everything that decides something (backoff schedule, headers, payloads, configuration) is a plain function
so it can be tested without a network; the network is only touched by ``YamClient`` methods.

Run directly for the container healthcheck: ``python yam_sim_client.py --healthcheck /tmp/yam-sim.heartbeat``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger("yam_sim")

# device_type -> (metric, unit) as the data contract names them
DEVICE_METRICS: dict[str, tuple[str, str]] = {
	"Temperature Sensor": ("Temperature", "°C"),
	"Humidity Sensor": ("Humidity", "%"),
	"Moisture Sensor": ("Grain Moisture", "%"),
	"CO2 Sensor": ("CO2", "ppm"),
}

RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class ApiError(Exception):
	"""The server answered, and the answer was a refusal that retrying will not change (4xx)."""

	def __init__(self, status: int, message: str, body: Any = None):
		super().__init__(f"HTTP {status}: {message}")
		self.status = status
		self.message = message
		self.body = body


class GaveUp(Exception):
	"""Bounded retrying (max_attempts) ran out while the server stayed unreachable."""


# ---------------------------------------------------------------------------------------------------------------
# configuration


@dataclasses.dataclass
class Config:
	url: str = "http://127.0.0.1:8000"
	site_name: str = ""
	api_key: str = ""
	api_secret: str = ""
	admin_password: str = ""
	gateway_email: str = ""
	timeout: float = 15.0
	interval: float = 60.0
	count: int | None = None
	seed: int | None = None
	heartbeat_file: str = ""
	max_backoff: float = 300.0
	timezone: str = ""

	@classmethod
	def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Config:
		env = dict(os.environ if env is None else env)
		cfg = cls(
			url=env.get("YAM_URL", cls.url).rstrip("/"),
			site_name=env.get("YAM_SITE_NAME", ""),
			api_key=env.get("YAM_API_KEY", ""),
			api_secret=env.get("YAM_API_SECRET", ""),
			admin_password=env.get("YAM_ADMIN_PASSWORD", ""),
			gateway_email=env.get("YAM_GATEWAY_EMAIL", ""),
			timeout=float(env.get("YAM_TIMEOUT", cls.timeout)),
			interval=float(env.get("YAM_INTERVAL", cls.interval)),
			heartbeat_file=env.get("YAM_HEARTBEAT_FILE", ""),
			max_backoff=float(env.get("YAM_MAX_BACKOFF", cls.max_backoff)),
			timezone=env.get("YAM_TZ", ""),
		)
		for key, value in overrides.items():
			if value is not None:
				setattr(cfg, key, value)
		cfg.url = cfg.url.rstrip("/")
		return cfg


def add_common_args(parser: argparse.ArgumentParser) -> None:
	"""Command-line options shared by the simulators; the environment (YAM_*) gives the defaults."""
	parser.add_argument("--url", help="backend base URL (env YAM_URL, default http://127.0.0.1:8000)")
	parser.add_argument(
		"--site-name", help="Frappe site to address (env YAM_SITE_NAME), sent as X-Frappe-Site-Name"
	)
	parser.add_argument("--interval", type=float, help="seconds between rounds (env YAM_INTERVAL)")
	parser.add_argument("--count", type=int, help="stop after N rounds (default: run for ever)")
	parser.add_argument("--once", action="store_true", help="one round, then exit (same as --count 1)")
	parser.add_argument("--seed", type=int, help="random seed, for repeatable runs")
	parser.add_argument("--tz", dest="timezone", help="time zone of observed_at (default: the site's)")
	parser.add_argument("-v", "--verbose", action="store_true")


def config_from_args(args: argparse.Namespace, env: dict[str, str] | None = None) -> Config:
	count = 1 if getattr(args, "once", False) else args.count
	return Config.from_env(
		env,
		url=args.url,
		site_name=args.site_name,
		interval=args.interval,
		count=count,
		seed=args.seed,
		timezone=args.timezone,
	)


# ---------------------------------------------------------------------------------------------------------------
# pure helpers


def backoff_delays(
	base: float = 1.0,
	factor: float = 2.0,
	cap: float = 300.0,
	jitter: float = 0.1,
	rng: random.Random | None = None,
) -> Iterator[float]:
	"""Endless exponential backoff: base, base*factor, ... capped at ``cap``, each +/- ``jitter`` (fraction)."""
	rng = rng or random.Random()
	delay = base
	while True:
		spread = delay * jitter
		yield max(0.0, min(cap, delay + rng.uniform(-spread, spread)))
		delay = min(cap, delay * factor)


def auth_headers(cfg: Config) -> dict[str, str]:
	headers = {"Accept": "application/json"}
	if cfg.api_key and cfg.api_secret:
		headers["Authorization"] = f"token {cfg.api_key}:{cfg.api_secret}"
	if cfg.site_name:
		headers["X-Frappe-Site-Name"] = cfg.site_name
	return headers


def should_retry(status: int | None) -> bool:
	"""None = no answer at all (connection refused, timeout)."""
	return status is None or status in RETRY_STATUS


def error_message(body: Any, fallback: str = "") -> str:
	"""The human part of a Frappe error answer (exception / _server_messages / message)."""
	if isinstance(body, dict):
		if body.get("_server_messages"):
			try:
				msgs = [json.loads(m).get("message", m) for m in json.loads(body["_server_messages"])]
				return "; ".join(str(m) for m in msgs)
			except (ValueError, TypeError, AttributeError):
				return str(body["_server_messages"])
		for key in ("exception", "message", "exc_type"):
			if body.get(key):
				return str(body[key])
	return fallback[:300]


def now_in_tz(tz_name: str = "", clock: Callable[[], dt.datetime] | None = None) -> dt.datetime:
	"""Naive local time of the site's time zone (what Frappe stores), falling back to this machine's."""
	if clock is not None:
		return clock()
	if tz_name:
		try:
			from zoneinfo import ZoneInfo

			return dt.datetime.now(ZoneInfo(tz_name)).replace(tzinfo=None)
		except Exception:  # unknown zone or no tz database: use local time
			log.warning("time zone %r unknown here; using this machine's local time", tz_name)
	return dt.datetime.now()


def format_datetime(value: dt.datetime) -> str:
	return value.strftime(DATETIME_FORMAT)


def write_heartbeat(path: str, now: float | None = None) -> None:
	if not path:
		return
	try:
		with open(path, "w") as f:
			f.write(str(now if now is not None else time.time()))
		if now is not None:
			os.utime(path, (now, now))
	except OSError as exc:
		log.warning("cannot write heartbeat %s: %s", path, exc)


def make_sleeper(heartbeat_file: str, sleep: Callable[[float], None] = time.sleep, chunk: float = 15.0):
	"""A sleep() that keeps the heartbeat fresh while it waits (the process is alive, just waiting)."""

	def _sleep(seconds: float) -> None:
		remaining = max(0.0, seconds)
		while True:
			write_heartbeat(heartbeat_file)
			if remaining <= 0:
				return
			step = min(chunk, remaining)
			sleep(step)
			remaining -= step

	return _sleep


def heartbeat_ok(path: str, max_age: float, now: float | None = None) -> bool:
	"""True when the simulator's loop touched ``path`` less than ``max_age`` seconds ago."""
	try:
		age = (now if now is not None else time.time()) - os.path.getmtime(path)
	except OSError:
		return False
	return age <= max_age


# ---------------------------------------------------------------------------------------------------------------
# the client


class YamClient:
	"""Frappe REST client with retry/backoff. ``session`` and ``sleep`` are injectable for tests."""

	def __init__(
		self,
		cfg: Config,
		session: Any = None,
		sleep: Callable[[float], None] = time.sleep,
		rng: random.Random | None = None,
		max_attempts: int | None = None,
	):
		if session is None:
			import requests

			session = requests.Session()
		self.cfg = cfg
		self.session = session
		self.sleep = sleep
		self.rng = rng or random.Random()
		self.max_attempts = max_attempts
		self.session.headers.update(auth_headers(cfg))

	def request(self, method: str, path: str, **kwargs: Any) -> Any:
		"""JSON body of the answer. Retries (backoff) on no answer, 5xx and 429; ApiError on other 4xx."""
		url = self.cfg.url + path
		delays = backoff_delays(cap=self.cfg.max_backoff, rng=self.rng)
		attempt = 0
		while True:
			attempt += 1
			status: int | None = None
			try:
				resp = self.session.request(method, url, timeout=self.cfg.timeout, **kwargs)
				status = resp.status_code
				if status < 400:
					return resp.json() if resp.content else {}
				try:
					body = resp.json()
				except ValueError:
					body = None
				if not should_retry(status):
					raise ApiError(status, error_message(body, resp.text or ""), body)
				reason = f"HTTP {status}"
			except ApiError:
				raise
			except Exception as exc:  # connection refused, DNS, timeout, bad JSON from a proxy page
				reason = f"{type(exc).__name__}: {exc}"
			if self.max_attempts is not None and attempt >= self.max_attempts:
				raise GaveUp(f"{method} {path}: {reason} (gave up after {attempt} attempts)")
			delay = next(delays)
			log.warning("%s %s: %s; retrying in %.1fs", method, path, reason, delay)
			self.sleep(delay)

	def ping(self) -> bool:
		return self.request("GET", "/api/method/frappe.ping").get("message") == "pong"

	def site_timezone(self) -> str:
		"""The site's time zone (System Settings), or "" when the server does not say."""
		try:
			msg = self.request("GET", "/api/method/frappe.client.get_time_zone").get("message") or {}
			return msg.get("time_zone", "") if isinstance(msg, dict) else str(msg)
		except (ApiError, GaveUp):
			return ""

	def list_devices(self) -> list[dict[str, Any]]:
		fields = json.dumps(["name", "device_type", "site", "storage_bin", "is_active"])
		data = self.request(
			"GET",
			"/api/resource/Device",
			params={"fields": fields, "limit_page_length": 0, "order_by": "name asc"},
		)
		return list(data.get("data") or [])

	def last_value(self, device: str, metric: str) -> float | None:
		"""The device's latest non-quarantined reading of ``metric``, to carry on from it after a restart."""
		filters = json.dumps(
			[["device", "=", device], ["metric", "=", metric], ["quality_flag", "!=", "Quarantine"]]
		)
		try:
			rows = self.request(
				"GET",
				"/api/resource/Observation",
				params={
					"filters": filters,
					"fields": json.dumps(["value"]),
					"order_by": "observed_at desc",
					"limit_page_length": 1,
				},
			).get("data")
		except (ApiError, GaveUp):
			return None
		return float(rows[0]["value"]) if rows else None

	def insert(self, doctype: str, doc: dict[str, Any]) -> dict[str, Any]:
		return self.request("POST", f"/api/resource/{doctype}", json=doc).get("data") or {}

	def create_observation(self, payload: dict[str, Any]) -> dict[str, Any]:
		return self.insert("Observation", payload)

	def create_scale_ticket(self, payload: dict[str, Any]) -> dict[str, Any]:
		return self.insert("Scale Ticket", payload)


# ---------------------------------------------------------------------------------------------------------------
# logging and the healthcheck


def setup_logging(verbose: bool = False, stream: Any = None) -> None:
	logging.basicConfig(
		level=logging.DEBUG if verbose else logging.INFO,
		format="%(asctime)s %(name)s %(levelname)s %(message)s",
		stream=stream or sys.stdout,
	)


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(description="YAM simulator helpers")
	parser.add_argument("--healthcheck", metavar="HEARTBEAT_FILE", help="exit 0 when the heartbeat is fresh")
	parser.add_argument("--max-age", type=float, default=0, help="seconds (default: 3 x YAM_INTERVAL + 300)")
	args = parser.parse_args(argv)
	if args.healthcheck:
		max_age = args.max_age or 3 * float(os.environ.get("YAM_INTERVAL", "60")) + 300
		return 0 if heartbeat_ok(args.healthcheck, max_age) else 1
	parser.print_help()
	return 2


if __name__ == "__main__":
	sys.exit(main())
