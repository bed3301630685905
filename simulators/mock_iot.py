"""mock_iot: simulated grain-store sensors posting Observations through the YAM Agri REST API.

Every round it reads the devices its Sensor Gateway user can see (GET /api/resource/Device), and posts one
reading per active sensor (POST /api/resource/Observation). Readings drift realistically inside the valid
band, with occasional faults the server must catch: a spike (impossible jump), a stuck sensor (the same
value many times), and a hot bin (one temperature sensor warms past 35 °C, as self-heating grain does).

	python simulators/mock_iot.py --url http://127.0.0.1:8000 --site-name yam.localhost --count 3
	(env: YAM_API_KEY / YAM_API_SECRET of a Sensor Gateway user; see bash run.sh gateway-user)

It retries with backoff while the backend is down and never exits on an error; --count/--once bound it.

With --mqtt HOST:PORT it publishes as a real sensor does instead: one MQTT message per reading (QoS 1) on
yam/{site_code}/{device_id}/observation, payload {"metric": "temperature", "value": 28.5, "unit": "C",
"ts": "2026-02-23T10:00:00Z"}, for the field gateway (yam-gateway) to forward. The sensors are the --sensor
SITE/DEVICE/TYPE given (no server needed), else the devices the API shows (as above).

	python simulators/mock_iot.py --mqtt 127.0.0.1:1883 --sensor YEM-TAI-SILO-01/TMP-1/temperature --interval 60
	(env: YAM_MQTT_USERNAME / YAM_MQTT_PASSWORD of a broker user; see bash run.sh sensor add DEVICE_ID)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sim_loop
import yam_sim_client as sim

log = logging.getLogger("mock_iot")

# where a healthy bin sits (inside the contract's Valid band), and how far a reading moves per round
NORMAL_RANGE: dict[str, tuple[float, float]] = {
	"Temperature": (18.0, 27.0),
	"Humidity": (45.0, 65.0),
	"Grain Moisture": (11.0, 13.5),
	"CO2": (450.0, 850.0),
}
STEP: dict[str, float] = {"Temperature": 0.4, "Humidity": 1.5, "Grain Moisture": 0.1, "CO2": 25.0}
DECIMALS: dict[str, int] = {"Temperature": 1, "Humidity": 1, "Grain Moisture": 1, "CO2": 0}
# a spike is a sudden, physically implausible jump
SPIKE: dict[str, float] = {"Temperature": 35.0, "Humidity": 30.0, "Grain Moisture": 9.0, "CO2": 6000.0}
# what the sensor hardware can report at all (a spike stays inside, so it is a jump, not garbage)
SENSOR_LIMITS: dict[str, tuple[float, float]] = {
	"Temperature": (-40.0, 85.0),
	"Humidity": (0.0, 100.0),
	"Grain Moisture": (0.0, 40.0),
	"CO2": (0.0, 10000.0),
}
HOT_TARGET = (38.0, 43.0)  # a hot bin settles here (contract: > 35 °C is critical)


@dataclasses.dataclass
class Faults:
	spike_rate: float = 0.03
	stuck_rate: float = 0.004
	stuck_length: int = 24  # readings with the very same value (the server calls 20 in a row "stuck")
	hot_after: int = 10  # rounds before the hot bin starts warming; < 0: no hot bin
	hot_rise: float = 2.5  # °C per round while warming


@dataclasses.dataclass
class Reading:
	device: str
	metric: str
	unit: str
	value: float
	fault: str = ""  # "", "spike", "stuck", "hot"


@dataclasses.dataclass
class _State:
	value: float
	stuck_left: int = 0
	rounds: int = 0


def sensor_devices(devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
	"""Active devices that report a metric (sensors), sorted by name; scales and others are skipped."""
	out = [d for d in devices if d.get("device_type") in sim.DEVICE_METRICS and int(d.get("is_active") or 0)]
	return sorted(out, key=lambda d: d["name"])


def pick_hot_device(devices: list[dict[str, Any]], wanted: str = "") -> str:
	"""The temperature sensor that becomes the hot bin: ``wanted`` if given, else the first one by name."""
	temps = [d["name"] for d in sensor_devices(devices) if d["device_type"] == "Temperature Sensor"]
	if wanted:
		return wanted
	return temps[0] if temps else ""


class ReadingGenerator:
	def __init__(self, rng: random.Random | None = None, faults: Faults | None = None, hot_device: str = ""):
		self.rng = rng or random.Random()
		self.faults = faults or Faults()
		self.hot_device = hot_device
		self.states: dict[str, _State] = {}

	def carry_on_from(self, device: str, value: float) -> None:
		"""Start ``device`` at its last stored value, so a restart is no jump (the server flags jumps)."""
		if device not in self.states:
			self.states[device] = _State(value=value)

	def _round(self, metric: str, value: float) -> float:
		lo, hi = SENSOR_LIMITS[metric]
		value = min(hi, max(lo, value))
		return round(value, DECIMALS[metric]) if DECIMALS[metric] else float(round(value))

	def next_reading(self, device: dict[str, Any]) -> Reading:
		metric, unit = sim.DEVICE_METRICS[device["device_type"]]
		name = device["name"]
		lo, hi = NORMAL_RANGE[metric]
		state = self.states.get(name)
		if state is None:
			state = self.states[name] = _State(
				value=self.rng.uniform(lo + (hi - lo) * 0.2, hi - (hi - lo) * 0.2)
			)
		state.rounds += 1
		f = self.faults

		# the hot bin: warms steadily, then stays hot (a real hot spot does not cool by itself)
		if (
			name == self.hot_device
			and metric == "Temperature"
			and f.hot_after >= 0
			and state.rounds > f.hot_after
		):
			if state.value < HOT_TARGET[0]:
				state.value = min(HOT_TARGET[1], state.value + f.hot_rise)
			else:
				state.value = min(HOT_TARGET[1], max(HOT_TARGET[0], state.value + self.rng.gauss(0, 0.5)))
			value = self._round(metric, state.value)
			return Reading(name, metric, unit, value, "hot" if value > 35 else "")

		if state.stuck_left > 0:
			state.stuck_left -= 1
			return Reading(name, metric, unit, self._round(metric, state.value), "stuck")

		# normal drift, pulled back into the healthy band
		drift = self.rng.gauss(0, STEP[metric])
		if state.value < lo:
			drift += STEP[metric]
		elif state.value > hi:
			drift -= STEP[metric]
		state.value += drift

		roll = self.rng.random()
		if roll < f.spike_rate:
			return Reading(name, metric, unit, self._round(metric, state.value + SPIKE[metric]), "spike")
		if roll < f.spike_rate + f.stuck_rate and f.stuck_length > 1:
			state.value = self._round(metric, state.value)
			state.stuck_left = f.stuck_length - 1
			return Reading(name, metric, unit, state.value, "stuck")
		return Reading(name, metric, unit, self._round(metric, state.value), "")


def build_observation_payload(reading: Reading, observed_at: str, seq: int = 0) -> dict[str, Any]:
	"""POST /api/resource/Observation body; site and quality_flag are the server's to set."""
	value: float | int = int(reading.value) if DECIMALS[reading.metric] == 0 else reading.value
	return {
		"device": reading.device,
		"observed_at": observed_at,
		"metric": reading.metric,
		"value": value,
		"unit": reading.unit,
		"raw_payload": json.dumps(
			{
				"source": "mock_iot",
				"seq": seq,
				"value": value,
				"unit": reading.unit,
				"fault": reading.fault or None,
			},
			ensure_ascii=False,
		),
	}


