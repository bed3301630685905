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

STRONG = "SITE_NAME=yam.localhost\nDB_ROOT_PASSWORD=9f2c4e6a8b0d1f3e\nADMIN_PASSWORD=a7c9e1b3d5f70246\nHTTP_PORT=8000\n"


@pytest.fixture
def strong(sandbox):
	sandbox.env_file.write_text(STRONG)
	return sandbox


def test_up_builds_missing_app_image_then_starts(strong):
	sandbox = strong
	sandbox.state["images"] = []
	sandbox.save_state()
	proc = sandbox.run("up")
	assert proc.returncode == 0, proc.stderr
	subs = [c[7] for c in sandbox.docker_calls() if c[0] == "compose" and len(c) > 7]
	assert subs.index("build") < subs.index("up")
	up = next(c for c in sandbox.docker_calls() if c[0] == "compose" and "up" in c)
	assert "-d" in up
	assert "is up: https://127.0.0.1:8443" in proc.stdout


def test_up_with_image_present_does_not_build(strong):
	sandbox = strong
	proc = sandbox.run("up")
	assert proc.returncode == 0, proc.stderr
	assert not any("build" in c for c in sandbox.docker_calls())


def test_up_reports_a_failed_site_job(strong):
	sandbox = strong
	sandbox.state["containers"]["create-site"] = {"status": "exited", "exit": 1}
	sandbox.save_state()
	proc = sandbox.run("up")
	assert proc.returncode == 1
	assert "create-site failed (exit 1)" in proc.stderr


def test_up_needs_passwords(sandbox):
	sandbox.env_file.write_text("SITE_NAME=x\n")
	proc = sandbox.run("up")
	assert proc.returncode == 3 and "DB_ROOT_PASSWORD" in proc.stderr


def test_up_explains_a_site_job_that_stops_compose(strong):
	sandbox = strong
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
	assert call[-3:] == ["run-tests", "--app", "yam_agri_core"]
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


@pytest.mark.parametrize(
	"line,expect",
	[
		("ADMIN_PASSWORD=change-me-admin", "ADMIN_PASSWORD is still the example value"),
		("ADMIN_PASSWORD=short", "ADMIN_PASSWORD is shorter than 12 characters"),
		("ADMIN_PASSWORD=", "ADMIN_PASSWORD is not set"),
	],
)
def test_up_refuses_example_and_short_passwords(strong, line, expect):
	strong.env_file.write_text(STRONG.replace("ADMIN_PASSWORD=a7c9e1b3d5f70246", line))
	proc = strong.run("up")
	assert proc.returncode == 3 and expect in proc.stderr and "openssl rand" in proc.stderr
	assert not any("up" in c for c in strong.docker_calls() if c[:1] == ["compose"])


@pytest.mark.parametrize("profiles", ["dev", "field", "monitoring"])
def test_up_refuses_a_profile_without_its_keys(strong, profiles):
	strong.env_file.write_text(
		STRONG + f"COMPOSE_PROFILES={profiles}\nMQTT_GATEWAY_PASSWORD=0123456789abcdef\n"
		"MQTT_SIMULATOR_PASSWORD=0123456789abcdef\n"
	)
	proc = strong.run("up")
	assert proc.returncode == 3, proc.stderr
	want = {"dev": "mock_iot needs", "field": "the gateway needs", "monitoring": "GRAFANA_ADMIN_PASSWORD"}
	assert want[profiles] in proc.stderr


def test_up_takes_the_predeploy_backup_before_starting(strong, tmp_path):
	"""cmd_up calls take_predeploy_backup (ops-dr's) when it is defined; its failure stops the start."""
	proc = strong.run("up")
	assert proc.returncode == 0, proc.stderr
	calls = [c for c in strong.docker_calls() if c[:1] == ["compose"]]
	ups = [i for i, c in enumerate(calls) if c[7:8] == ["up"] and "--remove-orphans" in c]
	assert ups
	proc = strong.run("up", FAKE_BENCH_FAIL="backup")
	assert proc.returncode == 5 and "pre-deployment backup failed" in proc.stderr


