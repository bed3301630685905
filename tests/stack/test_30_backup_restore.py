"""Runbook §3: backup (owner-only files), restore, restore with the backend down, restore --fresh-db (a site
that still answers is saved first; the backend, workers and scheduler come back), the pre-deployment backup
before every migrate (also after down), offsite push and restore with restic."""

import os
import shutil
import stat
import time

from stack_support import newest, next_minute


def test_backup_is_complete_and_owner_only(stack):
	proc = stack.run("backup")
	assert proc.returncode == 0, proc.stderr
	stack.figure("run.sh backup", f"{proc.seconds:.0f} s")
	folder = newest(stack.backups, "2*_*")
	assert folder and sorted(p.name for p in folder.iterdir()) == [
		"backup.log",
		"files.tar.gz",
		"frappe-backup.sql.gz",
	]
	assert stat.S_IMODE(folder.stat().st_mode) == 0o700
	for part in folder.iterdir():
		assert stat.S_IMODE(part.stat().st_mode) == 0o600, part
	stack.figure("backup size", f"{sum(p.stat().st_size for p in folder.iterdir()) // 1024} KiB")


def test_restore_brings_back_the_backup(stack):
	s = stack.session()
	before = stack.marker(s, "before the backup")
	next_minute()
	assert stack.run("backup").returncode == 0
	after = stack.marker(s, "after the backup: gone after the restore")
	job_started = stack.docker("inspect", "-f", "{{.State.StartedAt}}", stack.container("create-site"))
	proc = stack.run("restore", "--yes")
	assert proc.returncode == 0, proc.stderr
	stack.figure("run.sh restore (backend up)", f"{proc.seconds:.0f} s")
	# defect: restarting the workers re-ran create-site (a second migrate)
	assert (
		stack.docker("inspect", "-f", "{{.State.StartedAt}}", stack.container("create-site")) == job_started
	)
	s = stack.session()
	assert stack.exists(s, "ToDo", before) and not stack.exists(s, "ToDo", after)
	assert newest(stack.backups / "pre-restore", "*")  # the safety backup


def test_restore_with_the_backend_down(stack):
	s = stack.session()
	kept = stack.marker(s, "kept")
	next_minute()
	assert stack.run("backup").returncode == 0
	stack.compose("stop", "backend")
	proc = stack.run("restore", "--yes")
	assert proc.returncode == 0, proc.stderr
	stack.figure("run.sh restore (backend down)", f"{proc.seconds:.0f} s")
	assert stack.exists(stack.session(), "ToDo", kept)


def test_restore_fresh_db_saves_a_site_that_answers_and_comes_back_whole(stack):
	s = stack.session()
	kept = stack.marker(s, "in the backup")
	next_minute()
	assert stack.run("backup").returncode == 0
	lost = stack.marker(s, "after the backup: only in the safety backup")
	safety_before = (
		set((stack.backups / "pre-restore").glob("*")) if (stack.backups / "pre-restore").exists() else set()
	)
	proc = stack.run("restore", "--fresh-db", "--yes")
	assert proc.returncode == 0, proc.stderr
	stack.figure("run.sh restore --fresh-db", f"{proc.seconds:.0f} s")
	# defect 7: the site answered, so it was saved before its volume was removed
	assert "no safety backup" not in proc.stderr
	new = set((stack.backups / "pre-restore").glob("*")) - safety_before
	assert any((d / "frappe-backup.sql.gz").exists() for d in new), new
	# defect 2: the backend (and workers, scheduler) log in to MariaDB from their own addresses
	s = stack.session()
	assert stack.exists(s, "ToDo", kept) and not stack.exists(s, "ToDo", lost)
	deadline = time.monotonic() + 240
	while time.monotonic() < deadline:
		states = {svc: stack.health(svc) for svc in ("queue-short", "queue-long", "scheduler", "backend")}
		if set(states.values()) == {"healthy"}:
			break
		time.sleep(10)
	assert set(states.values()) == {"healthy"}, states


def test_worker_healthcheck_sees_a_refused_database_user(stack):
	"""Defect 2's other half: worker and scheduler healthchecks tested TCP ports only."""
	for svc, mode in (("queue-short", "worker"), ("queue-long", "worker"), ("scheduler", "scheduler")):
		stack.compose("exec", "-T", svc, "/home/frappe/yam/healthcheck.sh", mode)  # rc 0: alive
	# with a wrong password in a copy of the config, the check fails and says why
	probe = (
		"import json,sys; sys.path.insert(0,'/home/frappe/yam'); import healthcheck_site as h;"
		"c=h.read_config(__import__('pathlib').Path('/home/frappe/frappe-bench'), sys.argv[1]);"
		"c['db_password']='wrong'; print(h.check_database(c))"
	)
	out = stack.compose(
		"exec", "-T", "queue-short", "/home/frappe/frappe-bench/env/bin/python", "-c", probe, stack.site
	)
	assert "cannot log in" in out and "1045" in out, out


def test_pre_deployment_backup_before_every_migrate(stack):
	next_minute()
	before = set(stack.backups.glob("predeploy_*"))
	proc = stack.run("migrate")
	assert proc.returncode == 0, proc.stderr
	made = set(stack.backups.glob("predeploy_*")) - before
	assert len(made) == 1
	next_minute()
	assert stack.run("down").returncode == 0
	up = stack.run("up")
	assert up.returncode == 0, up.stderr
	assert len(set(stack.backups.glob("predeploy_*")) - before) == 2  # defect 3: none after down


def test_offsite_push_and_restore_with_restic(stack, tmp_path):
	if not shutil.which("restic"):
		raise AssertionError("restic is not installed (apt-get install restic)")
	(tmp_path / "usb").mkdir()  # the mounted USB drive
	env = {
		"YAM_OFFSITE_REPO": str(tmp_path / "usb" / "yam-restic"),
		"YAM_OFFSITE_PASSWORD_FILE": str(tmp_path / "offsite-password"),
	}
	s = stack.session()
	kept = stack.marker(s, "offsite")
	next_minute()
	assert stack.run("backup").returncode == 0
	push = stack.run("offsite", **env)
	assert push.returncode == 0, push.stderr
	stack.figure("run.sh offsite (push)", f"{push.seconds:.0f} s")
	assert stat.S_IMODE(os.stat(env["YAM_OFFSITE_PASSWORD_FILE"]).st_mode) == 0o600
	listing = stack.run("offsite", "list", **env)
	assert listing.returncode == 0 and listing.stdout.strip()
	lost = stack.marker(s, "after the push")
	restore = stack.run("offsite", "restore", "--yes", **env)
	assert restore.returncode == 0, restore.stderr
	stack.figure("run.sh offsite restore", f"{restore.seconds:.0f} s")
	s = stack.session()
	assert stack.exists(s, "ToDo", kept) and not stack.exists(s, "ToDo", lost)
