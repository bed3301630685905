"""mock_iot's MQTT mode: publish as a real sensor does, one QoS 1 message per reading on
``yam/{site_code}/{device_id}/observation``, for the field gateway (yam-gateway) to forward.
Run through ``mock_iot.py --mqtt HOST:PORT`` (see its help)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sim_loop
import yam_sim_client as sim
from mock_iot import DECIMALS, Faults, Reading, ReadingGenerator, SensorSimulation, tally

log = logging.getLogger("mock_iot")

#: the server's metric -> (MQTT metric name, MQTT unit) as sensors send them
MQTT_NAMES: dict[str, tuple[str, str]] = {
	"Temperature": ("temperature", "C"),
	"Humidity": ("humidity", "%"),
	"Grain Moisture": ("grain_moisture", "%"),
	"CO2": ("co2", "ppm"),
}
SENSOR_TYPES = {name: device_type for device_type, (name, _) in sim.DEVICE_METRICS.items()}
SENSOR_TYPES.update({mqtt: SENSOR_TYPES[metric] for metric, (mqtt, _) in MQTT_NAMES.items()})


def mqtt_topic(site: str, device: str, prefix: str = "yam") -> str:
	return f"{prefix}/{site}/{device}/observation"


def build_mqtt_payload(reading: Reading, observed_at_utc: dt.datetime) -> dict[str, Any]:
	"""The issue's sensor payload: lower-case metric, the sensor's unit, an ISO 8601 UTC time."""
	name, unit = MQTT_NAMES[reading.metric]
	value: float | int = int(reading.value) if DECIMALS[reading.metric] == 0 else reading.value
	return {
		"metric": name,
		"value": value,
		"unit": unit,
		"ts": observed_at_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
	}


def parse_sensor(text: str) -> dict[str, Any]:
	"""SITE/DEVICE/TYPE (TYPE: temperature, humidity, grain_moisture, co2, or a device type) -> a Device row."""
	parts = text.split("/")
	if len(parts) != 3 or not all(parts):
		raise argparse.ArgumentTypeError(f"--sensor {text!r}: expected SITE_CODE/DEVICE_ID/TYPE")
	kind = SENSOR_TYPES.get(parts[2]) or SENSOR_TYPES.get(parts[2].lower()) or parts[2]
	if kind not in sim.DEVICE_METRICS:
		raise argparse.ArgumentTypeError(
			f"--sensor {text!r}: TYPE must be one of {', '.join(n for n, _ in MQTT_NAMES.values())}"
		)
	return {"name": parts[1], "site": parts[0], "device_type": kind, "is_active": 1}


class StaticDevices:
	"""The loop's client in MQTT mode with --sensor: the sensors given, UTC, no stored history."""

	def __init__(self, devices: list[dict[str, Any]]):
		self.devices = devices

	def list_devices(self) -> list[dict[str, Any]]:
		return list(self.devices)

	def site_timezone(self) -> str:
		return "UTC"

	def last_value(self, device: str, metric: str) -> float | None:
		return None


class MqttPublisher:
	"""A paho client publishing QoS 1; paho keeps unsent messages and sends them after a reconnect."""

	def __init__(self, host: str, port: int, username: str = "", password: str = "", timeout: float = 30.0):
		import paho.mqtt.client as mqtt

		self.timeout = timeout
		self.client = mqtt.Client(
			mqtt.CallbackAPIVersion.VERSION2, client_id=f"mock-iot-{random.getrandbits(32):08x}"
		)
		if username:
			self.client.username_pw_set(username, password)
		self.client.reconnect_delay_set(1, 60)
		self.client.connect_async(host, port)
		self.client.loop_start()

	def publish(self, topic: str, payload: dict[str, Any]) -> bool:
		"""Publish once the client is connected and wait for the broker's PUBACK; a message refused
		because the link dropped meanwhile is published again (the gateway keeps one per key)."""
		deadline = time.monotonic() + self.timeout
		body = json.dumps(payload)
		while time.monotonic() < deadline:
			if not self.client.is_connected():
				time.sleep(0.02)
				continue
			info = self.client.publish(topic, body, qos=1)
			with contextlib.suppress(RuntimeError, ValueError):  # not connected after all: try again
				info.wait_for_publish(timeout=max(0.1, deadline - time.monotonic()))
				if info.is_published():
					return True
		return False


class MqttSensorSimulation(SensorSimulation):
	"""A round publishes one MQTT message per sensor; the broker's PUBACK is what "sent" means here."""

	def __init__(self, gen: ReadingGenerator, publisher: Any, prefix: str = "yam", **kwargs: Any):
		super().__init__(gen, **kwargs)
		self.publisher = publisher
		self.prefix = prefix

	def post_reading(self, client: Any, device: dict[str, Any], clock: sim_loop.Clock) -> None:
		reading = self.gen.next_reading(device)
		self.seq += 1
		if reading.fault:
			tally(self.stats.faults, reading.fault)
		payload = build_mqtt_payload(reading, dt.datetime.now(dt.timezone.utc))
		topic = mqtt_topic(device["site"], device["name"], self.prefix)
		if self.publisher.publish(topic, payload):
			self.stats.sent += 1
			log.info("%s %s", topic, json.dumps(payload))
		else:
			self.stats.errors += 1
			log.error("%s: no PUBACK from the broker yet (kept by the client, sent after a reconnect)", topic)


def split_host_port(text: str) -> tuple[str, int]:
	host, _, port = text.rpartition(":")
	if not host or not port.isdigit():
		raise argparse.ArgumentTypeError(f"--mqtt {text!r}: expected HOST:PORT")
	return host, int(port)


def main_mqtt(args: argparse.Namespace) -> int:
	host, port = split_host_port(args.mqtt)
	if args.sensor:
		sim.setup_logging(args.verbose)
		cfg = sim.config_from_args(args)
		cfg.timezone = "UTC"
		sleep = sim.make_sleeper(cfg.heartbeat_file)
		client: Any = StaticDevices(args.sensor)
		rng = random.Random(cfg.seed)
	else:
		app = sim_loop.start(args, default_email="gateway-iot@yam.localhost")
		cfg, client, sleep, rng = app.cfg, app.client, app.sleep, app.rng
	publisher = MqttPublisher(
		host, port, os.environ.get("YAM_MQTT_USERNAME", ""), os.environ.get("YAM_MQTT_PASSWORD", "")
	)
	faults = Faults(args.spike_rate, args.stuck_rate, args.stuck_length, args.hot_after, args.hot_rise)
	gen = ReadingGenerator(rng, faults, args.hot_device)
	simulation = MqttSensorSimulation(
		gen, publisher, args.topic_prefix, hot_wanted=args.hot_device, only=args.device
	)
	stats = sim_loop.run_rounds(cfg, client, simulation, sleep=sleep)
	return sim_loop.exit_code(cfg, stats)