def test_status_pings_the_https_port_on_http_bind(sandbox):
	log = sandbox.tmp / "curl.log"
	sandbox.env_file.write_text(sandbox.env_file.read_text() + "HTTP_BIND=192.168.1.20\nHTTPS_PORT=9443\n")
	proc = sandbox.run("status", FAKE_CURL_LOG=log)
	assert proc.returncode == 0, proc.stderr
	assert "https://192.168.1.20:9443/api/method/frappe.ping" in log.read_text()
	assert "frappe.ping: pong (https://192.168.1.20:9443)" in proc.stdout


def test_status_shows_memory_per_service(sandbox):
	proc = sandbox.run("status")
	assert proc.returncode == 0, proc.stderr
	assert any(c[:2] == ["stats", "--no-stream"] for c in sandbox.docker_calls())
	assert "memory (docker stats" in proc.stdout and "yam-backend-1" in proc.stdout


def test_fresh_env_example_starts_only_production_services():
	"""The default .env's profile list is empty: mock_iot/mock_scale (which need keys) are not started."""
	from run_sh_support import ROOT

	env = (ROOT / ".env.example").read_text()
	assert "\nCOMPOSE_PROFILES=\n" in env


@pytest.mark.parametrize(
	"line,value",
	[
		("ADMIN_PASSWORD=abc # a comment", "abc"),
		("ADMIN_PASSWORD=abc#def", "abc#def"),
		("ADMIN_PASSWORD='p$ss # not a comment'", "p$ss # not a comment"),
		('ADMIN_PASSWORD="quoted value" # c', "quoted value"),
		("ADMIN_PASSWORD = spaced  ", "spaced"),
	],
)
def test_env_reader_agrees_with_compose(sandbox, line, value):
	fake_python = sandbox.bench / "env" / "bin" / "python"
	fake_python.parent.mkdir(parents=True)
	fake_python.write_text('#!/bin/sh\necho "PW=[$YAM_ADMIN_PASSWORD]"\n')
	fake_python.chmod(0o755)
	sandbox.env_file.write_text(sandbox.env_file.read_text().replace("ADMIN_PASSWORD=adminpw", line))
	proc = sandbox.run("gateway-user", "gw@example.com")
	assert proc.returncode == 0, proc.stderr
	assert f"PW=[{value}]" in proc.stdout


@pytest.mark.parametrize(
	"line",
	["ADMIN_PASSWORD=pa$$word", 'ADMIN_PASSWORD="a$b"', 'ADMIN_PASSWORD="a\\nb"', "ADMIN_PASSWORD='open"],
)
def test_env_reader_refuses_what_compose_would_change(sandbox, line):
	sandbox.env_file.write_text(sandbox.env_file.read_text().replace("ADMIN_PASSWORD=adminpw", line))
	proc = sandbox.run("status")
	assert proc.returncode == 3
	assert "the value of ADMIN_PASSWORD" in proc.stderr and "single quotes" in proc.stderr


# ---------------------------------------------------------------------------------------------------------------
# down


def test_down_removes_the_containers_anonymous_volumes_and_keeps_the_named_ones(sandbox):
	anon = "ab" * 32
	sandbox.state["containers"]["backend"]["mounts"] = ["yam_sites", "yam_logs", anon]
	sandbox.save_state()
	proc = sandbox.run("down")
	assert proc.returncode == 0, proc.stderr
	calls = [c for c in sandbox.docker_calls() if c[:1] != ["inspect"]]
	compose = [c[c.index("--project-directory") + 2 :] for c in calls if "--project-directory" in c]
	assert ["stop"] in compose and ["rm", "-f", "-v"] in compose and ["down", "--remove-orphans"] in compose
	assert ["volume", "rm", anon] in calls  # only the anonymous one: never a named volume
	assert not any(c[:2] == ["volume", "rm"] and "yam_sites" in c for c in calls)
