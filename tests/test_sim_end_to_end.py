"""The simulators as processes against a tiny fake REST server on 127.0.0.1 (fixture fake_frappe in conftest.py;
no Frappe, no outside network)."""

import subprocess
import sys
import time

from sim_support import ROOT

sys.path.insert(0, str(ROOT / "simulators"))

import yam_sim_client as sim

# ---------------------------------------------------------------------------------------------------------------
# end to end against a fake REST server on loopback


def _run_cli(script, url, *args, timeout=60):
	env = {
		"PATH": "/usr/bin:/bin",
		"YAM_API_KEY": "gwkey",
		"YAM_API_SECRET": "gwsecret",
		"YAM_MAX_BACKOFF": "0.2",
	}
	return subprocess.run(
		[sys.executable, str(ROOT / "simulators" / script), "--url", url, "--site-name", "yam.test", *args],
		env=env,
		capture_output=True,
		text=True,
		timeout=timeout,
	)


def test_mock_iot_end_to_end_with_retries(fake_frappe):
	url, state = fake_frappe
	proc = _run_cli(
		"mock_iot.py", url, "--count", "2", "--interval", "0", "--hot-after", "0", "--hot-rise", "20"
	)
	assert proc.returncode == 0, proc.stdout + proc.stderr
	assert "retrying" in proc.stdout  # the two 502 answers were waited out
	assert len(state["observations"]) == 10
	assert all(h.get("Authorization") == "token gwkey:gwsecret" for h in state["headers"])
	assert all(h.get("X-Frappe-Site-Name") == "yam.test" for h in state["headers"])
	hot = [o for o in state["observations"] if o["device"] == "TMP-SILO1-B1"]
	assert hot[-1]["value"] > 35
	assert "Quarantine" in proc.stdout


def test_mock_scale_end_to_end_at07(fake_frappe):
	url, state = fake_frappe
	proc = _run_cli("mock_scale.py", url, "--once", "--at07")
	assert proc.returncode == 0, proc.stdout + proc.stderr
	assert [(t["gross_kg"] - t["tare_kg"], t["expected_net_kg"]) for t in state["tickets"]] == [
		(3000, 3000),
		(2200, 3000),
	]
	assert all(t["docstatus"] == 1 for t in state["tickets"])
	assert "mismatch=1" in proc.stdout and "'disagreements': 0" in proc.stdout


def test_simulator_never_crashes_when_nothing_answers():
	# port 9 on loopback: connection refused; bounded by --max-attempts so the test ends
	start = time.time()
	proc = _run_cli(
		"mock_iot.py", "http://127.0.0.1:9", "--count", "2", "--interval", "0", "--max-attempts", "2"
	)
	assert proc.returncode == 1  # nothing was delivered, said by the exit code ...
	assert "Traceback" not in proc.stderr + proc.stdout  # ... not by a crash
	assert "backend unreachable" in proc.stdout
	assert time.time() - start < 30


def test_simulator_without_credentials_says_what_to_do():
	proc = subprocess.run(
		[sys.executable, str(ROOT / "simulators" / "mock_scale.py"), "--once"],
		env={"PATH": "/usr/bin:/bin"},
		capture_output=True,
		text=True,
		timeout=30,
	)
	assert proc.returncode != 0 and "YAM_API_KEY" in proc.stderr and "Traceback" not in proc.stderr


def test_simulator_stops_cleanly_on_sigterm(fake_frappe, tmp_path):
	url, state = fake_frappe
	hb = tmp_path / "hb"
	env = {"PATH": "/usr/bin:/bin", "YAM_API_KEY": "k", "YAM_API_SECRET": "s", "YAM_MAX_BACKOFF": "0.2"}
	proc = subprocess.Popen(
		[sys.executable, str(ROOT / "simulators" / "mock_iot.py"), "--url", url, "--interval", "600"],
		env={**env, "YAM_HEARTBEAT_FILE": str(hb)},
		stdout=subprocess.PIPE,
		stderr=subprocess.STDOUT,
		text=True,
	)
	try:
		deadline = time.time() + 20
		while len(state["observations"]) < 5 and time.time() < deadline:
			time.sleep(0.05)
		time.sleep(0.3)  # into the sleep between rounds
		assert sim.heartbeat_ok(str(hb), 60)
		proc.terminate()
		out, _ = proc.communicate(timeout=20)
	finally:
		proc.kill()
	assert proc.returncode == 0 and "Traceback" not in out
	assert len(state["observations"]) == 5
