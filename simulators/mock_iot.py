"""mock_iot: simulated grain-store sensors posting Observations through the YAM Agri REST API.

Every round it reads the devices its Sensor Gateway user can see (GET /api/resource/Device), and posts one
reading per active sensor (POST /api/resource/Observation). Readings drift realistically inside the valid
band, with occasional faults the server must catch: a spike (impossible jump), a stuck sensor (the same
value many times), and a hot bin (one temperature sensor warms past 35 °C, as self-heating grain does).

	python simulators/mock_iot.py --url http://127.0.0.1:8000 --site-name yam.localhost --count 3
	(env: YAM_API_KEY / YAM_API_SECRET of a Sensor Gateway user; see bash run.sh gateway-user)

It retries with backoff while the backend is down and never exits on an error; --count/--once bound it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import random
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

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
class Stats:
	rounds: int = 0
	sent: int = 0
	rejected: int = 0
	errors: int = 0
	flags: dict[str, int] = dataclasses.field(default_factory=dict)
	faults: dict[str, int] = dataclasses.field(default_factory=dict)


def run(
	cfg: sim.Config,
	client: sim.YamClient,
	gen: ReadingGenerator,
	sleep=None,
	hot_wanted: str = "",
	only: list[str] | None = None,
) -> Stats:
	"""The main loop: ``cfg.count`` rounds (None: for ever). Never raises on API or network trouble."""
	sleep = sleep or client.sleep
	stats = Stats()
	devices: list[dict[str, Any]] = []
	tz = cfg.timezone
	seq = 0
	while cfg.count is None or stats.rounds < cfg.count:
		try:
			if not tz:
				tz = client.site_timezone() or "-"
			if not devices or stats.rounds % 10 == 0:
				all_devices = client.list_devices()
				devices = sensor_devices(all_devices)
				if only:
					devices = [d for d in devices if d["name"] in only]
				if not gen.hot_device:
					gen.hot_device = pick_hot_device(all_devices, hot_wanted)
				if not devices:
					log.warning(
						"no active sensor Device is visible to this gateway user (check its Site grants)"
					)
				for device in devices:
					if device["name"] not in gen.states:
						metric = sim.DEVICE_METRICS[device["device_type"]][0]
						last = client.last_value(device["name"], metric)
						if last is not None:
							gen.carry_on_from(device["name"], last)
			for device in devices:
				reading = gen.next_reading(device)
				seq += 1
				observed_at = sim.format_datetime(sim.now_in_tz("" if tz == "-" else tz))
				payload = build_observation_payload(reading, observed_at, seq)
				if reading.fault:
					stats.faults[reading.fault] = stats.faults.get(reading.fault, 0) + 1
				try:
					doc = client.create_observation(payload)
				except sim.ApiError as exc:
					stats.rejected += 1
					log.error("%s %s=%s refused: %s", reading.device, reading.metric, reading.value, exc)
					continue
				stats.sent += 1
				flag = doc.get("quality_flag") or "?"
				stats.flags[flag] = stats.flags.get(flag, 0) + 1
				log.info(
					"%s %s=%s%s -> %s %s%s",
					reading.device,
					reading.metric,
					reading.value,
					reading.unit,
					doc.get("name", "?"),
					flag,
					f" [{reading.fault}] {doc.get('flag_reason') or ''}"
					if reading.fault or flag != "Valid"
					else "",
				)
		except sim.GaveUp as exc:
			stats.errors += 1
			devices = []
			log.error("backend unreachable: %s", exc)
		except Exception:  # never crash the stack: log, and go on next round
			stats.errors += 1
			devices = []
			log.exception("round failed")
		stats.rounds += 1
		if cfg.count is None or stats.rounds < cfg.count:
			sleep(cfg.interval)
	log.info("done: %s", dataclasses.asdict(stats))
	return stats


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	sim.add_common_args(parser)
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
	parser.add_argument("--max-attempts", type=int, help="give up a request after N tries (default: never)")
	return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
	args = parse_args(argv)
	sim.setup_logging(args.verbose)
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
	cfg = sim.config_from_args(args)
	cfg = sim.ensure_credentials(cfg, default_email="gateway-iot@yam.localhost")
	sleep = sim.make_sleeper(cfg.heartbeat_file)
	rng = random.Random(cfg.seed)
	client = sim.YamClient(cfg, sleep=sleep, rng=rng, max_attempts=args.max_attempts)
	faults = Faults(args.spike_rate, args.stuck_rate, args.stuck_length, args.hot_after, args.hot_rise)
	gen = ReadingGenerator(rng, faults, args.hot_device)
	stats = run(cfg, client, gen, sleep=sleep, hot_wanted=args.hot_device, only=args.device)
	return 0 if stats.sent or cfg.count is None else 1


if __name__ == "__main__":
	try:
		sys.exit(main())
	except KeyboardInterrupt:
		sys.exit(0)
