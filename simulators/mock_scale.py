"""mock_scale: a simulated truck weighbridge posting submitted Scale Tickets through the YAM Agri REST API.

Each round it weighs one truck on one of the active Scale devices its Sensor Gateway user can see, and posts
POST /api/resource/Scale Ticket with "docstatus": 1 (submitted, as a weighbridge ticket is final). Now and then
the sender's declared weight is off by more than 2 % (a mismatch the server must flag and turn into a
Weight Mismatch nonconformance).

	python simulators/mock_scale.py --url http://127.0.0.1:8000 --site-name yam.localhost --count 2
	python simulators/mock_scale.py --at07 --once      # the acceptance test's two tickets (3000/3000, 2200/3000)

It retries with backoff while the backend is down and never exits on an error; --count/--once bound it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import random
import sys
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE))  # yam_sim_client, sim_loop
if str(_HERE.parent) not in sys.path:
	# the weighing rules are the app's (yam_agri_core.rules, plain Python): the repository root holds it,
	# in a checkout as in the image (apps/yam_agri_core, where it is also pip-installed)
	sys.path.insert(1, str(_HERE.parent))

import sim_loop
import yam_sim_client as sim

from yam_agri_core.rules import weighing as weighing_rules
from yam_agri_core.rules.settings import DEFAULT_SCALE_TOLERANCE_PCT

log = logging.getLogger("mock_scale")

#: the contract's default (rules.settings); a Site or ticket may set its own on the server
DEFAULT_TOLERANCE_PCT = DEFAULT_SCALE_TOLERANCE_PCT
DRIVERS = [
	"محمد عبدالله الحكيمي",
	"علي أحمد الصبري",
	"عبدالرحمن صالح العامري",
	"فؤاد حسن المقطري",
	"Khaled Saeed Al-Shamiri",
	"Yahya Ali Qasim",
]
PLATE_PREFIXES = ["TAZ", "SAN", "IBB", "ADN", "HOD", "DHM"]


@dataclasses.dataclass
class TicketFaults:
	mismatch_rate: float = 0.12
	mismatch_min_pct: float = 3.0  # a mismatch is clearly beyond the 2 % tolerance
	mismatch_max_pct: float = 30.0
	honest_max_pct: float = 0.8  # normal paperwork noise, well inside the tolerance


def expected_outcome(
	payload: dict[str, Any], tolerance_pct: float = DEFAULT_TOLERANCE_PCT
) -> weighing_rules.Weighing:
	"""What the server derives from a ticket (net, deviation, mismatch), by the very rules it runs."""
	return weighing_rules.weigh(
		payload["gross_kg"], payload["tare_kg"], payload["expected_net_kg"], tolerance_pct
	)


def scale_devices(devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
	out = [
		d
		for d in devices
		if d.get("device_type") == "Scale" and int(d.get("is_active") or 0) and d.get("site")
	]
	return sorted(out, key=lambda d: d["name"])


def vehicle_plate(rng: random.Random) -> str:
	return f"{rng.choice(PLATE_PREFIXES)}-{rng.randint(1, 9)}-{rng.randint(10000, 99999)}"


def ticket_number(device: str, when: dt.datetime, seq: int, run_id: str = "") -> str:
	"""The scale's own ticket number: unique per site across restarts (device + time + run + sequence)."""
	return f"{device}-{when:%y%m%d%H%M%S}-{run_id}{seq:03d}"


def new_run_id() -> str:
	"""Differs between two runs started in the same second (not from the seeded rng, which repeats)."""
	return "".join(random.SystemRandom().choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3))


def build_ticket_payload(
	device: dict[str, Any],
	*,
	ticket_no: str,
	ticket_datetime: str,
	direction: str,
	vehicle: str,
	driver: str,
	gross_kg: float,
	tare_kg: float,
	expected_net_kg: float,
	submit: bool = True,
) -> dict[str, Any]:
	"""POST /api/resource/Scale Ticket body. net_kg, deviation and mismatch_flag are the server's to compute."""
	try:
		weighing_rules.validate_weights(gross_kg, tare_kg)
	except weighing_rules.RuleError as exc:
		raise ValueError(f"impossible weights: gross {gross_kg}, tare {tare_kg}") from exc
	payload = {
		"site": device["site"],
		"device": device["name"],
		"ticket_no": ticket_no,
		"ticket_datetime": ticket_datetime,
		"direction": direction,
		"vehicle": vehicle,
		"driver": driver,
		"gross_kg": gross_kg,
		"tare_kg": tare_kg,
		"expected_net_kg": expected_net_kg,
	}
	if submit:
		payload["docstatus"] = 1
	return payload


@dataclasses.dataclass
class Weighing:
	"""A ticket to post, and what the server should make of it."""

	payload: dict[str, Any]
	expected: weighing_rules.Weighing

	@property
	def net_kg(self) -> float:
		return self.expected.net_kg

	@property
	def expected_mismatch(self) -> bool:
		return self.expected.mismatch


