"""run.sh backup and prune: the folder layout, loud failures with a mail to the admin, retention."""

import gzip
import shutil
import tarfile
from pathlib import Path

from run_sh_support import DB_DUMP, SITE, json_kwargs

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