@dataclasses.dataclass
class Stats(sim_loop.Stats):
	flags: dict[str, int] = dataclasses.field(default_factory=dict)
	faults: dict[str, int] = dataclasses.field(default_factory=dict)


def tally(counts: dict[str, int], key: str) -> None:
	counts[key] = counts.get(key, 0) + 1


def log_accepted(reading: Reading, doc: dict[str, Any], flag: str) -> None:
	log.info(
		"%s %s=%s%s -> %s %s%s",
		reading.device,
		reading.metric,
		reading.value,
		reading.unit,
		doc.get("name", "?"),
		flag,
		f" [{reading.fault}] {doc.get('flag_reason') or ''}" if reading.fault or flag != "Valid" else "",
	)


class SensorSimulation:
	"""A round posts one reading per visible active sensor; ``sim_loop.run_rounds`` drives the rounds."""

	log = log
	no_devices_warning = "no active sensor Device is visible to this gateway user (check its Site grants)"

	def __init__(self, gen: ReadingGenerator, hot_wanted: str = "", only: list[str] | None = None):
		self.gen = gen
		self.hot_wanted = hot_wanted
		self.only = only
		self.stats = Stats()
		self.seq = 0

	def select_devices(self, client: sim.YamClient, devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
		sensors = sensor_devices(devices)
		if self.only:
			sensors = [d for d in sensors if d["name"] in self.only]
		if not self.gen.hot_device:
			self.gen.hot_device = pick_hot_device(devices, self.hot_wanted)
		self.carry_on(client, sensors)
		return sensors

	def carry_on(self, client: sim.YamClient, sensors: list[dict[str, Any]]) -> None:
		"""A sensor new to this run starts from its last stored reading, if it has one."""
		for device in sensors:
			if device["name"] not in self.gen.states:
				metric = sim.DEVICE_METRICS[device["device_type"]][0]
				last = client.last_value(device["name"], metric)
				if last is not None:
					self.gen.carry_on_from(device["name"], last)

	def play_round(self, client: sim.YamClient, sensors: list[dict[str, Any]], clock: sim_loop.Clock) -> None:
		for device in sensors:
			self.post_reading(client, device, clock)

	def post_reading(self, client: sim.YamClient, device: dict[str, Any], clock: sim_loop.Clock) -> None:
		reading = self.gen.next_reading(device)
		self.seq += 1
		payload = build_observation_payload(reading, sim.format_datetime(clock()), self.seq)
		if reading.fault:
			tally(self.stats.faults, reading.fault)
		try:
			doc = client.create_observation(payload)
		except sim.ApiError as exc:
			self.stats.rejected += 1
			log.error("%s %s=%s refused: %s", reading.device, reading.metric, reading.value, exc)
			return
		self.stats.sent += 1
		flag = doc.get("quality_flag") or "?"
		tally(self.stats.flags, flag)
		log_accepted(reading, doc, flag)


def run(
	cfg: sim.Config,
	client: sim.YamClient,
	gen: ReadingGenerator,
	sleep=None,
	hot_wanted: str = "",
	only: list[str] | None = None,
) -> Stats:
	"""The main loop: ``cfg.count`` rounds (None: for ever). Never raises on API or network trouble."""
	return sim_loop.run_rounds(cfg, client, SensorSimulation(gen, hot_wanted, only), sleep=sleep)


def add_args(parser: argparse.ArgumentParser) -> None:
	parser.add_argument("--hot-device", default="", help="device_id of the hot bin's temperature sensor")
	parser.add_argument(
		"--hot-after", type=int, default=Faults.hot_after, help="rounds before it warms; -1: none"
	)
	parser.add_argument("--hot-rise", type=float, default=Faults.hot_rise, help="°C per round while it warms")
	parser.add_argument("--spike-rate", type=float, default=Faults.spike_rate)
	parser.add_argument("--stuck-rate", type=float, default=Faults.stuck_rate)
	parser.add_argument("--stuck-length", type=int, default=Faults.stuck_length)
	parser.add_argument(
		"--device", action="append", default=[], help="simulate only this device (repeatable)"
	)
	parser.add_argument(
		"--mqtt",
		default=os.environ.get("YAM_MQTT", ""),
		help="HOST:PORT: publish over MQTT as sensors do (env YAM_MQTT)",
	)
	parser.add_argument("--topic-prefix", default="yam", help="MQTT topic prefix (default yam)")
	parser.add_argument(
		"--sensor", action="append", default=[], type=_parse_sensor,
		help="MQTT mode: SITE_CODE/DEVICE_ID/TYPE (repeatable); without it the devices come from the API",
	)  # fmt: skip


def _parse_sensor(text: str) -> dict[str, Any]:
	from mqtt_mode import parse_sensor

	return parse_sensor(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
	return sim_loop.parse_args(__doc__, add_args, argv)


def main(argv: list[str] | None = None) -> int:
	args = parse_args(argv)
	if args.mqtt:
		from mqtt_mode import main_mqtt  # the MQTT mode needs paho-mqtt; the API mode does not

		return main_mqtt(args)
	app = sim_loop.start(args, default_email="gateway-iot@yam.localhost")
	faults = Faults(args.spike_rate, args.stuck_rate, args.stuck_length, args.hot_after, args.hot_rise)
	gen = ReadingGenerator(app.rng, faults, args.hot_device)
	stats = run(app.cfg, app.client, gen, sleep=app.sleep, hot_wanted=args.hot_device, only=args.device)
	return sim_loop.exit_code(app.cfg, stats)


if __name__ == "__main__":
	sim_loop.run_main(main)