class TicketGenerator:
	def __init__(self, rng: random.Random | None = None, faults: TicketFaults | None = None):
		self.rng = rng or random.Random()
		self.faults = faults or TicketFaults()
		self.seq = 0
		self.run_id = new_run_id()

	def _weighing(
		self,
		device: dict[str, Any],
		when: dt.datetime,
		direction: str,
		gross: float,
		tare: float,
		expected: float,
	) -> Weighing:
		"""The next ticket of this scale: number, truck and driver, the weights given."""
		self.seq += 1
		payload = build_ticket_payload(
			device,
			ticket_no=ticket_number(device["name"], when, self.seq, self.run_id),
			ticket_datetime=sim.format_datetime(when),
			direction=direction,
			vehicle=vehicle_plate(self.rng),
			driver=self.rng.choice(DRIVERS),
			gross_kg=float(gross),
			tare_kg=float(tare),
			expected_net_kg=float(expected),
		)
		return Weighing(payload, expected_outcome(payload))

	def next_weighing(
		self, device: dict[str, Any], when: dt.datetime, force_mismatch: bool | None = None
	) -> Weighing:
		r, f = self.rng, self.faults
		tare = round(r.uniform(4500, 9500) / 10) * 10  # truck weighbridges read in 10 kg steps
		net = round(r.uniform(2000, 14000) / 10) * 10
		mismatch = (r.random() < f.mismatch_rate) if force_mismatch is None else force_mismatch
		if mismatch:
			pct = r.uniform(f.mismatch_min_pct, f.mismatch_max_pct) * r.choice((-1, 1))
		else:
			pct = r.uniform(-f.honest_max_pct, f.honest_max_pct)
		# the sender declared `expected`; the scale measured `net`, which deviates by pct from it
		expected = round(net / (1 + pct / 100.0))
		direction = "Inbound" if r.random() < 0.75 else "Outbound"
		return self._weighing(device, when, direction, tare + net, tare, expected)

	def at07_weighings(self, device: dict[str, Any], when: dt.datetime) -> list[Weighing]:
		"""AT-07: net 3000 against 3000 is clean; net 2200 against 3000 is a mismatch."""
		tare = 6000
		return [
			self._weighing(device, when, "Inbound", tare + net, tare, expected)
			for net, expected in ((3000, 3000), (2200, 3000))
		]


@dataclasses.dataclass
class Stats(sim_loop.Stats):
	flagged: int = 0
	expected_flagged: int = 0
	disagreements: int = 0  # the server's mismatch_flag differs from the contract's rule


def post_weighing(client: sim.YamClient, w: Weighing, stats: Stats) -> None:
	p = w.payload
	try:
		doc = client.create_scale_ticket(p)
	except sim.ApiError as exc:
		stats.rejected += 1
		log.error("ticket %s refused: %s", p["ticket_no"], exc)
		return
	stats.sent += 1
	flagged = bool(int(doc.get("mismatch_flag") or 0))
	stats.flagged += flagged
	stats.expected_flagged += w.expected_mismatch
	if flagged != w.expected_mismatch:
		stats.disagreements += 1
	log.info(
		"%s %s net %.0f kg vs expected %.0f kg (%+.1f%%) -> %s docstatus=%s mismatch=%s nc=%s",
		p["device"],
		p["ticket_no"],
		w.net_kg,
		p["expected_net_kg"],
		w.expected.deviation_pct or 0.0,
		doc.get("name", "?"),
		doc.get("docstatus"),
		int(flagged),
		doc.get("nonconformance") or "-",
	)


class WeighbridgeSimulation:
	"""A round weighs one truck (AT-07: two) on a visible active Scale; ``sim_loop.run_rounds`` drives it."""

	log = log
	no_devices_warning = "no active Scale device is visible to this gateway user (check its Site grants)"

	def __init__(self, gen: TicketGenerator, at07: bool = False):
		self.gen = gen
		self.at07 = at07
		self.stats = Stats()

	def select_devices(self, client: sim.YamClient, devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
		return scale_devices(devices)

	def play_round(self, client: sim.YamClient, scales: list[dict[str, Any]], clock: sim_loop.Clock) -> None:
		when = clock()
		device = self.gen.rng.choice(scales)
		weighings = (
			self.gen.at07_weighings(device, when) if self.at07 else [self.gen.next_weighing(device, when)]
		)
		for w in weighings:
			post_weighing(client, w, self.stats)


def run(
	cfg: sim.Config, client: sim.YamClient, gen: TicketGenerator, sleep=None, at07: bool = False
) -> Stats:
	"""The main loop: ``cfg.count`` rounds (None: for ever). Never raises on API or network trouble."""
	return sim_loop.run_rounds(cfg, client, WeighbridgeSimulation(gen, at07), sleep=sleep)


def add_args(parser: argparse.ArgumentParser) -> None:
	parser.add_argument("--mismatch-rate", type=float, default=TicketFaults.mismatch_rate)
	parser.add_argument(
		"--at07", action="store_true", help="post the acceptance test's two tickets each round"
	)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
	return sim_loop.parse_args(__doc__, add_args, argv)


def main(argv: list[str] | None = None) -> int:
	args = parse_args(argv)
	app = sim_loop.start(args, default_email="gateway-scale@yam.localhost")
	gen = TicketGenerator(app.rng, TicketFaults(mismatch_rate=args.mismatch_rate))
	stats = run(app.cfg, app.client, gen, sleep=app.sleep, at07=args.at07)
	return sim_loop.exit_code(app.cfg, stats)


if __name__ == "__main__":
	sim_loop.run_main(main)
