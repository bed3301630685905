"""run.sh backup, prune and migrate: the folder layout, owner-only files, loud failures with one mail to the
admin, retention by age per tier, the pre-deployment backup before a migrate."""

import datetime as dt
import gzip
import shutil
import stat
import tarfile
from pathlib import Path

import pytest
from run_sh_ops_support import call_part, smtp_server
from run_sh_support import DB_DUMP, SITE, json_kwargs


@pytest.fixture
def smtp():
	yield from smtp_server()


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
	names = [p.name for p in sandbox.backups.iterdir() if not p.name.startswith(".")]
	assert len(names) == 1 and names[0].startswith("FAILED_"), names
	log = (sandbox.backups / names[0] / "backup.log").read_text()
	assert "ERROR: bench backup failed" in log
	mail = [a for a in sandbox.bench_calls() if "yam_agri_core.ops.notify_admin" in a]
	assert len(mail) == 1
	assert mail[0][:5] == ["--site", SITE, "execute", "yam_agri_core.ops.notify_admin", "--kwargs"]
	kwargs = json_kwargs(mail[0][5])
	assert kwargs["recipients"] == "it@yam.example"
	assert kwargs["now"] == "0"  # through the Email Queue (retried by the site while the relay is down)
	assert kwargs["subject"].startswith("YAM backup FAILED on ")
	assert "failed" in kwargs["message"] and "backup.log" in kwargs["message"]
	assert "emailed it@yam.example" in proc.stdout


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
	assert "could not email it@yam.example (is outgoing mail set up on yam.localhost?" in proc.stderr
	assert "Traceback" not in proc.stderr


def test_backup_fails_when_a_part_is_empty(sandbox):
	proc = sandbox.run("backup", FAKE_BENCH_EMPTY_DUMP=1)
	assert proc.returncode == 5
	failed = next(p for p in sandbox.backups.iterdir() if p.name.startswith("FAILED_"))
	assert failed.name.startswith("FAILED_")
	assert "frappe-backup.sql.gz is empty" in (failed / "backup.log").read_text()
	assert "set YAM_ADMIN_EMAIL" in proc.stderr  # no address: says how to get told next time


def test_backup_fails_when_files_are_missing(sandbox):
	shutil.rmtree(sandbox.site_dir / "private" / "files")
	proc = sandbox.run("backup")
	assert proc.returncode == 5
	failed = next(p for p in sandbox.backups.iterdir() if not p.name.startswith("."))
	assert failed.name.startswith("FAILED_")
	# a failed backup is never picked by restore
	proc = sandbox.run("restore", "--yes")
	assert proc.returncode == 7


def test_backup_with_the_stack_down_fails_and_still_emails_the_admin(sandbox, smtp):
	"""The stack being down is exactly when nobody notices: the mail goes over SMTP from the host."""
	sandbox.state["containers"]["backend"] = {"status": "exited", "exit": 137}
	sandbox.save_state()
	proc = sandbox.run("backup", YAM_ADMIN_EMAIL="it@yam.example", **smtp.env)
	assert proc.returncode == 5
	failed = [p for p in sandbox.backups.iterdir() if p.name.startswith("FAILED_")]
	assert len(failed) == 1
	assert "backend container is not running" in (failed[0] / "backup.log").read_text()
	assert "bench" not in " ".join(" ".join(c) for c in sandbox.docker_calls())  # nothing ran in a container
	assert len(smtp.messages) == 1 and "YAM backup FAILED" in smtp.messages[0]
	assert "SMTP from this machine" in proc.stdout


def test_backup_does_not_overwrite_a_backup_of_the_same_minute(sandbox):
	assert sandbox.run("backup").returncode == 0
	first = next(p for p in sandbox.backups.iterdir())
	before = (first / "frappe-backup.sql.gz").read_bytes()
	proc = sandbox.run("backup")
	if proc.returncode == 0:  # the minute turned between the two runs
		assert len(list(sandbox.backups.iterdir())) == 2
	else:
		assert proc.returncode == 5 and "already exists" in proc.stderr
	assert (first / "frappe-backup.sql.gz").read_bytes() == before


