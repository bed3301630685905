"""Runbook §5.5 / NFR-AVAIL-01: InnoDB crash recovery after kill -9 of the database, and of every container
at once (a power cut): the last committed record is there when the site answers again."""

import time

from stack_support import ROOT


def kill_9(stack, services):
	"""SIGKILL the main process of each service's container from the host, as a power cut would."""
	pids = []
	for svc in services:
		cid = stack.container(svc)
		pid = stack.docker("inspect", "-f", "{{.State.Pid}}", cid).strip()
		if pid and pid != "0":
			pids.append(pid)
	import subprocess

	subprocess.run(["kill", "-9", *pids], check=True)


def test_kill_9_of_the_database(stack):
	s = stack.session()
	last = stack.marker(s, "committed just before kill -9 of MariaDB")
	started = time.monotonic()
	kill_9(stack, ["db"])
	time.sleep(2)
	stack.wait_until_up(600)
	deadline = time.monotonic() + 300
	while True:
		try:
			if stack.exists(stack.session(), "ToDo", last):
				break
		except AssertionError:
			pass
		assert time.monotonic() < deadline, "the committed record is not back"
		time.sleep(3)
	stack.figure("back after kill -9 of db", f"{time.monotonic() - started:.0f} s")
	logs = stack.compose("logs", "--tail", "200", "db")
	assert "crash recovery" in logs.lower() or "starting crash recovery" in logs.lower() or "recovery" in logs


def test_kill_9_of_everything(stack):
	s = stack.session()
	last = stack.marker(s, "committed just before the power cut")
	services = stack.compose("ps", "--format", "{{.Service}}").split()
	started = time.monotonic()
	kill_9(stack, services)
	time.sleep(3)
	# restart policies bring them back (unless-stopped); the admin's check afterwards is `run.sh status`
	stack.wait_until_up(900)
	deadline = time.monotonic() + 300
	while not stack.exists(stack.session(), "ToDo", last):
		assert time.monotonic() < deadline, "the last committed record is not back"
		time.sleep(3)
	stack.figure(
		"time back after a power cut (kill -9 of every container)", f"{time.monotonic() - started:.0f} s"
	)
	deadline = time.monotonic() + 300
	while stack.run("status").returncode != 0:
		assert time.monotonic() < deadline, "status is not healthy 5 min after the power cut"
		time.sleep(15)
	assert (ROOT / "run.sh").exists()
