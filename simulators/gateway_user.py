"""Gateway user provisioning: setup_gateway.py, and the simulators on a dev stack where no API key is given.

Logs in as Administrator, makes a Sensor Gateway user, grants it Sites (User Permission) and issues its API
key and secret, all through the REST API with ``yam_sim_client.YamClient``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yam_sim_client as sim

log = logging.getLogger("yam_sim")  # the name these messages always had


def gateway_user_doc(email: str, role: str = "Sensor Gateway") -> dict[str, Any]:
	return {
		"email": email,
		"first_name": "Sensor Gateway",
		"last_name": email.split("@")[0],
		"send_welcome_email": 0,
		"enabled": 1,
		"roles": [{"role": role}],
	}


def user_permission_doc(email: str, site: str) -> dict[str, Any]:
	return {"user": email, "allow": "Site", "for_value": site, "apply_to_all_doctypes": 1}


def provision_gateway_user(
	cfg: sim.Config,
	email: str,
	sites: list[str] | None = None,
	admin_user: str = "Administrator",
	session: Any = None,
	sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, str]:
	"""Make ``email`` a Sensor Gateway user granted ``sites`` (default: every Site), return (api_key, api_secret).

	Logs in as Administrator with ``cfg.admin_password``. Idempotent, except that a new API secret is issued
	each time (the old one stops working).
	"""
	admin_cfg = dataclasses.replace(cfg, api_key="", api_secret="")
	client = sim.YamClient(admin_cfg, session=session, sleep=sleep)
	client.request("POST", "/api/method/login", json={"usr": admin_user, "pwd": cfg.admin_password})
	try:
		client.request("GET", f"/api/resource/User/{email}")
	except sim.ApiError as exc:
		if exc.status != 404:
			raise
		client.insert("User", gateway_user_doc(email))
		log.info("created user %s", email)
	if not sites:
		rows = client.request(
			"GET", "/api/resource/Site", params={"fields": json.dumps(["name"]), "limit_page_length": 0}
		).get("data")
		sites = [r["name"] for r in rows or []]
	for site in sites:
		filters = json.dumps([["user", "=", email], ["allow", "=", "Site"], ["for_value", "=", site]])
		have = client.request("GET", "/api/resource/User Permission", params={"filters": filters}).get("data")
		if not have:
			client.insert("User Permission", user_permission_doc(email, site))
			log.info("granted site %s to %s", site, email)
	msg = (
		client.request(
			"POST", "/api/method/frappe.core.doctype.user.user.generate_keys", json={"user": email}
		).get("message")
		or {}
	)
	secret = msg.get("api_secret", "")
	key = msg.get("api_key") or (client.request("GET", f"/api/resource/User/{email}").get("data") or {}).get(
		"api_key"
	)
	if not key or not secret:
		raise sim.ApiError(500, f"the server issued no API key/secret for {email}")
	return key, secret


def ensure_credentials(cfg: sim.Config, default_email: str) -> sim.Config:
	"""Give ``cfg`` an API key: the configured one, or (dev stack) a gateway user made with the admin password."""
	if cfg.api_key and cfg.api_secret:
		return cfg
	if not cfg.admin_password:
		raise SystemExit(
			"no API key: set YAM_API_KEY and YAM_API_SECRET (bash run.sh gateway-user EMAIL prints them), "
			"or YAM_ADMIN_PASSWORD on a development stack"
		)
	email = cfg.gateway_email or default_email
	delays = sim.backoff_delays(cap=cfg.max_backoff)
	# waiting for the backend is being alive, for the healthcheck
	sleep = sim.make_sleeper(cfg.heartbeat_file)
	while True:
		try:
			key, secret = provision_gateway_user(cfg, email, sleep=sleep)
			log.info("using gateway user %s", email)
			return dataclasses.replace(cfg, api_key=key, api_secret=secret)
		except Exception as exc:  # backend still starting, site still being created, ...
			delay = next(delays)
			log.warning("cannot make gateway user %s yet (%s); retrying in %.0fs", email, exc, delay)
			sleep(delay)
