"""run.sh restore: which backup, asking first, the safety backup, db and files replaced, the encryption key, the
root password never on a command line; disaster recovery with the backend down (compose run --no-deps), a fresh
database volume, a lost site folder."""

import gzip
import json
from pathlib import Path

from run_sh_support import DB_DUMP, SITE, json_kwargs

OPS_KEY = "yam_agri_core.ops.adopt_encryption_key"

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
	assert_password_on_stdin_only(sandbox, "rootpw")
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
		json.dumps({"db_name": "_abc", "db_password": "site-db-pw", "encryption_key": "OTHER"})
	)
	proc = sandbox.run("restore", str(src), "--yes")
	assert proc.returncode == 0, proc.stderr
	assert json.loads((sandbox.site_dir / "site_config.json").read_text()) == {
		"db_name": "_abc",
		"db_password": "site-db-pw",
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
	calls = sandbox.bench_calls()
	at = [next(i for i, c in enumerate(calls) if mark in c) for mark in ("restore", OPS_KEY, "migrate")]
	assert at == sorted(at)


def assert_password_on_stdin_only(sandbox, password):
	"""bench restore got the DB root password on its standard input, and no command line held it."""
	given = [json.loads(line) for line in Path(str(sandbox.bench_log) + ".stdin").read_text().splitlines()]
	assert [g["stdin"] for g in given if g["sub"] == "restore"] == [[password]]
	assert not any(password in " ".join(c) for c in sandbox.bench_calls() + sandbox.docker_calls())


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
# disaster recovery: the backend is down (broken site, empty or corrupt database volume)


def _backend_down(sandbox):
	for svc in ("backend", "scheduler", "queue-short", "queue-long", "websocket", "frontend"):
		sandbox.state["containers"][svc] = {"status": "exited", "exit": 1}
	sandbox.save_state()


def test_restore_with_the_backend_down_uses_one_off_containers_then_starts_the_stack(sandbox):
	src = sandbox.make_backup("20260102_0700", dump="CREATE TABLE `tabLot`; -- good\n")
	(sandbox.site_dir / "fake_db.sql").write_text("garbage: the volume was corrupt\n")
	_backend_down(sandbox)
	# the site does not answer even in a one-off container (its database is corrupt)
	proc = sandbox.run("restore", str(src), "--yes", FAKE_BENCH_FAIL="execute")
	assert proc.returncode == 0, proc.stderr
	assert "disaster recovery" in proc.stdout
	assert (sandbox.site_dir / "fake_db.sql").read_text() == "CREATE TABLE `tabLot`; -- good\n"
	calls = [
		c[c.index("--project-directory") + 2 :] for c in sandbox.docker_calls() if "--project-directory" in c
	]
	assert ["up", "-d", "--wait", "--wait-timeout", "300", "db", "redis-cache", "redis-queue"] in calls
	runs = [c for c in calls if c[:1] == ["run"] and "backend" in c]
	assert runs and all(c[:5] == ["run", "--rm", "--no-deps", "-T", "backend"] for c in runs)
	assert any(c[5:7] == ["bench", "--site"] and "restore" in c for c in runs)
	assert not any(c[:1] == ["exec"] and "backend" in c for c in calls)  # nothing needed the (dead) backend
	up_all = calls.index(["up", "-d", "--remove-orphans"])  # then the whole stack: create-site migrates
	assert up_all > calls.index(next(c for c in runs if "restore" in c))
	assert "YAM Agri is up" in proc.stdout
	# never destroys what it has not saved: the database volume's raw files, MariaDB stopped first
	assert "saving the database volume's files" in proc.stderr
	raw = list((sandbox.backups / "pre-restore").glob("*/db-data.tar.gz"))
	assert len(raw) == 1 and raw[0].stat().st_mode & 0o777 == 0o600
	stop_db = calls.index(["stop", "db"])
	copy = next(i for i, c in enumerate(calls) if c[:1] == ["run"] and "db" in c and "tar" in c)
	restore = calls.index(next(c for c in runs if "restore" in c))
	assert stop_db < copy < restore
	assert_password_on_stdin_only(sandbox, "rootpw")
	assert_user_granted_for_every_container(sandbox)


def assert_user_granted_for_every_container(sandbox):
	"""After `bench restore` (its user bound to the one-off container's address), the site's user is granted
	for '%' through the db container's client, the SQL on stdin and the root password in MYSQL_PWD."""
	log = [json.loads(line) for line in (sandbox.tmp / "mariadb.log").read_text().splitlines()]
	assert log and all(e["password_env"] and e["argv"] == ["-uroot"] for e in log)
	sql = log[-1]["stdin"]
	assert "CREATE USER IF NOT EXISTS '_abc'@'%' IDENTIFIED BY 'site-db-pw';" in sql
	assert "GRANT ALL PRIVILEGES ON `_abc`.* TO '_abc'@'%';" in sql
	calls = sandbox.docker_calls()
	assert not any("site-db-pw" in " ".join(c) or "rootpw" in " ".join(c) for c in calls)
	execs = [c for c in calls if "exec" in c and "mariadb" in c]
	assert execs and all(
		c[c.index("exec") :][:6] == ["exec", "-T", "-e", "MYSQL_PWD", "db", "mariadb"] for c in execs
	)


def test_restore_with_the_backend_down_backs_up_a_site_that_still_answers_in_a_one_off_container(sandbox):
	src = sandbox.make_backup("20260102_0700", dump="CREATE TABLE `tabLot`; -- good\n")
	_backend_down(sandbox)
	proc = sandbox.run("restore", str(src), "--yes")
	assert proc.returncode == 0, proc.stderr
	safety = list((sandbox.backups / "pre-restore").iterdir())
	assert len(safety) == 1
	with gzip.open(safety[0] / "frappe-backup.sql.gz", "rt") as f:
		assert f.read() == DB_DUMP
	assert not list((sandbox.backups / "pre-restore").glob("*/db-data.tar.gz"))


def test_restore_stops_when_nothing_could_be_saved(sandbox):
	src = sandbox.make_backup("20260102_0700")
	_backend_down(sandbox)
	sandbox.state["fail"] = ["rawcopy"]
	sandbox.save_state()
	proc = sandbox.run("restore", str(src), "--yes", "--fresh-db", FAKE_BENCH_FAIL="execute")
	assert proc.returncode == 6
	assert "nothing was restored or removed" in proc.stderr and "--no-safety-backup" in proc.stderr
	assert not any(c[:2] == ["volume", "rm"] for c in sandbox.docker_calls())
	assert "restore" not in sandbox.bench_subcommands()
	assert (sandbox.site_dir / "fake_db.sql").read_text() == DB_DUMP


def test_restore_fresh_db_replaces_the_database_volume(sandbox):
	src = sandbox.make_backup("20260102_0700", dump="CREATE TABLE `tabLot`; -- good\n")
	proc = sandbox.run("restore", str(src), "--yes", "--fresh-db")
	assert proc.returncode == 0, proc.stderr
	calls = sandbox.docker_calls()
	rm_vol = next(i for i, c in enumerate(calls) if c[:3] == ["volume", "rm", "yam_db-data"])
	up_db = [
		i for i, c in enumerate(calls) if "--wait" in c and c[-3:] == ["db", "redis-cache", "redis-queue"]
	]
	assert rm_vol < up_db[-1]
	assert (sandbox.site_dir / "fake_db.sql").read_text() == "CREATE TABLE `tabLot`; -- good\n"
	assert_user_granted_for_every_container(sandbox)


def test_restore_fresh_db_of_a_site_that_answers_saves_it_first(sandbox):
	"""Defect: --fresh-db treated every site as dead and removed its database volume with no safety backup."""
	src = sandbox.make_backup("20260102_0700", dump="CREATE TABLE `tabLot`; -- good\n")
	proc = sandbox.run("restore", str(src), "--yes", "--fresh-db")
	assert proc.returncode == 0, proc.stderr
	assert "no safety backup" not in proc.stderr
	safety = list((sandbox.backups / "pre-restore").iterdir())
	assert len(safety) == 1
	with gzip.open(safety[0] / "frappe-backup.sql.gz", "rt") as f:
		assert f.read() == DB_DUMP  # the site as it was, before its volume went
	calls = sandbox.docker_calls()
	backup_at = next(i for i, c in enumerate(calls) if "exec" in c and "backup" in c)
	rm_vol = next(i for i, c in enumerate(calls) if c[:3] == ["volume", "rm", "yam_db-data"])
	assert backup_at < rm_vol


def test_restore_into_a_fresh_sites_volume_takes_the_backups_site_config(sandbox):
	src = sandbox.make_backup("20260102_0700")
	import shutil

	shutil.rmtree(sandbox.site_dir)
	_backend_down(sandbox)
	proc = sandbox.run("restore", str(src), "--yes")
	assert proc.returncode == 0, proc.stderr
	assert json.loads((sandbox.site_dir / "site_config.json").read_text())["encryption_key"] == "KEY-ONE"
	assert (sandbox.site_dir / "public" / "files" / "logo.png").read_bytes() == b"old logo"


def test_restore_with_the_backend_down_takes_the_backups_key_without_a_site(sandbox):
	src = sandbox.make_backup("20260102_0700")
	(sandbox.site_dir / "site_config.json").write_text(
		json.dumps({"db_name": "_abc", "db_password": "site-db-pw", "encryption_key": "OTHER"})
	)
	_backend_down(sandbox)
	proc = sandbox.run("restore", str(src), "--yes")
	assert proc.returncode == 0, proc.stderr
	assert json.loads((sandbox.site_dir / "site_config.json").read_text()) == {
		"db_name": "_abc",
		"db_password": "site-db-pw",
		"encryption_key": "KEY-ONE",
	}
	assert not any("KEY-ONE" in " ".join(c) for c in sandbox.bench_calls() + sandbox.docker_calls())


def test_restore_in_disaster_mode_fails_cleanly_when_bench_restore_fails(sandbox):
	src = sandbox.make_backup("20260102_0700")
	_backend_down(sandbox)
	proc = sandbox.run("restore", str(src), "--yes", FAKE_BENCH_FAIL="restore")
	assert proc.returncode == 6
	assert "retry: bash run.sh restore" in proc.stderr
	assert not any(c[-2:] == ["-d", "--remove-orphans"] for c in sandbox.docker_calls())
