"""The gateway's settings: defaults, then a TOML config file (``--config`` or ``YAM_GW_CONFIG``), then the
environment (``YAM_GW_*``), each overriding the one before.

A secret can also be given as a file (``YAM_GW_API_SECRET_FILE``, ``YAM_GW_MQTT_PASSWORD_FILE``), so it need not
sit in the environment of the process.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
	"""A setting is missing or wrong; the message names it."""


@dataclasses.dataclass
class Config:
	# MQTT broker (the site's Mosquitto)
	mqtt_host: str = "127.0.0.1"
	mqtt_port: int = 1883
	mqtt_username: str = ""
	mqtt_password: str = ""
	#: fixed, so the broker keeps the gateway's session (and queues its messages) while it is down
	mqtt_client_id: str = "yam-gateway"
	mqtt_topic_prefix: str = "yam"
	mqtt_keepalive: int = 60
	mqtt_tls_ca: str = ""
	# the YAM Agri server
	server_url: str = ""
	site_name: str = ""  # X-Frappe-Site-Name, when the server hosts several sites
	api_key: str = ""
	api_secret: str = ""
	timeout: float = 60.0
	#: the server's time zone, for ticket times (observations are converted by the server); "" = ask it
	server_timezone: str = ""
	submit_tickets: bool = True
	# the on-disk queue and forwarding
	queue_path: str = "/var/lib/yam-gateway/queue.sqlite3"
	batch_size: int = 500  # readings per request; the server takes up to 5,000 (older servers 500)
	linger_seconds: float = 2.0  # wait this long for more readings before sending a part batch
	backoff_base: float = 2.0
	backoff_cap: float = 300.0
	keep_done_hours: float = 24.0  # forwarded rows are kept this long to absorb redelivered messages
	# health endpoint (GET /health); port 0 = none
	status_bind: str = "127.0.0.1"
	status_port: int = 8099

	def auth_header(self) -> str:
		return f"token {self.api_key}:{self.api_secret}"

	def check(self) -> Config:
		"""The settings a running gateway needs; raises ConfigError naming each missing one."""
		missing = [
			f"YAM_GW_{name.upper()}"
			for name in ("server_url", "api_key", "api_secret", "queue_path")
			if not getattr(self, name)
		]
		if missing:
			raise ConfigError("missing settings: " + ", ".join(missing))
		if not 1 <= self.batch_size <= 5000:
			raise ConfigError(f"YAM_GW_BATCH_SIZE must be between 1 and 5000 (got {self.batch_size})")
		if not self.server_url.startswith(("http://", "https://")):
			raise ConfigError(
				f"YAM_GW_SERVER_URL must start with http:// or https:// (got {self.server_url})"
			)
		return self


FIELDS = {f.name: f for f in dataclasses.fields(Config)}
SECRET_FILES = ("api_secret", "mqtt_password", "api_key")


def _coerce(name: str, value: Any) -> Any:
	kind = type(getattr(Config, name))
	if kind is bool:
		if isinstance(value, bool):
			return value
		text = str(value).strip().lower()
		if text not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
			raise ConfigError(f"{name}: {value!r} is not a yes/no value")
		return text in ("1", "true", "yes", "on")
	try:
		return kind(value)
	except (TypeError, ValueError):
		raise ConfigError(f"{name}: {value!r} is not a {kind.__name__}")


def _read_toml(path: str) -> dict[str, Any]:
	try:
		import tomllib
	except ImportError:  # Python 3.10
		import tomli as tomllib  # type: ignore[no-redef]
	try:
		with open(path, "rb") as f:
			data = tomllib.load(f)
	except OSError as exc:
		raise ConfigError(f"cannot read config file {path}: {exc}")
	except tomllib.TOMLDecodeError as exc:
		raise ConfigError(f"config file {path}: {exc}")
	# sections ([mqtt], [server], [queue]) are only for reading: keys are the field names
	flat: dict[str, Any] = {}
	for key, value in data.items():
		if isinstance(value, dict):
			flat.update({k if k in FIELDS else f"{key}_{k}": v for k, v in value.items()})
		else:
			flat[key] = value
	unknown = sorted(set(flat) - set(FIELDS))
	if unknown:
		raise ConfigError(f"config file {path}: unknown settings {', '.join(unknown)}")
	return flat


def load(path: str | None = None, env: dict[str, str] | None = None) -> Config:
	env = dict(os.environ if env is None else env)
	values: dict[str, Any] = {}
	path = path or env.get("YAM_GW_CONFIG", "")
	if path:
		values.update(_read_toml(path))
	for name in FIELDS:
		key = f"YAM_GW_{name.upper()}"
		if env.get(key, "") != "":
			values[name] = env[key]
		if name in SECRET_FILES and env.get(f"{key}_FILE"):
			try:
				values[name] = Path(env[f"{key}_FILE"]).read_text().strip()
			except OSError as exc:
				raise ConfigError(f"{key}_FILE: {exc}")
	cfg = Config(**{name: _coerce(name, value) for name, value in values.items()})
	cfg.server_url = cfg.server_url.rstrip("/")
	return cfg