def test_backup_is_owner_only(sandbox):
	"""files.tar.gz holds site_config.json (database password, encryption key): nobody else may read a backup."""
	sandbox.backups.mkdir(mode=0o755)
	proc = sandbox.run("backup")
	assert proc.returncode == 0, proc.stderr
	folder = next(sandbox.backups.iterdir())
	assert stat.S_IMODE(sandbox.backups.stat().st_mode) == 0o700
	assert stat.S_IMODE(folder.stat().st_mode) == 0o700
	for part in folder.iterdir():
		assert stat.S_IMODE(part.stat().st_mode) == 0o600, part.name
	# the same for the safety backup of a restore
	assert sandbox.run("restore", "--yes").returncode == 0
	safety = next((sandbox.backups / "pre-restore").iterdir())
	assert stat.S_IMODE((sandbox.backups / "pre-restore").stat().st_mode) == 0o700
	assert stat.S_IMODE(safety.stat().st_mode) == 0o700
	assert {stat.S_IMODE(p.stat().st_mode) for p in safety.iterdir()} == {0o600}


# ---------------------------------------------------------------------------------------------------------------
# prune: by age per tier


def ago(days, fmt="%Y%m%d_%H%M", hours=0):
	return (dt.datetime.now() - dt.timedelta(days=days, hours=hours)).strftime(fmt)


def _populate_for_prune(sandbox):
	daily = {d: ago(d) for d in (0, 1, 3, 6, 8, 10, 40)}
	predeploy = {d: "predeploy_" + ago(d) for d in (2, 29, 31, 100)}
	failed = {d: "FAILED_" + ago(d) for d in (1, 9)}
	safety = {d: ago(d, "%Y%m%d_%H%M%S") for d in (5, 45)}
	for name in [*daily.values(), *predeploy.values(), *failed.values()]:
		sandbox.make_backup(name)
	for name in safety.values():
		sandbox.make_backup(name, parent=sandbox.backups / "pre-restore")
	sandbox.make_backup("manual-before-upgrade")  # a name of the admin's: never touched
	(sandbox.backups / "README.txt").write_text("keep me")
	return daily, predeploy, failed, safety


def test_prune_by_age_per_tier(sandbox):
	daily, predeploy, failed, safety = _populate_for_prune(sandbox)
	proc = sandbox.run("prune")
	assert proc.returncode == 0, proc.stderr
	left = {p.name for p in sandbox.backups.iterdir()}
	assert {n for n in left if n[0].isdigit()} == {daily[d] for d in (0, 1, 3, 6)}  # 7 days
	assert {n for n in left if n.startswith("predeploy_")} == {predeploy[d] for d in (2, 29)}  # 30 days
	assert {n for n in left if n.startswith("FAILED_")} == {failed[1]}
	assert {p.name for p in (sandbox.backups / "pre-restore").iterdir()} == {safety[5]}  # 30 days
	assert {"manual-before-upgrade", "README.txt"} <= left
	assert f"removed {sandbox.backups / daily[40]} (40 days old, tier keeps 7)" in proc.stdout


def test_prune_never_removes_the_newest_backup_of_a_tier(sandbox):
	"""A machine that was off for weeks still has its last backup after the timer's prune."""
	old = [ago(20), ago(30)]
	for name in [*old, "predeploy_" + ago(90)]:
		sandbox.make_backup(name)
	assert sandbox.run("prune").returncode == 0
	assert sorted(p.name for p in sandbox.backups.iterdir()) == sorted([old[0], "predeploy_" + ago(90)])


def test_prune_dry_run_and_custom_retention(sandbox):
	daily, *_ = _populate_for_prune(sandbox)
	before = sorted(p.name for p in sandbox.backups.iterdir())
	proc = sandbox.run("prune", "--dry-run")
	assert proc.returncode == 0 and "would remove" in proc.stdout
	assert sorted(p.name for p in sandbox.backups.iterdir()) == before
	proc = sandbox.run("prune", YAM_KEEP_DAILY_DAYS=2)
	assert proc.returncode == 0
	assert {p.name for p in sandbox.backups.iterdir() if p.name[0].isdigit()} == {daily[0], daily[1]}
	assert sandbox.run("prune", YAM_KEEP_DAILY_DAYS=0).returncode == 2


def test_prune_with_no_backups_is_fine(sandbox):
	proc = sandbox.run("prune")
	assert proc.returncode == 0 and "nothing to do" in proc.stdout


# ---------------------------------------------------------------------------------------------------------------
# pre-deployment backup + migrate


