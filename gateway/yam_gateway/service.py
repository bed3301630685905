"""The running gateway: intake (MQTT) and forwarding (HTTP) on one queue file, a health endpoint, and a lock
so that two gateways never forward the same file."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from typing import Any

from yam_gateway import status
from yam_gateway.config import Config
from yam_gateway.forward import Forwarder
from yam_gateway.intake import Intake
from yam_gateway.queue import Queue

log = logging.getLogger("yam_gateway")


class AlreadyRunning(RuntimeError):
	pass


def lock_queue(path: str):
	"""An exclusive lock next to the queue file, held for the life of the process (freed by the kernel
	when the process dies, kill -9 included)."""
	os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
	handle = open(f"{path}.lock", "w")
	try:
		fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
	except BlockingIOError:
		handle.close()
		raise AlreadyRunning(f"another gateway is using {path}")
	handle.write(str(os.getpid()))
	handle.flush()
	return handle


class Gateway:
	def __init__(self, cfg: Config, session: Any = None):
		self.cfg = cfg
		self.lock = lock_queue(cfg.queue_path)
		self.stop_event = threading.Event()
		self.wake = threading.Event()
		self.intake = Intake(cfg, Queue(cfg.queue_path), self.wake)
		self.forwarder = Forwarder(cfg, Queue(cfg.queue_path), session=session)
		self.forward_thread = threading.Thread(target=self._forward, name="forward", daemon=True)
		self.health = (
			status.HealthServer(cfg.status_bind, cfg.status_port, self.state) if cfg.status_port else None
		)
		self.started_at = time.time()
		self.disconnected_since: float | None = None

	def _forward(self) -> None:
		try:
			self.forwarder.run(self.stop_event, self.wake)
		except Exception:
			log.exception("forwarding stopped")

	def state(self) -> tuple[bool, dict[str, Any]]:
		forwarding = self.forward_thread.is_alive()
		broker = status.broker_ok(self.intake.connected, self.disconnected_since)
		live = {
			"status": "ok" if forwarding and broker else "unhealthy",
			"mqtt_connected": self.intake.connected,
			"mqtt_subscribed": self.intake.subscribed,
			"forwarding": forwarding,
			"last_error": self.forwarder.last_error or None,
			"server_reachable": not self.forwarder.last_error,
			"batch_size": self.forwarder.batch_size,
			"uptime_s": round(time.time() - self.started_at),
			"pid": os.getpid(),
		}
		return forwarding and broker, status.snapshot(self.cfg.queue_path, live)

	def run(self) -> bool:
		"""Until stopped; False when it ended because forwarding died."""
		log.info(
			"yam-gateway: broker %s:%s, server %s, queue %s",
			self.cfg.mqtt_host,
			self.cfg.mqtt_port,
			self.cfg.server_url,
			self.cfg.queue_path,
		)
		self.forward_thread.start()
		self.intake.start()
		if self.health:
			self.health.start()
		while not self.stop_event.wait(1.0):
			self.intake.reconnect_if_needed()
			if self.intake.connected:
				self.disconnected_since = None
			elif self.disconnected_since is None:
				self.disconnected_since = time.time()
			if not self.forward_thread.is_alive():
				log.error("the forwarding thread died; exiting so that the supervisor restarts the gateway")
				self.shutdown()
				return False
		self.shutdown()
		return True

	def stop(self, *args: Any) -> None:
		self.stop_event.set()
		self.wake.set()

	def shutdown(self) -> None:
		self.stop_event.set()
		self.wake.set()
		self.intake.stop()
		self.forward_thread.join(timeout=self.cfg.timeout + 5)
		if self.health:
			self.health.stop()
		self.lock.close()
		log.info("yam-gateway stopped")
