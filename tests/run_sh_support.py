"""Shared sandbox of the run.sh tests (not collected: no test_ prefix).

tests/fake_bin/docker plays docker compose: `compose exec SERVICE CMD` runs CMD in a fake bench folder, where
tests/fake_bin/bench keeps a site's "database" in sites/SITE/fake_db.sql, so backup and restore really move
data around and can be checked end to end. The fixture `sandbox` (an Env) is in conftest.py.
"""

import ast
import gzip
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

from stack_services import SERVICES

ROOT = Path(__file__).resolve().parent.parent
RUN_SH = ROOT / "run.sh"
RUN_PARTS = sorted((ROOT / "scripts" / "run").glob("*.sh"))
FAKE_BIN = ROOT / "tests" / "fake_bin"
SITE = "yam.localhost"
DB_DUMP = "CREATE TABLE `tabLot` (name varchar(140));\nINSERT INTO `tabLot` VALUES ('LOT-2026-00001');\n"
ALL_SERVICES = list(SERVICES)


def healthy_state():
	containers = {s: {"status": "running", "health": "healthy", "exit": 0} for s in ALL_SERVICES}
	containers["create-site"] = {"status": "exited", "health": None, "exit": 0}
	return {
		"services": ALL_SERVICES,
		"containers": containers,
		"images": ["yam-agri-core:v15.96.1-1", "mariadb:10.6.21", "redis:6.2.16-alpine"],
		"image_list": ["yam-agri-core:v15.96.1-1", "mariadb:10.6.21", "redis:6.2.16-alpine"],
		"volumes": ["yam_sites", "yam_db-data", "yam_logs", "yam_redis-queue-data"],
	}


def make_site(bench: Path, site: str = SITE, key: str = "KEY-ONE"):
	sdir = bench / "sites" / site
	(sdir / "public" / "files").mkdir(parents=True)
	(sdir / "private" / "files").mkdir(parents=True)
	(bench / "apps").mkdir(exist_ok=True)
	(sdir / "site_config.json").write_text(
		json.dumps({"db_name": "_abc", "db_password": "site-db-pw", "encryption_key": key})
	)
	(sdir / "fake_db.sql").write_text(DB_DUMP)
	(sdir / "public" / "files" / "logo.png").write_bytes(b"\x89PNG public")
	(sdir / "private" / "files" / "coa-lot-1.pdf").write_bytes(b"%PDF certificate of analysis")
	return sdir


class Env:
	"""A sandbox: fake bench folder, backups folder, .env, fake docker state, and call logs."""

	def __init__(self, tmp: Path):
		self.tmp = tmp
		self.bench = tmp / "bench"
		self.site_dir = make_site(self.bench)
		self.backups = tmp / "backups"
		self.env_file = tmp / "env"
		self.env_file.write_text(
			"SITE_NAME=yam.localhost\nDB_ROOT_PASSWORD=rootpw\nADMIN_PASSWORD=adminpw\nHTTP_PORT=8000\n"
		)
		self.state_file = tmp / "docker_state.json"
		self.state = healthy_state()
		self.save_state()
		self.docker_log = tmp / "docker.log"
		self.bench_log = tmp / "bench.log"
		self.extra = {}

	def save_state(self):
		self.state_file.write_text(json.dumps(self.state))

	def environ(self, **extra):
		env = {
			k: v
			for k, v in os.environ.items()
			if not k.startswith(("YAM_", "FAKE_", "SITE_NAME", "DB_ROOT", "ADMIN_PASS", "COMPOSE_"))
		}
		env.update(
			PATH=f"{FAKE_BIN}:{os.environ['PATH']}",
			YAM_ENV_FILE=str(self.env_file),
			YAM_BACKUP_DIR=str(self.backups),
			YAM_OFFLINE_DIR=str(self.tmp / "offline"),
			FAKE_DOCKER_STATE=str(self.state_file),
			FAKE_DOCKER_LOG=str(self.docker_log),
			FAKE_BENCH_DIR=str(self.bench),
			FAKE_BENCH_LOG=str(self.bench_log),
			FAKE_MARIADB_LOG=str(self.tmp / "mariadb.log"),
			YAM_UP_TIMEOUT="20",
		)
		env.update(self.extra)
		env.update({k: str(v) for k, v in extra.items()})
		return env

	def run(self, *args, stdin=None, **extra):
		return subprocess.run(
			["bash", str(RUN_SH), *args],
			env=self.environ(**extra),
			input=stdin if stdin is not None else "",
			capture_output=True,
			text=True,
			timeout=120,
			cwd=self.tmp,
		)

	def docker_calls(self):
		if not self.docker_log.exists():
			return []
		return [json.loads(line) for line in self.docker_log.read_text().splitlines()]

	def bench_calls(self):
		if not self.bench_log.exists():
			return []
		return [json.loads(line)["argv"] for line in self.bench_log.read_text().splitlines()]

	def bench_subcommands(self):
		out = []
		for argv in self.bench_calls():
			args = list(argv)
			if "--site" in args:
				i = args.index("--site")
				del args[i : i + 2]
			out.append(args[0] if args else "")
		return out

	def make_backup(self, name, dump=DB_DUMP, files=None, parent=None):
		d = (parent or self.backups) / name
		d.mkdir(parents=True)
		with gzip.open(d / "frappe-backup.sql.gz", "wt") as f:
			f.write(dump)
		files = files or {"public/files/logo.png": b"old logo", "private/files/secret.pdf": b"old pdf"}
		with tarfile.open(d / "files.tar.gz", "w:gz") as tar:
			for dirname in ("public/files", "private/files"):
				info = tarfile.TarInfo(dirname)
				info.type = tarfile.DIRTYPE
				info.mode = 0o755
				tar.addfile(info)
			for path, data in {
				"site_config.json": json.dumps(
					{"db_name": "_abc", "db_password": "site-db-pw", "encryption_key": "KEY-ONE"}
				).encode(),
				**files,
			}.items():
				info = tarfile.TarInfo(path)
				info.size = len(data)
				tar.addfile(info, io.BytesIO(data))
		(d / "backup.log").write_text("made by the test\n")
		return d


def json_kwargs(text):
	"""The --kwargs run.sh gave bench: a JSON object of strings that Python's eval (bench's) reads the same way."""
	kwargs = json.loads(text)
	assert ast.literal_eval(text) == kwargs
	assert all(isinstance(v, str) for v in kwargs.values())
	return kwargs
