"""run.sh status, up, test, the offline image archive and gateway-user, against the fake docker stack."""

import gzip
import re

import pytest
from run_sh_support import ALL_SERVICES

# ---------------------------------------------------------------------------------------------------------------
# status


def test_status_healthy(sandbox):
	proc = sandbox.run("status")
	assert proc.returncode == 0, proc.stderr
	assert "frappe.ping: pong" in proc.stdout
	assert "all services healthy" in proc.stdout
	for svc in ALL_SERVICES:
		assert svc in proc.stdout


@pytest.mark.parametrize(
	"service,container,expect",
	[
		("scheduler", {"status": "running", "health": "unhealthy", "exit": 0}, "scheduler is unhealthy"),
		("db", {"status": "restarting", "health": "starting", "exit": 1}, "db is restarting"),
		(
			"create-site",
			{"status": "exited", "health": None, "exit": 1},
			"create-site ended with exit code 1",
		),
	],
)
def test_status_unhealthy_exit_4(sandbox, service, container, expect):
	sandbox.state["containers"][service] = container
	sandbox.save_state()
	proc = sandbox.run("status")
	assert proc.returncode == 4
	assert expect in proc.stderr


def test_status_missing_container_and_dead_site(sandbox):
	del sandbox.state["containers"]["mock_iot"]
	sandbox.save_state()
	proc = sandbox.run("status", FAKE_CURL_FAIL=1)
	assert proc.returncode == 4
	assert "mock_iot has no container" in proc.stderr
	assert "does not answer frappe.ping" in proc.stderr


# ---------------------------------------------------------------------------------------------------------------
# up


def test_up_builds_missing_app_image_then_starts(sandbox):
	sandbox.state["images"] = []
	sandbox.save_state()
	proc = sandbox.run("up")
	assert proc.returncode == 0, proc.stderr
	subs = [c[7] for c in sandbox.docker_calls() if c[0] == "compose" and len(c) > 7]
	assert subs.index("build") < subs.index("up")
	up = next(c for c in sandbox.docker_calls() if c[0] == "compose" and "up" in c)
	assert "-d" in up
	assert "is up: http://localhost:8000" in proc.stdout


def test_up_with_image_present_does_not_build(sandbox):
	proc = sandbox.run("up")
	assert proc.returncode == 0, proc.stderr
	assert not any("build" in c for c in sandbox.docker_calls())


def test_up_reports_a_failed_site_job(sandbox):
	sandbox.state["containers"]["create-site"] = {"status": "exited", "exit": 1}
	sandbox.save_state()
	proc = sandbox.run("up")
	assert proc.returncode == 1
	assert "create-site failed (exit 1)" in proc.stderr


def test_up_needs_passwords(sandbox):
	sandbox.env_file.write_text("SITE_NAME=x\n")
	proc = sandbox.run("up")
	assert proc.returncode == 3 and "DB_ROOT_PASSWORD" in proc.stderr


def test_up_explains_a_site_job_that_stops_compose(sandbox):
	"""docker compose up itself fails when create-site does not complete: run.sh names the job and its log."""
	sandbox.state["containers"]["create-site"] = {"status": "exited", "exit": 2}
	sandbox.state["fail"] = ["up"]
	sandbox.save_state()
	proc = sandbox.run("up")
	assert proc.returncode == 1
	assert "create-site failed (exit 2)" in proc.stderr and "run.sh logs create-site" in proc.stderr
	assert any("logs" in c and "create-site" in c for c in sandbox.docker_calls())


# ---------------------------------------------------------------------------------------------------------------
# test, offline archive, gateway user


def test_test_runs_integration_tier_with_ci_on_a_test_site(sandbox):
	proc = sandbox.run("test")
	assert proc.returncode == 0, proc.stderr
	call = [c for c in sandbox.docker_calls() if "run-tests" in c][-1]
	assert call[call.index("exec") :][:4] == ["exec", "-T", "-e", "CI=1"]
	assert call[-4:] == ["run-tests", "--app", "yam_agri_core"][-4:] or "yam_agri_core" in call
	assert "test.localhost" in call  # never the production site
	assert "Ran 3 tests CI=1" in proc.stdout
	assert ["--site", "test.localhost", "set-config", "allow_tests", "true"] in sandbox.bench_calls()


def test_offline_save_and_load(sandbox):
	archive = sandbox.tmp / "offline" / "images.tar.gz"
	proc = sandbox.run("offline-save", str(archive))
	assert proc.returncode == 0, proc.stderr
	assert archive.exists() and (archive.parent / "images.tar.gz.sha256").exists()
	with gzip.open(archive, "rt") as f:
		assert "yam-agri-core:v15.96.1-1" in f.read()
	proc = sandbox.run("offline-load", str(archive))
	assert proc.returncode == 0, proc.stderr
	assert any(c[:1] == ["load"] for c in sandbox.docker_calls())
	archive.write_bytes(gzip.compress(b"tampered"))
	proc = sandbox.run("offline-load", str(archive))
	assert proc.returncode == 1 and "damaged" in proc.stderr


