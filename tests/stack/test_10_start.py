"""Runbook §2.1-2.2: up (fresh .env: first start; again after down), status right after up, logs, shell,
restarting one service, HTTPS only, login and records through REST, memory per container (§2.3)."""

import subprocess
import time

import requests
from stack_support import ROOT


def test_up_then_status_agrees_at_once(stack):
	proc = stack.run("up")
	assert proc.returncode == 0, proc.stderr
	assert "YAM Agri is up" in proc.stdout
	stack.figure("up (stack already made)", f"{proc.seconds:.0f} s")
	# defect: status exited 4 for ~30 s after up said the site is up (health "starting" counted as failure)
	status = stack.run("status")
	assert status.returncode == 0, status.stderr


def test_down_then_up_keeps_the_data_and_leaves_no_anonymous_volume(stack):
	s = stack.session()
	todo = stack.marker(s, "kept across down/up")
	before = set(stack.docker("volume", "ls", "-q", "-f", "dangling=true").split())
	down = stack.run("down")
	assert down.returncode == 0, down.stderr
	# defect: every down left eight anonymous volumes (the base images' VOLUME lines)
	after = set(stack.docker("volume", "ls", "-q", "-f", "dangling=true").split())
	left = {v for v in after - before if len(v) == 64}
	assert not left, f"down left anonymous volumes: {left}"
	up = stack.run("up")
	assert up.returncode == 0, up.stderr
	assert "first start" not in up.stdout  # defect: up always said "first start"
	assert "pre-deployment backup: " in up.stdout  # defect: skipped after down
	stack.figure("up after down (migrate + pre-deployment backup)", f"{up.seconds:.0f} s")
	assert stack.exists(stack.session(), "ToDo", todo)


def test_status_lists_every_service_healthy(stack):
	proc = stack.run("status")
	assert proc.returncode == 0, proc.stderr
	for svc in (
		"db",
		"redis-cache",
		"redis-queue",
		"backend",
		"websocket",
		"queue-short",
		"queue-long",
		"scheduler",
	):
		assert svc in proc.stdout
	assert "frappe.ping: pong" in proc.stdout and "memory (docker stats" in proc.stdout


def test_logs_shell_and_restarting_one_service(stack):
	logs = subprocess.run(
		["timeout", "8", "bash", "run.sh", "logs", "backend"], cwd=ROOT, capture_output=True, text=True
	)
	assert logs.stdout.strip(), logs.stderr  # it follows until stopped (Ctrl+C; here: timeout)
	shell = stack.run("shell", stdin="bench --version; ls sites\n")
	assert shell.returncode == 0 and stack.site in shell.stdout, shell.stderr
	started = time.monotonic()
	stack.compose("restart", "backend")
	stack.wait_until_up(300)
	stack.figure("docker compose restart backend -> site answers", f"{time.monotonic() - started:.0f} s")


def test_https_only_with_one_hsts_header(stack):
	r = requests.get(
		f"http://{stack.host}:{stack.http_port}/app", allow_redirects=False, timeout=10, verify=False
	)
	assert r.status_code == 301 and r.headers["Location"].startswith("https://")
	r = requests.get(f"{stack.url}/api/method/frappe.ping", verify=False, timeout=10)
	assert r.json() == {"message": "pong"}
	hsts = [v for k, v in r.raw.headers.items() if k.lower() == "strict-transport-security"]
	assert len(hsts) == 1, hsts  # defect: two conflicting headers


def test_login_and_records_through_rest(stack):
	s = stack.session()
	assert s.get(f"{stack.url}/api/method/frappe.auth.get_logged_user", timeout=30).json()["message"] == (
		"Administrator"
	)
	name = stack.marker(s, "made through REST")
	assert stack.exists(s, "ToDo", name)
	r = s.get(f"{stack.url}/api/resource/Lot", params={"limit_page_length": 1}, timeout=30)
	assert r.ok, r.text[:500]
	wrong = requests.post(
		f"{stack.url}/api/method/login",
		data={"usr": "Administrator", "pwd": "wrong"},
		verify=False,
		timeout=30,
	)
	assert wrong.status_code == 401


def test_memory_per_container_idle(stack):
	time.sleep(20)
	usage = stack.memory()
	for name, mib in sorted(usage.items()):
		stack.figure(f"memory idle {name}", f"{mib:.0f} MiB")
	stack.figure("memory idle total", f"{sum(usage.values()):.0f} MiB ({len(usage)} containers)")
	assert sum(usage.values()) < 3 * 1024
