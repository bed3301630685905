"""What the stack tier's tests share (not collected): run.sh as an admin runs it, HTTPS to the published
port, the settings of .env, docker inspect/stats, a stopwatch. No fake anything: this is the real stack."""

from __future__ import annotations

import json
import os
import subprocess
import time
import warnings
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PDF_FORMATS = {
	"Scale Ticket Slip A5": "Scale Ticket",
	"Scale Ticket Slip 80mm": "Scale Ticket",
	"Lot Quality Certificate": "Lot",
	"Lot Trace": "Lot",
	"CAPA Report": "Nonconformance",
}


def read_env(path: Path) -> dict[str, str]:
	"""KEY=VALUE lines of .env (the simple forms .env.example uses; run.sh refuses the rest)."""
	env: dict[str, str] = {}
	for line in path.read_text().splitlines():
		line = line.strip()
		if not line or line.startswith("#") or "=" not in line:
			continue
		key, value = line.split("=", 1)
		value = value.split(" #", 1)[0].strip()
		if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
			value = value[1:-1]
		env[key.strip()] = value
	return env


class Stack:
	def __init__(self):
		self.env_file = Path(os.environ.get("YAM_ENV_FILE", ROOT / ".env"))
		self.settings = read_env(self.env_file)
		self.site = self.settings.get("SITE_NAME") or "yam.localhost"
		bind = self.settings.get("HTTP_BIND") or "0.0.0.0"
		self.host = "127.0.0.1" if bind in ("0.0.0.0", "::", "") else bind
		self.https_port = self.settings.get("HTTPS_PORT") or "8443"
		self.http_port = self.settings.get("HTTP_PORT") or "8000"
		self.url = f"https://{self.host}:{self.https_port}"
		self.backups = Path(os.environ.get("YAM_BACKUP_DIR", ROOT / "backups"))
		self.figures: dict[str, str] = {}
		warnings.filterwarnings("ignore", message="Unverified HTTPS request")

	# --- run.sh and docker -----------------------------------------------------------------------------------

	def run(
		self, *args: str, timeout: int = 1800, stdin: str = "", **env: str
	) -> subprocess.CompletedProcess:
		"""`bash run.sh ARGS` from the repository folder; output echoed for the log."""
		started = time.monotonic()
		proc = subprocess.run(
			["bash", str(ROOT / "run.sh"), *args],
			cwd=ROOT,
			input=stdin,
			capture_output=True,
			text=True,
			timeout=timeout,
			env={**os.environ, **env},
		)
		proc.seconds = time.monotonic() - started
		print(f"\n$ bash run.sh {' '.join(args)}  -> rc {proc.returncode} in {proc.seconds:.0f} s")
		print(proc.stdout[-3000:], proc.stderr[-3000:])
		return proc

	def docker(self, *args: str, timeout: int = 300, check: bool = True, env: dict | None = None) -> str:
		proc = subprocess.run(
			["docker", *args],
			capture_output=True,
			text=True,
			timeout=timeout,
			env={**os.environ, **(env or {})},
		)
		if check and proc.returncode != 0:
			raise AssertionError(f"docker {' '.join(args)}: {proc.stderr}")
		return proc.stdout

	def compose(self, *args: str, timeout: int = 600, check: bool = True, env: dict | None = None) -> str:
		return self.docker(
			"compose",
			"-f",
			str(ROOT / "docker-compose.yaml"),
			"--env-file",
			str(self.env_file),
			"--project-directory",
			str(ROOT),
			*args,
			timeout=timeout,
			check=check,
			env=env,
		)

	def container(self, service: str) -> str:
		return self.compose("ps", "-a", "-q", service).strip().split("\n")[0]

	def health(self, service: str) -> str:
		cid = self.container(service)
		if not cid:
			return "missing"
		return self.docker(
			"inspect",
			"-f",
			"{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}",
			cid,
		).strip()

	def memory(self) -> dict[str, float]:
		"""MiB per running container of the project (docker stats)."""
		ids = self.compose("ps", "-q").split()
		out = self.docker("stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}", *ids)
		usage = {}
		for line in out.splitlines():
			name, mem = line.split("\t")
			value = mem.split("/")[0].strip()
			number = float("".join(c for c in value if c.isdigit() or c == "."))
			unit = value.lstrip("0123456789.").strip()
			usage[name] = number * {"B": 1 / 1048576, "KiB": 1 / 1024, "MiB": 1, "GiB": 1024}.get(unit, 1)
		return usage

	# --- HTTPS -------------------------------------------------------------------------------------------------

	def ping(self) -> bool:
		try:
			r = requests.get(f"{self.url}/api/method/frappe.ping", verify=False, timeout=10)
		except requests.RequestException:
			return False
		return r.ok and r.json().get("message") == "pong"

	def wait_until_up(self, limit: float = 600) -> float:
		started = time.monotonic()
		while not self.ping():
			if time.monotonic() - started > limit:
				raise AssertionError(f"the site did not answer within {limit} s")
			time.sleep(2)
		return time.monotonic() - started

	def session(self) -> requests.Session:
		s = requests.Session()
		s.verify = False  # the self-signed certificate made at first start
		# no proxy for this machine, and no CA bundle of the environment overriding verify
		s.trust_env = False
		r = s.post(
			f"{self.url}/api/method/login",
			data={"usr": "Administrator", "pwd": self.settings["ADMIN_PASSWORD"]},
			timeout=30,
		)
		assert r.ok, r.text[:500]
		return s

	def insert(self, s: requests.Session, doctype: str, **fields) -> dict:
		r = s.post(f"{self.url}/api/resource/{doctype}", data={"data": json.dumps(fields)}, timeout=30)
		assert r.ok, r.text[:1000]
		return r.json()["data"]

	def exists(self, s: requests.Session, doctype: str, name: str) -> bool:
		r = s.get(f"{self.url}/api/resource/{doctype}/{name}", timeout=30)
		return r.status_code == 200

	def marker(self, s: requests.Session, text: str) -> str:
		"""A committed record to find again after a restore or a crash: a ToDo."""
		return self.insert(s, "ToDo", description=text)["name"]

	def figure(self, name: str, value: str) -> None:
		self.figures[name] = value
		print(f"FIGURE {name}: {value}")


def newest(folder: Path, pattern: str) -> Path | None:
	found = sorted(folder.glob(pattern))
	return found[-1] if found else None


def next_minute() -> None:
	"""Backups are named by the minute: wait for a fresh one."""
	time.sleep(61 - time.localtime().tm_sec)
