"""run.sh offsite: the newest backup into an ENCRYPTED restic repository (a USB path here; rclone:... works the
same), kept 90 days, and back: fetched and restored. Uses the real restic (Debian: apt-get install -y restic)."""

import datetime as dt
import gzip
import shutil
import stat

import pytest
from run_sh_support import DB_DUMP

pytestmark = pytest.mark.skipif(
	shutil.which("restic") is None,
	reason="restic is not installed (apt-get install -y restic): offsite tests skipped",
)


def ago(days):
	return (dt.datetime.now() - dt.timedelta(days=days)).strftime("%Y%m%d_%H%M")


@pytest.fixture
def usb(sandbox):
	drive = sandbox.tmp / "usb"
	drive.mkdir()
	sandbox.extra = {
		"YAM_OFFSITE_REPO": str(drive / "yam-restic"),
		"YAM_OFFSITE_PASSWORD_FILE": str(sandbox.tmp / "offsite-password"),
	}
	return drive


def test_offsite_round_trip_is_encrypted_and_restores(sandbox, usb):
	assert sandbox.run("backup").returncode == 0
	proc = sandbox.run("offsite")
	assert proc.returncode == 0, proc.stderr
	assert "keep a copy of it OFF this machine" in proc.stderr
	pwfile = sandbox.tmp / "offsite-password"
	assert stat.S_IMODE(pwfile.stat().st_mode) == 0o600
	# encrypted: neither the dump nor the site's secrets are readable anywhere on the drive
	for path in (usb / "yam-restic").rglob("*"):
		if path.is_file():
			data = path.read_bytes()
			assert b"tabLot" not in data and b"KEY-ONE" not in data and b"CREATE TABLE" not in data, path
	assert not any(pwfile.read_text().strip() in " ".join(c) for c in sandbox.docker_calls())
	assert "offsite copy: " in proc.stdout and (sandbox.backups / ".offsite-last").exists()
	# the machine is lost: only the drive and the password file are left
	for p in sandbox.backups.iterdir():
		if p.is_dir():
			shutil.rmtree(p)
	(sandbox.site_dir / "fake_db.sql").write_text("CREATE TABLE x; -- new machine, empty site\n")
	proc = sandbox.run("offsite", "restore", "--yes")
	assert proc.returncode == 0, proc.stderr
	assert (sandbox.site_dir / "fake_db.sql").read_text() == DB_DUMP
	assert (
		sandbox.site_dir / "private" / "files" / "coa-lot-1.pdf"
	).read_bytes() == b"%PDF certificate of analysis"
	fetched = next((sandbox.backups / "offsite-restore").rglob("frappe-backup.sql.gz"))
	assert stat.S_IMODE(fetched.stat().st_mode) == 0o600
	with gzip.open(fetched, "rt") as f:
		assert f.read() == DB_DUMP


def test_offsite_wrong_password_cannot_read_it(sandbox, usb):
	assert sandbox.run("backup").returncode == 0
	assert sandbox.run("offsite").returncode == 0
	wrong = sandbox.tmp / "wrong"
	wrong.write_text("not the password\n")
	wrong.chmod(0o600)
	proc = sandbox.run("offsite", "fetch", YAM_OFFSITE_PASSWORD_FILE=str(wrong))
	assert proc.returncode == 7


def test_offsite_keeps_90_days(sandbox, usb):
	names = {days: ago(days) for days in (200, 125, 100, 30)}  # once: a slow run crosses minutes
	for name in names.values():
		sandbox.make_backup(name)
		proc = sandbox.run("offsite")
		assert proc.returncode == 0, proc.stderr
		shutil.rmtree(sandbox.backups / name)
	proc = sandbox.run("offsite", "list")
	assert proc.returncode == 0
	assert names[30] in proc.stdout and names[100] in proc.stdout
	# over 90 days older than the newest
	assert names[125] not in proc.stdout and names[200] not in proc.stdout
	assert "2 snapshots" in proc.stdout


def test_offsite_refuses_what_would_leak_or_cannot_work(sandbox, usb):
	proc = sandbox.run("offsite")
	assert proc.returncode == 7 and "no complete backup" in proc.stderr
	sandbox.make_backup(ago(0))
	pw = sandbox.tmp / "offsite-password"
	pw.write_text("a password\n")
	pw.chmod(0o644)
	proc = sandbox.run("offsite")
	assert proc.returncode == 3 and "readable by others" in proc.stderr
	proc = sandbox.run("offsite", YAM_OFFSITE_REPO="/nonexistent-usb/yam-restic")
	assert proc.returncode == 3 and "USB drive mounted" in proc.stderr
	proc = sandbox.run("offsite", YAM_OFFSITE_REPO="")
	assert proc.returncode == 3 and "YAM_OFFSITE_REPO" in proc.stderr
