"""The simulators' shared main loop and process plumbing (mock_iot.py, mock_scale.py).

A simulator says what one round does (a :class:`Simulation`); :func:`run_rounds` does the rest, the same
for all of them: ``cfg.count`` rounds (None: for ever), the site's time zone asked once, the device list read
again every :data:`REFRESH_EVERY` rounds (and after a failed round), every error logged and counted but never
raised, and ``cfg.interval`` seconds of sleep between rounds (a sleep that keeps the heartbeat fresh).
:func:`parse_args`, :func:`start`, :func:`exit_code` and :func:`run_main` are the command line around it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import logging
import random
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gateway_user
import yam_sim_client as sim

REFRESH_EVERY = 10  # rounds between two reads of the device list
NO_TZ = "-"  # the site's time zone was asked for and not given: use this machine's local time


@dataclasses.dataclass
class Stats:
	"""What every simulator counts; each adds its own fields after these."""

	rounds: int = 0
	sent: int = 0
	rejected: int = 0
	errors: int = 0


Clock = Callable[[], dt.datetime]


class Simulation(Protocol):
	"""One simulator, as the loop sees it."""

	log: logging.Logger  # the loop's messages go out under the simulator's name
	stats: Stats
	no_devices_warning: str  # logged when a refresh finds no device to simulate

	def select_devices(self, client: sim.YamClient, devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
		"""The devices to simulate, out of every Device the gateway user sees."""
		...

	def play_round(self, client: sim.YamClient, devices: list[dict[str, Any]], clock: Clock) -> None:
		"""Post this round's documents for ``devices`` (never empty); ``clock()`` is the site's local time."""
		...


def wants_more(cfg: sim.Config, rounds: int) -> bool:
	return cfg.count is None or rounds < cfg.count


def refresh_devices(client: sim.YamClient, simulation: Simulation) -> list[dict[str, Any]]:
	devices = simulation.select_devices(client, client.list_devices())
	if not devices:
		simulation.log.warning(simulation.no_devices_warning)
	return devices


def site_clock(tz: str) -> Clock:
	return functools.partial(sim.now_in_tz, "" if tz == NO_TZ else tz)


def run_rounds(
	cfg: sim.Config,
	client: sim.YamClient,
	simulation: Simulation,
	sleep: Callable[[float], None] | None = None,
) -> Stats:
	"""The main loop of every simulator. Never raises on API or network trouble; returns its stats."""
	sleep = sleep or client.sleep
	stats, log = simulation.stats, simulation.log
	devices: list[dict[str, Any]] = []
	tz = cfg.timezone
	while wants_more(cfg, stats.rounds):
		try:
			tz = tz or client.site_timezone() or NO_TZ
			if not devices or stats.rounds % REFRESH_EVERY == 0:
				devices = refresh_devices(client, simulation)
			if devices:
				simulation.play_round(client, devices, site_clock(tz))
		except sim.GaveUp as exc:
			stats.errors += 1
			devices = []
			log.error("backend unreachable: %s", exc)
		except Exception:  # never crash the stack: log, and go on next round
			stats.errors += 1
			devices = []
			log.exception("round failed")
		stats.rounds += 1
		if wants_more(cfg, stats.rounds):
			sleep(cfg.interval)
	log.info("done: %s", dataclasses.asdict(stats))
	return stats


# ---------------------------------------------------------------------------------------------------------------
# the command line around the loop


def parse_args(
	doc: str, add_own_args: Callable[[argparse.ArgumentParser], None], argv: list[str] | None = None
) -> argparse.Namespace:
	"""The shared options (yam_sim_client.add_common_args), the simulator's own, then --max-attempts."""
	parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
	sim.add_common_args(parser)
	add_own_args(parser)
	parser.add_argument("--max-attempts", type=int, help="give up a request after N tries (default: never)")
	return parser.parse_args(argv)


@dataclasses.dataclass
class Setup:
	cfg: sim.Config
	client: sim.YamClient
	sleep: Callable[[float], None]
	rng: random.Random


def start(args: argparse.Namespace, default_email: str) -> Setup:
	"""Logging, SIGTERM = clean exit, configuration, an API key (provisioned on a dev stack), the client."""
	sim.setup_logging(args.verbose)
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
	cfg = sim.config_from_args(args)
	cfg = gateway_user.ensure_credentials(cfg, default_email=default_email)
	sleep = sim.make_sleeper(cfg.heartbeat_file)
	rng = random.Random(cfg.seed)
	client = sim.YamClient(cfg, sleep=sleep, rng=rng, max_attempts=args.max_attempts)
	return Setup(cfg, client, sleep, rng)


def exit_code(cfg: sim.Config, stats: Stats) -> int:
	"""0 when something was delivered, or when running for ever; 1 when a bounded run delivered nothing."""
	return 0 if stats.sent or cfg.count is None else 1


def run_main(main: Callable[[], int]) -> None:
	"""``python simulator.py``: exit with main()'s code; Ctrl-C is a clean exit."""
	try:
		sys.exit(main())
	except KeyboardInterrupt:
		sys.exit(0)
