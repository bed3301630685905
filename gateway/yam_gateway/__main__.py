"""``yam-gateway`` (or ``python -m yam_gateway``): run the gateway, or look at its queue.

	yam-gateway [run]            subscribe, queue, forward (until SIGTERM / Ctrl-C)
	yam-gateway status           queue depth, last successful forward, counters (reads the queue file)
	yam-gateway healthcheck      exit 0 when the running gateway's health endpoint says healthy
	yam-gateway dead-letters     messages and rows that were refused, newest first
	yam-gateway requeue          send the rows the server refused again (after fixing the cause)

Settings: ``--config FILE`` (TOML) and the environment, ``YAM_GW_*`` (see config.py and the runbook).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys

from yam_gateway import config, status
from yam_gateway.queue import Queue


def parse_args(argv: list[str] | None) -> argparse.Namespace:
	parser = argparse.ArgumentParser(prog="yam-gateway", description=__doc__.split("\n\n")[0])
	parser.add_argument("command", nargs="?", default="run",
		choices=["run", "status", "healthcheck", "dead-letters", "requeue"])  # fmt: skip
	parser.add_argument("--config", help="TOML settings file (env YAM_GW_CONFIG)")
	parser.add_argument("--limit", type=int, default=20, help="dead-letters: how many")
	parser.add_argument("-v", "--verbose", action="store_true")
	return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
	args = parse_args(argv)
	logging.basicConfig(
		level=logging.DEBUG if args.verbose else logging.INFO,
		format="%(asctime)s %(name)s %(levelname)s %(message)s",
		stream=sys.stdout,
	)
	try:
		cfg = config.load(args.config)
		if args.command == "healthcheck":
			return status.healthcheck(cfg.status_bind, cfg.status_port)
		if args.command == "status":
			print(json.dumps(status.snapshot(cfg.queue_path), indent=1, sort_keys=True))
			return 0
		if args.command == "dead-letters":
			queue = Queue(cfg.queue_path, readonly=True)
			print(json.dumps(queue.dead_letters(args.limit), indent=1, ensure_ascii=False))
			return 0
		if args.command == "requeue":
			print(f"{Queue(cfg.queue_path).requeue_dead_letters()} rows queued again")
			return 0
		return run(cfg.check())
	except config.ConfigError as exc:
		print(f"yam-gateway: {exc}", file=sys.stderr)
		return 2


def run(cfg: config.Config) -> int:
	from yam_gateway.service import AlreadyRunning, Gateway

	try:
		gateway = Gateway(cfg)
	except AlreadyRunning as exc:
		print(f"yam-gateway: {exc}", file=sys.stderr)
		return 3
	signal.signal(signal.SIGTERM, gateway.stop)
	signal.signal(signal.SIGINT, gateway.stop)
	return 0 if gateway.run() else 1


if __name__ == "__main__":
	sys.exit(main())
