"""run.sh's arguments, help and exit codes, with a recording fake `docker` (and fake `bench`, `curl`) on PATH;
and the runbook is true: every run.sh command the docs use exists and passes run.sh's own checks."""

import shutil

import pytest
from run_sh_support import ROOT, RUN_SH

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
