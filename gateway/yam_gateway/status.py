"""What the gateway tells about itself: the health endpoint (``GET /health`` on ``status_bind:status_port``)
of a running gateway, and ``yam-gateway status``, which reads the queue file itself (it works while the
gateway is stopped).

The gateway is healthy while it runs: a server that cannot be reached is what it is built for, so that is
reported (``server_reachable``, ``last_forward_ok_age_s``, the queue depth) but does not fail the check.
It is unhealthy (503) when its forwarding thread has died or the broker has been away for over 5 minutes.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from yam_gateway.queue import Queue

BROKER_GRACE = 300.0


def snapshot(queue_path: str, live: dict[str, Any] | None = None) -> dict[str, Any]:
	"""The queue's figures, plus the running process's (``live``) when there is one."""
	reader = Queue(queue_path, readonly=True)
	try:
		state = reader.stats()
	finally:
		reader.close()
	if live:
		state.update(live)
	return state


class HealthServer:
	def __init__(self, bind: str, port: int, state: Any):
		"""``state()`` -> (healthy, dict)."""
		handler = _handler(state)
		self.httpd = ThreadingHTTPServer((bind, port), handler)
		self.httpd.daemon_threads = True
		self.thread = threading.Thread(target=self.httpd.serve_forever, name="health", daemon=True)

	@property
	def port(self) -> int:
		return self.httpd.server_address[1]

	def start(self) -> None:
		self.thread.start()

	def stop(self) -> None:
		self.httpd.shutdown()
		self.httpd.server_close()


def _handler(state):
	class Handler(BaseHTTPRequestHandler):
		def do_GET(self):
			if self.path.split("?")[0] not in ("/health", "/healthz", "/status"):
				self.send_error(404)
				return
			healthy, body = state()
			data = json.dumps(body, indent=1, sort_keys=True).encode()
			self.send_response(200 if healthy else 503)
			self.send_header("Content-Type", "application/json")
			self.send_header("Content-Length", str(len(data)))
			self.end_headers()
			self.wfile.write(data)

		def log_message(self, *args):  # no access log on stderr
			pass

	return Handler


def broker_ok(connected: bool, disconnected_since: float | None, now: float | None = None) -> bool:
	if connected or disconnected_since is None:
		return True
	return (time.time() if now is None else now) - disconnected_since < BROKER_GRACE


def healthcheck(bind: str, port: int, timeout: float = 5.0) -> int:
	"""Exit code for a container healthcheck: 0 when the running gateway says it is healthy."""
	host = "127.0.0.1" if bind in ("0.0.0.0", "") else bind
	try:
		with urllib.request.urlopen(f"http://{host}:{port}/health", timeout=timeout) as resp:
			return 0 if resp.status == 200 else 1
	except Exception:
		return 1