def test_offline_save_needs_every_image(sandbox):
	sandbox.state["images"] = ["mariadb:10.6.21"]
	sandbox.save_state()
	proc = sandbox.run("offline-save")
	assert proc.returncode == 3 and "yam-agri-core" in proc.stderr


def test_offline_load_without_archive(sandbox):
	proc = sandbox.run("offline-load")
	assert proc.returncode == 3 and "no image archive" in proc.stderr


def test_gateway_user_keeps_the_password_off_the_command_line(sandbox):
	fake_python = sandbox.bench / "env" / "bin" / "python"
	fake_python.parent.mkdir(parents=True)
	fake_python.write_text(
		'#!/bin/sh\necho "ARGS=$*"\necho "PW=$YAM_ADMIN_PASSWORD"\necho API_KEY=k\necho API_SECRET=s\n'
	)
	fake_python.chmod(0o755)
	proc = sandbox.run("gateway-user", "gw@example.com", "YEM-TAI-SILO-01")
	assert proc.returncode == 0, proc.stderr
	assert "PW=adminpw" in proc.stdout and "API_KEY=k" in proc.stdout
	assert "--email gw@example.com --site-name yam.localhost --grant YEM-TAI-SILO-01" in proc.stdout
	call = next(c for c in sandbox.docker_calls() if "exec" in c)
	assert "adminpw" not in " ".join(call)
	assert call[call.index("-e") + 1] == "YAM_ADMIN_PASSWORD"


# --- the field hub: broker users of sensors -------------------------------------------------------------


def test_sensor_add_keeps_the_password_off_every_command_line(sandbox):
	sensors = sandbox.tmp / "sensors"
	proc = sandbox.run(
		"sensor", "add", "TMP-SILO1-B1", YAM_SENSOR_PASSWORD="s3cret-pw", YAM_SENSORS_DIR=sensors
	)
	assert proc.returncode == 0, proc.stderr
	run = next(c for c in sandbox.docker_calls() if "run" in c)
	assert "s3cret-pw" not in " ".join(run)
	assert run[run.index("-e") + 1] == "YAM_SENSOR_PASSWORD"
	assert run[run.index("-v") + 1] == f"{sensors}:/w"
	assert {"--rm", "--no-deps", "mosquitto", "TMP-SILO1-B1"} <= set(run)
	assert any("restart" in c and "mosquitto" in c for c in sandbox.docker_calls())
	assert (sensors / "passwd").stat().st_mode & 0o077 == 0, "the password file is the owner's only"
	assert "s3cret-pw" not in proc.stdout


def test_sensor_add_without_a_password_makes_one_and_shows_it_once(sandbox):
	proc = sandbox.run("sensor", "add", "TMP-2", YAM_SENSORS_DIR=sandbox.tmp / "sensors")
	assert proc.returncode == 0, proc.stderr
	shown = re.search(r"sensor TMP-2 password \(shown once; set it on the sensor\): (\S+)", proc.stdout)
	assert shown and len(shown.group(1)) >= 20
	assert shown.group(1) not in " ".join(" ".join(c) for c in sandbox.docker_calls())


@pytest.mark.parametrize(
	"args",
	[
		("sensor",),
		("sensor", "add"),
		("sensor", "add", "bad id;rm"),
		("sensor", "frob"),
		("sensor", "remove", "NOPE"),
	],
)
def test_sensor_usage_errors(sandbox, args):
	proc = sandbox.run(*args, YAM_SENSORS_DIR=sandbox.tmp / "sensors")
	assert proc.returncode == 2, (args, proc.stderr)
	assert "run.sh: error:" in proc.stderr and "fix:" in proc.stderr
	assert not any("run" in c for c in sandbox.docker_calls())


def test_sensor_list_and_remove(sandbox):
	sensors = sandbox.tmp / "sensors"
	sensors.mkdir()
	(sensors / "passwd").write_text("TMP-2:$7$hash\nTMP-1:$7$hash\n")
	proc = sandbox.run("sensor", "list", YAM_SENSORS_DIR=sensors)
	assert (proc.returncode, proc.stdout.split()) == (0, ["TMP-1", "TMP-2"])
	assert sandbox.run("sensor", "remove", "TMP-1", YAM_SENSORS_DIR=sensors).returncode == 0
	run = next(c for c in sandbox.docker_calls() if "run" in c)
	assert "mosquitto_passwd -D" in " ".join(run) and "TMP-1" in run