def test_migrate_takes_a_predeploy_backup_first(sandbox):
	proc = sandbox.run("migrate")
	assert proc.returncode == 0, proc.stderr
	folders = [p for p in sandbox.backups.iterdir()]
	assert len(folders) == 1 and folders[0].name.startswith("predeploy_")
	with gzip.open(folders[0] / "frappe-backup.sql.gz", "rt") as f:
		assert f.read() == DB_DUMP
	subs = sandbox.bench_subcommands()
	assert subs.index("backup") < subs.index("migrate")
	assert "pre-deployment backup: " in proc.stdout
	# a pre-deployment backup is a full backup: restore picks it when it is the newest
	(sandbox.site_dir / "fake_db.sql").write_text("CREATE TABLE x; -- after the upgrade\n")
	assert sandbox.run("restore", "--yes").returncode == 0
	assert (sandbox.site_dir / "fake_db.sql").read_text() == DB_DUMP


def test_migrate_refuses_without_its_backup(sandbox):
	proc = sandbox.run("migrate", FAKE_BENCH_FAIL="backup")
	assert proc.returncode == 5
	assert "not migrating" in proc.stderr
	assert "migrate" not in sandbox.bench_subcommands()


def test_take_predeploy_backup_with_the_stack_stopped_uses_one_off_containers(sandbox):
	"""The function ops-stack calls from `up`: stack stopped -> db + redis only, backup via compose run --no-deps."""
	sandbox.state["containers"]["backend"] = {"status": "exited", "exit": 0}
	sandbox.save_state()
	done = call_part(sandbox, "take_predeploy_backup")
	assert done.returncode == 0, done.stderr
	assert [p.name[:10] for p in sandbox.backups.iterdir()] == ["predeploy_"]
	assert "pre-deployment backup: " in done.stdout
	calls = sandbox.docker_calls()
	assert any("--wait" in c and c[-3:] == ["db", "redis-cache", "redis-queue"] for c in calls)
	runs = [c for c in calls if "run" in c]
	assert runs and all(
		c[c.index("run") :][:5] == ["run", "--rm", "--no-deps", "-T", "backend"] for c in runs
	)
	assert not any("exec" in c for c in calls)


def test_take_predeploy_backup_on_the_first_start_has_nothing_to_do(sandbox):
	del sandbox.state["containers"]["backend"]
	sandbox.state["volumes"] = []  # no sites volume: nothing was ever made
	sandbox.save_state()
	done = call_part(sandbox, "take_predeploy_backup")
	assert done.returncode == 0, done.stderr
	assert "no site yet" in done.stdout
	assert not sandbox.backups.exists() or not any(sandbox.backups.iterdir())


def test_take_predeploy_backup_after_down_backs_up_the_site_in_the_volumes(sandbox):
	"""Defect: `run.sh down` removes the containers, and "no backend container" was read as a first start."""
	for svc in list(sandbox.state["containers"]):
		del sandbox.state["containers"][svc]  # what `down` leaves: no container at all, the volumes kept
	sandbox.save_state()
	done = call_part(sandbox, "take_predeploy_backup")
	assert done.returncode == 0, done.stderr
	assert "first start" not in done.stdout
	assert [p.name[:10] for p in sandbox.backups.iterdir()] == ["predeploy_"]
	with gzip.open(next(sandbox.backups.iterdir()) / "frappe-backup.sql.gz", "rt") as f:
		assert f.read() == DB_DUMP


def test_take_predeploy_backup_with_a_volume_but_no_finished_site(sandbox):
	"""A first start cut off half way left the sites volume: nothing finished, nothing to back up."""
	del sandbox.state["containers"]["backend"]
	sandbox.save_state()
	(sandbox.bench / "sites" / f".yam-creating-{SITE}").write_text("")
	done = call_part(sandbox, "take_predeploy_backup")
	assert done.returncode == 0, done.stderr
	assert "no finished site yet" in done.stdout
	assert not sandbox.backups.exists() or not any(sandbox.backups.iterdir())


def test_take_predeploy_backup_failure_returns_5(sandbox):
	done = call_part(sandbox, "take_predeploy_backup", FAKE_BENCH_FAIL="backup")
	assert done.returncode == 5
	assert [p.name[:7] for p in sandbox.backups.iterdir() if not p.name.startswith(".")] == ["FAILED_"]
