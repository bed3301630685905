"""Forwarding the queue to the server.

Readings go in batches to ``POST /api/method/yam_agri_core.api.ingest_observations``; the answer names each row
(1-based, in the order sent) as accepted, duplicate (already stored: a resend) or rejected (bad data, with the
reason). Each of those is done. Rows the answer does not name stay queued. Tickets go one by one to
``POST /api/resource/Scale Ticket``; a DuplicateTicketError means the ticket is already there: done.

Only "no answer" is retried, with exponential backoff: a connection error, a timeout, HTTP 5xx, 408/425/429,
and the answers that are the gateway's own set-up problem rather than the data's (401/403: key or grants,
404: no such method). A whole-batch refusal (4xx) is split in halves until the row at fault is found and
rejected alone; "at most N readings per request" makes the batch smaller.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from yam_gateway import queue as q
from yam_gateway.config import Config
from yam_gateway.messages import OBSERVATION, TICKET

log = logging.getLogger("yam_gateway.forward")

INGEST_PATH = "/api/method/yam_agri_core.api.ingest_observations"
TICKET_PATH = "/api/resource/Scale Ticket"
TZ_PATH = "/api/method/frappe.client.get_time_zone"
RETRY_STATUS = {401, 403, 404, 408, 425, 429}
BATCH_LIMIT_RE = re.compile(r"[Aa]t most (\d+) readings")


class Unreachable(Exception):
	"""No usable answer from the server: retry later."""


def backoff_delays(base: float, cap: float, rng: random.Random | None = None) -> Iterator[float]:
	"""base, 2·base, 4·base … capped at ``cap``, each with ±20 % jitter (gateways of many sites do not
	come back in step)."""
	rng = rng or random.Random()
	delay = base
	while True:
		yield min(cap, delay * rng.uniform(0.8, 1.2))
		delay = min(cap, delay * 2)


def is_retryable(status: int | None) -> bool:
	return status is None or status >= 500 or status in RETRY_STATUS


def error_text(body: Any, fallback: str = "") -> str:
	"""The human part of a Frappe error answer."""
	if isinstance(body, dict):
		if body.get("_server_messages"):
			try:
				return "; ".join(
					str(json.loads(m).get("message", m)) for m in json.loads(body["_server_messages"])
				)
			except (ValueError, TypeError, AttributeError):
				return str(body["_server_messages"])
		for key in ("exception", "message", "exc_type"):
			if body.get(key):
				return str(body[key])
	return (fallback or "")[:500]


class Forwarder:
	def __init__(
		self,
		cfg: Config,
		queue: q.Queue,
		session: Any = None,
		clock: Callable[[], float] = time.time,
		rng: random.Random | None = None,
	):
		if session is None:
			import requests

			session = requests.Session()
		self.cfg = cfg
		self.queue = queue
		self.session = session
		self.session.headers.update(self.headers())
		self.clock = clock
		self.rng = rng or random.Random()
		self.batch_size = cfg.batch_size
		self.last_error = ""
		self.last_error_at: float | None = None
		self._tz: str = cfg.server_timezone or queue.get_meta("server_timezone")

	def headers(self) -> dict[str, str]:
		headers = {"Accept": "application/json", "Authorization": self.cfg.auth_header()}
		if self.cfg.site_name:
			headers["X-Frappe-Site-Name"] = self.cfg.site_name
		return headers

	# -- one step ------------------------------------------------------------------------------------------

	def forward_once(self) -> int:
		"""Send one batch of readings and the waiting tickets (up to a batch); rows finished. Raises Unreachable."""
		done = 0
		batch = self.queue.next_batch(OBSERVATION, self.batch_size)
		if batch:
			done += self.send_readings(batch)
		tickets = self.queue.next_batch(TICKET, self.batch_size)
		for row_id, body in tickets:
			done += self.send_ticket(row_id, body)
		return done

	def send_readings(self, batch: list[tuple[int, dict[str, Any]]]) -> int:
		status, body = self.post(INGEST_PATH, {"readings": [b for _, b in batch]})
		if status == 200:
			return self.record_answer(batch, body)
		message = error_text(body)
		limit = BATCH_LIMIT_RE.search(message)
		if status == 413 or limit:
			smaller = int(limit.group(1)) if limit else len(batch) // 2
			self.batch_size = max(1, min(smaller, len(batch) // 2 if not limit else smaller))
			log.warning(
				"server takes at most %s readings per request: batch size now %s", smaller, self.batch_size
			)
			return 0
		if len(batch) > 1:  # a whole-batch refusal: find the row at fault
			half = len(batch) // 2
			return self.send_readings(batch[:half]) + self.send_readings(batch[half:])
		log.error("reading %s refused by the server: HTTP %s %s", batch[0][1], status, message)
		self.queue.finish([(batch[0][0], q.REJECTED, f"HTTP {status}: {message}")], now=self.clock())
		return 1

	def record_answer(self, batch: list[tuple[int, dict[str, Any]]], body: Any) -> int:
		"""Rows named in the answer are done (old answers have no "duplicates": same code); others stay."""
		answer = body.get("message") if isinstance(body, dict) else None
		if not isinstance(answer, dict):
			raise Unreachable(f"unexpected answer from the server: {str(body)[:200]}")
		ids = [row_id for row_id, _ in batch]
		outcomes: dict[int, tuple[str, str]] = {}
		for outcome in (q.ACCEPTED, q.DUPLICATE, q.REJECTED):
			for entry in answer.get(outcome + "s" if outcome == q.DUPLICATE else outcome) or []:
				row = entry.get("row") if isinstance(entry, dict) else None
				if isinstance(row, int) and 1 <= row <= len(ids) and ids[row - 1] not in outcomes:
					outcomes[ids[row - 1]] = (outcome, str(entry.get("error") or ""))
		for outcome, error in outcomes.values():
			if outcome == q.REJECTED:
				log.warning("reading refused: %s", error)
		missing = [i for i in ids if i not in outcomes]
		self.queue.finish([(i, o, e) for i, (o, e) in outcomes.items()], retried=missing, now=self.clock())
		if missing:
			log.warning(
				"the server did not answer for %s of %s readings: they stay queued", len(missing), len(ids)
			)
		return len(outcomes)

	def send_ticket(self, row_id: int, ticket: dict[str, Any]) -> int:
		doc = {**ticket, "ticket_datetime": self.server_time(ticket["ticket_datetime"])}
		if self.cfg.submit_tickets:
			doc["docstatus"] = 1
		status, body = self.post(TICKET_PATH, doc)
		if status == 200:
			outcome, error = q.ACCEPTED, ""
		elif (
			"DuplicateTicketError"
			in f"{(body or {}).get('exc_type', '')} {(body or {}).get('exception', '')}"
		):
			outcome, error = q.DUPLICATE, ""
		else:
			outcome, error = q.REJECTED, f"HTTP {status}: {error_text(body)}"
			log.error("ticket %s of %s refused: %s", ticket["ticket_no"], ticket["site"], error)
		self.queue.finish([(row_id, outcome, error)], now=self.clock())
		return 1

	# -- HTTP ----------------------------------------------------------------------------------------------

	def post(self, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
		"""(status, JSON body) of an answer that is final for the data; Unreachable for anything else."""
		return self._request("POST", path, json=payload)

	def _request(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
		try:
			resp = self.session.request(
				method, self.cfg.server_url + path, timeout=self.cfg.timeout, **kwargs
			)
		except Exception as exc:  # connection refused, DNS, timeout, reset mid-answer
			raise Unreachable(f"{type(exc).__name__}: {exc}")
		try:
			body = resp.json() if resp.content else {}
		except ValueError:
			body = None
		if is_retryable(resp.status_code):
			raise Unreachable(f"HTTP {resp.status_code}: {error_text(body, resp.text)}")
		if resp.status_code == 200 and body is None:
			raise Unreachable(f"HTTP 200 with a body that is not JSON: {resp.text[:200]}")
		return resp.status_code, body if body is not None else {}

	def server_time(self, text: str) -> str:
		"""A ticket time as the server stores it: naive, in the server's time zone."""
		parsed = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
		if parsed.tzinfo is None:
			return parsed.strftime("%Y-%m-%d %H:%M:%S")
		from zoneinfo import ZoneInfo

		return parsed.astimezone(ZoneInfo(self.server_timezone())).strftime("%Y-%m-%d %H:%M:%S")

	def server_timezone(self) -> str:
		if not self._tz:
			status, body = self._request("GET", TZ_PATH)
			message = (body or {}).get("message") if status == 200 else None
			tz = message.get("time_zone") if isinstance(message, dict) else message
			if not tz:
				raise Unreachable(f"the server did not give its time zone (HTTP {status})")
			self._tz = str(tz)
			self.queue.set_meta("server_timezone", self._tz)
		return self._tz

	# -- the loop ------------------------------------------------------------------------------------------

	def run(self, stop: threading.Event, wake: threading.Event | None = None) -> None:
		"""Forward until ``stop`` is set: at once while there is a backlog, with backoff while unreachable."""
		wake = wake or threading.Event()
		delays = backoff_delays(self.cfg.backoff_base, self.cfg.backoff_cap, self.rng)
		last_purge = 0.0
		while not stop.is_set():
			try:
				done = self.forward_once()
			except Unreachable as exc:
				self.last_error, self.last_error_at = str(exc), self.clock()
				delay = next(delays)
				log.warning(
					"server unreachable (%s); %s rows queued; retrying in %.0fs",
					exc,
					self.queue.depth(),
					delay,
				)
				stop.wait(delay)
				continue
			delays = backoff_delays(self.cfg.backoff_base, self.cfg.backoff_cap, self.rng)
			if self.clock() - last_purge > 600:
				self.queue.purge_done(self.cfg.keep_done_hours, now=self.clock())
				last_purge = self.clock()
			depth = self.queue.depth()
			if done and depth >= self.batch_size:
				continue  # a backlog: the next batch at once
			if not depth:
				for _ in range(60):  # until a message is stored or we are stopped (a minute at most: purge)
					if wake.wait(1) or stop.is_set():
						break
				wake.clear()
			stop.wait(self.cfg.linger_seconds)  # let a batch fill up a little
