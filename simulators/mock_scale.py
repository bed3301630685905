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
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yam_sim_client as sim

log = logging.getLogger("mock_scale")

DEFAULT_TOLERANCE_PCT = 2.0
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


def deviation_pct(net_kg: float, expected_net_kg: float) -> float:
	"""Signed deviation of the weighed net from the declared one, in % of the declared."""
	if not expected_net_kg:
		return 0.0
	return (net_kg - expected_net_kg) / expected_net_kg * 100.0


def is_mismatch(net_kg: float, expected_net_kg: float, tolerance_pct: float = DEFAULT_TOLERANCE_PCT) -> bool:
	return abs(deviation_pct(net_kg, expected_net_kg)) > tolerance_pct


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
	if not gross_kg > 0 or not 0 <= tare_kg < gross_kg:
		raise ValueError(f"impossible weights: gross {gross_kg}, tare {tare_kg}")
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
	payload: dict[str, Any]
	net_kg: float
	expected_mismatch: bool


class TicketGenerator:
	def __init__(self, rng: random.Random | None = None, faults: TicketFaults | None = None):
		self.rng = rng or random.Random()
		self.faults = faults or TicketFaults()
		self.seq = 0
		self.run_id = new_run_id()

	def next_weighing(
		self, device: dict[str, Any], when: dt.datetime, force_mismatch: bool | None = None
	) -> Weighing:
		r, f = self.rng, self.faults
		self.seq += 1
		tare = round(r.uniform(4500, 9500) / 10) * 10  # truck weighbridges read in 10 kg steps
		net = round(r.uniform(2000, 14000) / 10) * 10
		gross = tare + net
		mismatch = (r.random() < f.mismatch_rate) if force_mismatch is None else force_mismatch
		if mismatch:
			pct = r.uniform(f.mismatch_min_pct, f.mismatch_max_pct) * r.choice((-1, 1))
		else:
			pct = r.uniform(-f.honest_max_pct, f.honest_max_pct)
		# the sender declared `expected`; the scale measured `net`, which deviates by pct from it
		expected = round(net / (1 + pct / 100.0))
		payload = build_ticket_payload(
			device,
			ticket_no=ticket_number(device["name"], when, self.seq, self.run_id),
			ticket_datetime=sim.format_datetime(when),
			direction="Inbound" if r.random() < 0.75 else "Outbound",
			vehicle=vehicle_plate(r),
			driver=r.choice(DRIVERS),
			gross_kg=float(gross),
			tare_kg=float(tare),
			expected_net_kg=float(expected),
		)
		return Weighing(payload, float(net), is_mismatch(net, expected))

	def at07_weighings(self, device: dict[str, Any], when: dt.datetime) -> list[Weighing]:
		"""AT-07: net 3000 against 3000 is clean; net 2200 against 3000 is a mismatch."""
		out = []
		for net, expected in ((3000, 3000), (2200, 3000)):
			self.seq += 1
			tare = 6000
			payload = build_ticket_payload(
				device,
				ticket_no=ticket_number(device["name"], when, self.seq, self.run_id),
				ticket_datetime=sim.format_datetime(when),
				direction="Inbound",
				vehicle=vehicle_plate(self.rng),
				driver=self.rng.choice(DRIVERS),
				gross_kg=float(tare + net),
				tare_kg=float(tare),
				expected_net_kg=float(expected),
			)
			out.append(Weighing(payload, float(net), is_mismatch(net, expected)))
		return out


@dataclasses.dataclass
class Stats:
	rounds: int = 0
	sent: int = 0
	rejected: int = 0
	errors: int = 0
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
		deviation_pct(w.net_kg, p["expected_net_kg"]),
		doc.get("name", "?"),
		doc.get("docstatus"),
		int(flagged),
		doc.get("nonconformance") or "-",
	)


def run(
	cfg: sim.Config, client: sim.YamClient, gen: TicketGenerator, sleep=None, at07: bool = False
) -> Stats:
	sleep = sleep or client.sleep
	stats = Stats()
	scales: list[dict[str, Any]] = []
	tz = cfg.timezone
	while cfg.count is None or stats.rounds < cfg.count:
		try:
			if not tz:
				tz = client.site_timezone() or "-"
			if not scales or stats.rounds % 10 == 0:
				scales = scale_devices(client.list_devices())
				if not scales:
					log.warning(
						"no active Scale device is visible to this gateway user (check its Site grants)"
					)
			if scales:
				when = sim.now_in_tz("" if tz == "-" else tz)
				device = gen.rng.choice(scales)
				weighings = gen.at07_weighings(device, when) if at07 else [gen.next_weighing(device, when)]
				for w in weighings:
					post_weighing(client, w, stats)
		except sim.GaveUp as exc:
			stats.errors += 1
			scales = []
			log.error("backend unreachable: %s", exc)
		except Exception:
			stats.errors += 1
			scales = []
			log.exception("round failed")
		stats.rounds += 1
		if cfg.count is None or stats.rounds < cfg.count:
			sleep(cfg.interval)
	log.info("done: %s", dataclasses.asdict(stats))
	return stats


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	sim.add_common_args(parser)
	parser.add_argument("--mismatch-rate", type=float, default=TicketFaults.mismatch_rate)
	parser.add_argument(
		"--at07", action="store_true", help="post the acceptance test's two tickets each round"
	)
	parser.add_argument("--max-attempts", type=int, help="give up a request after N tries (default: never)")
	return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
	args = parse_args(argv)
	sim.setup_logging(args.verbose)
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
	cfg = sim.config_from_args(args)
	cfg = sim.ensure_credentials(cfg, default_email="gateway-scale@yam.localhost")
	sleep = sim.make_sleeper(cfg.heartbeat_file)
	rng = random.Random(cfg.seed)
	client = sim.YamClient(cfg, sleep=sleep, rng=rng, max_attempts=args.max_attempts)
	gen = TicketGenerator(rng, TicketFaults(mismatch_rate=args.mismatch_rate))
	stats = run(cfg, client, gen, sleep=sleep, at07=args.at07)
	return 0 if stats.sent or cfg.count is None else 1


if __name__ == "__main__":
	try:
		sys.exit(main())
	except KeyboardInterrupt:
		sys.exit(0)
