"""MQTT intake: subscribe, check each message, store it, and only then acknowledge it to the broker.

The session is persistent (fixed client id, ``clean_session=False``) and every subscription is QoS 1, so the
broker keeps what arrives while the gateway is down or restarting and delivers it again on reconnect, and
redelivers anything the gateway received but had not acknowledged (it died before the commit). Acknowledgement
is manual: PUBACK goes out after the SQLite commit (see queue.py), never before.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt

from yam_gateway import messages
from yam_gateway.config import Config
from yam_gateway.queue import Queue

log = logging.getLogger("yam_gateway.intake")


def topics(cfg: Config) -> list[tuple[str, int]]:
	return [(f"{cfg.mqtt_topic_prefix}/+/+/{kind}", 1) for kind in messages.KINDS]


class Intake:
	def __init__(self, cfg: Config, queue: Queue, wake: threading.Event | None = None):
		self.cfg = cfg
		self.queue = queue
		self.wake = wake or threading.Event()
		self.connected = False
		self.subscribed = False
		self.last_message_at: float | None = None
		self.store_failed = False
		self.client = self.make_client()

	def make_client(self) -> mqtt.Client:
		client = mqtt.Client(
			mqtt.CallbackAPIVersion.VERSION2,
			client_id=self.cfg.mqtt_client_id,
			clean_session=False,
			protocol=mqtt.MQTTv311,
			manual_ack=True,
		)
		if self.cfg.mqtt_username:
			client.username_pw_set(self.cfg.mqtt_username, self.cfg.mqtt_password)
		if self.cfg.mqtt_tls_ca:
			client.tls_set(ca_certs=self.cfg.mqtt_tls_ca, tls_version=ssl.PROTOCOL_TLS_CLIENT)
		client.reconnect_delay_set(min_delay=1, max_delay=30)
		client.on_connect = self.on_connect
		client.on_disconnect = self.on_disconnect
		client.on_message = self.on_message
		client.on_subscribe = self.on_subscribe
		return client

	def start(self) -> None:
		"""Connect in the background (the broker may not be up yet: paho keeps trying) and run the loop."""
		self.client.connect_async(self.cfg.mqtt_host, self.cfg.mqtt_port, keepalive=self.cfg.mqtt_keepalive)
		self.client.loop_start()

	def stop(self) -> None:
		self.client.disconnect()
		self.client.loop_stop()

	# -- callbacks (paho's network thread) -----------------------------------------------------------------

	def on_connect(
		self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
	) -> None:
		if reason.is_failure:
			log.error(
				"broker %s:%s refused the connection: %s", self.cfg.mqtt_host, self.cfg.mqtt_port, reason
			)
			return
		self.connected = True
		log.info(
			"connected to %s:%s (session present: %s)",
			self.cfg.mqtt_host,
			self.cfg.mqtt_port,
			getattr(flags, "session_present", "?"),
		)
		client.subscribe(topics(self.cfg))

	def on_subscribe(
		self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any
	) -> None:
		self.subscribed = not any(r.is_failure for r in reasons)
		if not self.subscribed:
			log.error("the broker refused a subscription (%s): check the gateway user's ACL", reasons)

	def on_disconnect(
		self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
	) -> None:
		self.connected = self.subscribed = False
		log.warning("disconnected from the broker (%s); reconnecting", reason)

	def on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
		if self.handle(msg.topic, msg.payload):
			client.ack(msg.mid, msg.qos)
		else:
			# not stored (disk full, database locked for too long): no PUBACK, and a new connection makes the
			# broker deliver it again
			self.store_failed = True
			client.disconnect()

	def handle(self, topic: str, payload: bytes) -> bool:
		"""Store one message (or its dead letter); True once it is committed."""
		self.last_message_at = time.time()
		try:
			items = messages.parse_message(topic, payload, self.cfg.mqtt_topic_prefix)
		except messages.BadMessage as exc:
			reason = str(exc)
			log.warning("dead letter from %s: %s", topic, reason)
			return self._store(lambda: self.queue.put_dead_letter(topic, payload, reason))
		stored = self._store(lambda: self.queue.put(items))
		if stored:
			self.wake.set()
		return stored

	def _store(self, write) -> bool:
		try:
			write()
		except Exception:
			log.exception("could not store a message; it stays with the broker")
			return False
		return True

	def reconnect_if_needed(self) -> None:
		"""After a failed store (the callback disconnected, which ends paho's thread): connect again, so the
		broker delivers the unacknowledged message once more."""
		if self.store_failed:
			self.store_failed = False
			self.client.loop_stop()
			self.start()
