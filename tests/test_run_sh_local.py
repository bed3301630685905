"""run.sh in local-bench mode: bench, backup, restore, test and the status ping act on a native bench."""

import json

import pytest
from run_sh_support import DB_DUMP, SITE

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
	# ops-dr's restore passes the root password on stdin, never on the command line
	assert "root" not in restore_call[restore_call.index("restore") + 1 :]


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
