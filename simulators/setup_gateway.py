"""Create (or refresh) a Sensor Gateway API user and print its API key and secret.

	YAM_ADMIN_PASSWORD=... python simulators/setup_gateway.py --url http://127.0.0.1:8000 \\
		--site-name yam.localhost --email gateway-silo1@example.com --grant YEM-TAI-SILO-01 --prefix IOT_

Logs in as Administrator, makes the user with the "Sensor Gateway" role if it does not exist, grants it the
given Sites (User Permission, allow = Site; default: every Site), and issues a new API secret (the previous
one stops working). Prints KEY=VALUE lines ready for .env. `bash run.sh gateway-user` calls this.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gateway_user
import yam_sim_client as sim


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument("--url", default=os.environ.get("YAM_URL", "http://127.0.0.1:8000"))
	parser.add_argument("--site-name", default=os.environ.get("YAM_SITE_NAME", ""), help="Frappe site")
	parser.add_argument("--email", required=True, help="the gateway user's email (its login name)")
	parser.add_argument("--grant", action="append", default=[], help="Site to grant (repeat); default: all")
	parser.add_argument("--admin-user", default="Administrator")
	parser.add_argument("--prefix", default="", help="prefix of the printed names, e.g. IOT_ or SCALE_")
	args = parser.parse_args(argv)
	password = os.environ.get("YAM_ADMIN_PASSWORD", "")
	if not password:
		print("setup_gateway: set YAM_ADMIN_PASSWORD (the Administrator password)", file=sys.stderr)
		return 3
	sim.setup_logging(stream=sys.stderr)  # stdout carries only the KEY=VALUE lines
	cfg = sim.Config.from_env(url=args.url, site_name=args.site_name, admin_password=password)
	client_cfg = sim.dataclasses.replace(cfg)
	try:
		key, secret = gateway_user.provision_gateway_user(
			client_cfg, args.email, args.grant or None, args.admin_user
		)
	except (sim.ApiError, sim.GaveUp) as exc:
		print(f"setup_gateway: {exc}", file=sys.stderr)
		return 1
	print(f"{args.prefix}API_KEY={key}")
	print(f"{args.prefix}API_SECRET={secret}")
	return 0


if __name__ == "__main__":
	sys.exit(main())
