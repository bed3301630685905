"""run.sh schedule: systemd timers with catch-up (Persistent=true) for the daily backup, the hourly watch and the
weekly offsite copy, written into a folder the test chooses; systemctl is a recording stand-in."""

import configparser

from run_sh_ops_support import fake_tool
from run_sh_support import ROOT


def units(folder):
	out = {}
	for path in sorted(folder.iterdir()):
		parser = configparser.ConfigParser(strict=False, interpolation=None)
		parser.optionxform = str
		text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("#"))
		parser.read_string(text)
		out[path.name] = (parser, path.read_text())
	return out


def install(sandbox, **env):
	log = sandbox.tmp / "systemctl.log"
	path = fake_tool(sandbox, "systemctl", f'echo "$*" >> "{log}"')
	folder = sandbox.tmp / "systemd"
	proc = sandbox.run("schedule", "install", PATH=path, YAM_SYSTEMD_DIR=str(folder), **env)
	return proc, folder, log


def test_schedule_install_writes_timers_that_catch_up(sandbox):
	proc, folder, log = install(sandbox)
	assert proc.returncode == 0, proc.stderr
	got = units(folder)
	assert sorted(got) == sorted(
		f"yam-{n}.{k}" for n in ("backup", "watch", "offsite") for k in ("service", "timer")
	)
	for name in ("yam-backup.timer", "yam-watch.timer", "yam-offsite.timer"):
		timer = got[name][0]
		assert timer["Timer"]["Persistent"] == "true", name  # a run missed while off runs at the next boot
		assert timer["Install"]["WantedBy"] == "timers.target"
	assert got["yam-backup.timer"][0]["Timer"]["OnCalendar"] == "*-*-* 02:00:00"
	assert got["yam-watch.timer"][0]["Timer"]["OnCalendar"] == "hourly"
	backup = got["yam-backup.service"][1]
	assert f"ExecStart=/bin/bash {ROOT}/run.sh backup\nExecStart=/bin/bash {ROOT}/run.sh prune" in backup
	assert "Type=oneshot" in backup and f"WorkingDirectory={ROOT}" in backup
	assert 'Environment="YAM_BACKUP_WAIT=900"' in backup  # after a power cut: wait for the stack
	assert f'Environment="YAM_BACKUP_DIR={sandbox.backups}"' in backup
	assert f"ExecStart=/bin/bash {ROOT}/run.sh watch" in got["yam-watch.service"][1]
	calls = log.read_text().splitlines()
	assert calls[0] == "daemon-reload"
	assert calls[1] == "enable --now yam-backup.timer yam-watch.timer"  # offsite only once it is configured
	assert "DB_ROOT_PASSWORD" not in backup and "rootpw" not in backup


def test_schedule_install_enables_offsite_when_configured_and_remove(sandbox):
	proc, folder, log = install(sandbox, YAM_OFFSITE_REPO="/media/usb/yam-restic")
	assert proc.returncode == 0, proc.stderr
	assert "enable --now yam-backup.timer yam-watch.timer yam-offsite.timer" in log.read_text()
	proc = sandbox.run(
		"schedule", "show", PATH=fake_tool(sandbox, "systemctl", "true"), YAM_SYSTEMD_DIR=str(folder)
	)
	assert "yam-backup.timer: OnCalendar=*-*-* 02:00:00" in proc.stdout
	proc = sandbox.run(
		"schedule", "remove", PATH=fake_tool(sandbox, "systemctl", "true"), YAM_SYSTEMD_DIR=str(folder)
	)
	assert proc.returncode == 0 and list(folder.iterdir()) == []
	assert sandbox.run("schedule", "bogus").returncode == 2
