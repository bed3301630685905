"""Disaster recovery and backup tiers on a REAL bench (local-bench mode of run.sh). Opt-in, minutes long:

	YAM_BENCH_TESTS=1 YAM_BENCH_DIR=/home/frappe/frappe-bench YAM_SITE=ops.test DB_ROOT_PASSWORD=root \
		python -m pytest tests/bench/test_bench_dr.py -v

It DROPS the site's database and restores it, so point it at a scratch site made for it, e.g.
`bench new-site ops.test --install-app erpnext --install-app yam_agri_core`, never at one whose data matters.
Needs MariaDB and the bench's redis running, root (run.sh becomes the bench owner) or the bench owner, and the
`mariadb` client. Skipped (with this reason) everywhere else, CI included.
"""

import json
import os
import shlex
import stat
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = os.environ.get("YAM_BENCH_DIR", "")
SITE = os.environ.get("YAM_SITE", "")
pytestmark = pytest.mark.skipif(
	os.environ.get("YAM_BENCH_TESTS") != "1"
	or not BENCH
	or not SITE
	or not (Path(BENCH) / "sites" / SITE).is_dir(),
	reason="real-bench test: set YAM_BENCH_TESTS=1, YAM_BENCH_DIR and YAM_SITE (a scratch site) to run it",
)


def run_sh(*args, backups, **env):
	environ = {
		**{k: v for k, v in os.environ.items() if not k.startswith("YAM_WATCH")},
		"YAM_BENCH_DIR": BENCH,
		"YAM_SITE": SITE,
		"DB_ROOT_PASSWORD": os.environ.get("DB_ROOT_PASSWORD", "root"),
		"YAM_BACKUP_DIR": str(backups),
		"YAM_ENV_FILE": "/nonexistent",
		**env,
	}
	return subprocess.run(
		["bash", str(ROOT / "run.sh"), *args], env=environ, capture_output=True, text=True, timeout=1800
	)


def bench(*args):
	owner = Path(BENCH).owner()
	cmd = "cd " + shlex.quote(BENCH) + " && bench --site " + shlex.quote(SITE) + " " + shlex.join(args)
	if os.geteuid() == 0 and owner != "root":
		argv = ["runuser", "-u", owner, "--", "bash", "-lc", cmd]
	else:
		argv = ["bash", "-lc", cmd]
	return subprocess.run(argv, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)


def execute(method, **kwargs):
	proc = bench("execute", method, "--kwargs", json.dumps(kwargs))
	assert proc.returncode == 0, proc.stdout + proc.stderr
	return proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""


def site_config():
	return json.loads((Path(BENCH) / "sites" / SITE / "site_config.json").read_text())


def root_sql(sql):
	"""As MariaDB root; the password through the environment (MYSQL_PWD), not the command line."""
	env = {**os.environ, "MYSQL_PWD": os.environ.get("DB_ROOT_PASSWORD", "root")}
	return subprocess.run(
		["mariadb", "-h127.0.0.1", "-uroot", "--batch", "--skip-column-names", "-e", sql],
		env=env,
		capture_output=True,
		text=True,
		check=True,
	).stdout.strip()


def test_backup_drop_the_database_restore_everything_back(tmp_path):
	backups = tmp_path / "backups"
	crop = "DR-" + uuid.uuid4().hex[:8]
	execute("frappe.client.insert", doc={"doctype": "Crop", "crop_name": crop, "crop_name_ar": "قمح تجريبي"})
	proc = run_sh("backup", backups=backups)
	assert proc.returncode == 0, proc.stderr
	folder = next(p for p in backups.iterdir() if p.is_dir())
	assert stat.S_IMODE(backups.stat().st_mode) == 0o700 and stat.S_IMODE(folder.stat().st_mode) == 0o700
	assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
	execute("frappe.client.delete", doctype="Crop", name=crop)  # changed after the backup

	db = site_config()["db_name"]
	root_sql(f"DROP DATABASE `{db}`")
	assert run_sh("status", backups=backups).returncode == 4  # the site is broken now

	proc = run_sh("restore", "--yes", backups=backups)
	assert proc.returncode == 0, proc.stdout + proc.stderr
	assert "no safety backup" in proc.stderr  # nothing to save of a dropped database
	assert root_sql(f"SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name='{db}'") == "1"
	assert crop in execute("frappe.db.exists", dt="Crop", dn=crop)
	apps = bench("list-apps").stdout
	assert all(app in apps for app in ("frappe", "erpnext", "yam_agri_core")), apps
	assert run_sh("status", backups=backups).returncode == 0
	execute("frappe.client.delete", doctype="Crop", name=crop)


def test_migrate_takes_the_predeploy_backup_first(tmp_path):
	backups = tmp_path / "backups"
	proc = run_sh("migrate", backups=backups)
	assert proc.returncode == 0, proc.stdout + proc.stderr
	pre = [p for p in backups.iterdir() if p.name.startswith("predeploy_")]
	assert len(pre) == 1
	assert (pre[0] / "frappe-backup.sql.gz").stat().st_size > 100_000
	assert stat.S_IMODE(pre[0].stat().st_mode) == 0o700


def _queued(text):
	return int(
		execute("frappe.db.count", dt="Email Queue", filters=[["message", "like", f"%{text}%"]]).strip('"')
		or 0
	)


def test_missing_backup_and_disk_alerts_are_queued_once(tmp_path):
	"""The site answers, so the alerts go through its Email Queue; twice the same event is one mail."""
	for key, value in {"mail_server": "127.0.0.1", "auto_email_id": "alerts@ops.test"}.items():
		assert bench("set-config", key, value).returncode == 0
	bench("set-config", "-p", "mail_port", "2525")
	bench("set-config", "-p", "disable_mail_smtp_authentication", "1")
	before_backup, before_disk = _queued("no backup for 26 hours"), _queued("% full on")
	env = {"YAM_ADMIN_EMAIL": "it@ops.test", "YAM_DISK_ALERT_PERCENT": "1", "YAM_WATCH_PATHS": BENCH}
	for _ in range(2):
		proc = run_sh("watch", backups=tmp_path / "empty", **env)
		assert proc.returncode == 4, proc.stdout + proc.stderr
	assert "Email Queue of" in proc.stdout or "already told" in proc.stdout
	assert _queued("no backup for 26 hours") == before_backup + 1
	assert _queued("% full on") == before_disk + 1
