"""run.sh restore: which backup, asking first, the safety backup, db and files replaced, the encryption key."""

import gzip
import json
from pathlib import Path

from run_sh_support import DB_DUMP, SITE, json_kwargs

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
