"""The compose stack's promises, checked statically (no Docker engine needed).

docker-compose.yaml must validate against the Compose specification's JSON schema (tests/data/compose-spec.json,
from the compose-spec project), and keep what issue 4 and the runbook promise: pinned images, restart policies,
healthchecks, memory limits under 3 GB, port 8000, durable MariaDB, the one-shot site job, the simulators.
"""

import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from stack_services import SERVICES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yaml"
SCHEMA = ROOT / "tests" / "data" / "compose-spec.json"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"

ONE_SHOT = {"create-site"}
REQUIRED_SERVICES = set(SERVICES)
FRAPPE_SERVICES = {"backend", "websocket", "queue-short", "queue-long", "scheduler", "frontend"}
VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value, env):
	"""Compose-style ${VAR}, ${VAR:-default}, ${VAR:?err} and $$ on every string of a loaded document."""
	if isinstance(value, dict):
		return {k: interpolate(v, env) for k, v in value.items()}
	if isinstance(value, list):
		return [interpolate(v, env) for v in value]
	if not isinstance(value, str):
		return value

	def repl(m):
		name, op, arg = m.group(1), m.group(2), m.group(3)
		val = env.get(name)
		if op in (":-", "-"):
			return val if val else (arg or "")
		if op in (":?", "?"):
			if not val:
				raise KeyError(f"{name}: {arg}")
			return val
		return val or ""

	return VAR_RE.sub(repl, value).replace("$$", "$")


def parse_env_file(path):
	env = {}
	for line in path.read_text().splitlines():
		line = line.strip()
		if line and not line.startswith("#") and "=" in line:
			key, _, value = line.partition("=")
			env[key.strip()] = value.strip()
	return env


@pytest.fixture(scope="module")
def raw():
	return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def env():
	return parse_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def stack(raw, env):
	"""The compose file as docker compose sees it with .env.example's settings."""
	return interpolate(raw, env)


@pytest.fixture(scope="module")
def services(stack):
	return stack["services"]


def parse_mem(value):
	m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([bkmg]?)b?", str(value).strip().lower())
	assert m, f"unreadable memory size {value!r}"
	return int(float(m.group(1)) * {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2)])


def test_schema_file_is_the_compose_spec():
	schema = json.loads(SCHEMA.read_text())
	assert schema["title"] == "Compose Specification"
	assert "service" in schema["definitions"]


@pytest.mark.parametrize("interpolated", [False, True])
def test_compose_validates_against_compose_spec_schema(raw, stack, interpolated):
	schema = json.loads(SCHEMA.read_text())
	doc = stack if interpolated else raw
	# top-level x- extension fields hold YAML anchors; the spec allows them (patternProperties ^x-)
	validator = jsonschema.Draft7Validator(schema)
	errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
	assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_schema_rejects_a_broken_compose_file():
	"""The validation above has teeth: a typo'd key and a wrong type are caught."""
	schema = json.loads(SCHEMA.read_text())
	bad = {"services": {"web": {"image": "nginx:1.27", "restartt": "always", "ports": 8000}}}
	assert list(jsonschema.Draft7Validator(schema).iter_errors(bad))


def test_every_service_of_the_issue_is_there(services):
	assert REQUIRED_SERVICES <= set(services), REQUIRED_SERVICES - set(services)


def test_images_are_pinned(services, stack):
	for name, svc in services.items():
		image = svc.get("image")
		assert image, f"{name} has no image"
		ref = image.split("@")[0]
		assert "@sha256:" in image or re.search(r":[^/:]+$", ref), f"{name}: image {image} has no tag"
		tag = ref.rsplit(":", 1)[-1]
		assert tag not in ("latest", "stable", "main", "develop", "edge"), f"{name}: floating tag {image}"
	args = services["create-site"]["build"]["args"]
	assert re.fullmatch(r"frappe/erpnext:v15\.\d+\.\d+", args["ERPNEXT_IMAGE"]), args


def test_each_image_is_built_by_one_service(services):
	"""`docker compose build` built the app image once per service naming it (eight builds of one image)."""
	built: dict[str, list[str]] = {}
	for name, svc in services.items():
		if svc.get("build"):
			built.setdefault(svc["image"], []).append(name)
	assert built, "no service builds an image"
	assert all(len(names) == 1 for names in built.values()), built
	assert built[services["backend"]["image"]] == ["create-site"]


def test_app_image_is_built_from_pinned_erpnext_v15():
	text = DOCKERFILE.read_text()
	m = re.search(r"^ARG ERPNEXT_IMAGE=(\S+)$", text, re.M)
	assert m and re.fullmatch(r"frappe/erpnext:v15\.\d+\.\d+", m.group(1)), "base image must be a pinned v15"
	assert re.search(r"^FROM \$\{ERPNEXT_IMAGE\}$", text, re.M)
	assert "latest" not in text
	# the app and its assets are baked in at build time
	assert "pip install" in text and "bench build --app yam_agri_core" in text
	assert "apps.txt" in text


def test_dockerfile_and_compose_agree_on_base_image(services):
	m = re.search(r"^ARG ERPNEXT_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.M)
	assert services["create-site"]["build"]["args"]["ERPNEXT_IMAGE"] == m.group(1)


def test_long_running_services_restart_and_have_healthchecks(services):
	for name, svc in services.items():
		if name in ONE_SHOT:
			continue
		assert svc.get("restart") in ("always", "unless-stopped"), f"{name}: restart={svc.get('restart')}"
		hc = svc.get("healthcheck")
		assert hc and hc.get("test") and not hc.get("disable"), f"{name} has no healthcheck"
		assert hc.get("interval") and hc.get("retries"), f"{name}: healthcheck needs interval and retries"


def test_one_shot_site_job(services):
	job = services["create-site"]
	assert job.get("restart") == "no"
	assert "bootstrap-site.sh" in " ".join(job["command"])
	for dep in ("db", "redis-cache", "redis-queue"):
		assert job["depends_on"][dep]["condition"] == "service_healthy"
	# every Frappe process waits until the site exists / is migrated
	for name in FRAPPE_SERVICES - {"frontend"}:
		assert services[name]["depends_on"]["create-site"]["condition"] == "service_completed_successfully", (
			name
		)
	bootstrap = (ROOT / "docker" / "bootstrap-site.sh").read_text()
	assert "new-site" in bootstrap and "migrate" in bootstrap
	assert "--install-app erpnext" in bootstrap and "--install-app yam_agri_core" in bootstrap


def mem_limits(services):
	out = {}
	for name, svc in services.items():
		limit = svc.get("mem_limit") or svc.get("deploy", {}).get("resources", {}).get("limits", {}).get(
			"memory"
		)
		assert limit, f"{name} has no memory limit"
		out[name] = parse_mem(limit)
	return out


def test_memory_limits_total_under_3_gb(services):
	"""Everything but the monitoring profile fits 3 GB; the guide states both totals as they are."""
	limits = mem_limits(services)
	monitoring = {n for n, svc in services.items() if "monitoring" in svc.get("profiles", [])}
	assert monitoring >= {"prometheus", "grafana", "cadvisor", "mysqld-exporter", "redis-exporter"}
	base = sum(v for n, v in limits.items() if n not in monitoring)
	assert base < 3 * 1000**3, f"memory limits add up to {base / 1024**2:.0f} MiB"
	guide = (ROOT / "docs" / "DEPLOYMENT_GUIDE.md").read_text()
	m = re.search(r"All limits together: (\d+) MiB without the monitoring profile, (\d+) MiB with it", guide)
	assert m, "docs/DEPLOYMENT_GUIDE.md must state the memory totals"
	assert (int(m.group(1)), int(m.group(2))) == (base // 1024**2, sum(limits.values()) // 1024**2)


def test_port_8000_is_published_by_the_frontend(services):
	ports = services["frontend"]["ports"]
	assert any(str(p).endswith(":8000:8080") or str(p) == "8000:8080" for p in ports), ports
	assert any(str(p).endswith(":8443:8443") for p in ports), ports  # HTTPS
	# both on HTTP_BIND: a LAN address given there is used for both
	assert all(str(p).startswith("0.0.0.0:") for p in ports)
	raw_ports = yaml.safe_load(COMPOSE.read_text())["services"]["frontend"]["ports"]
	assert all(p.startswith("${HTTP_BIND:-") for p in raw_ports), raw_ports
	# nothing else grabs 8000 on the host
	for name, svc in services.items():
		if name != "frontend":
			assert not any(":8000:" in str(p) or str(p).startswith("8000:") for p in svc.get("ports", [])), (
				name
			)


def test_mariadb_is_10_6_utf8mb4_and_durable(services, stack):
	db = services["db"]
	assert re.fullmatch(r"mariadb:10\.6\.\d+", db["image"])
	cmd = " ".join(db["command"])
	assert "--character-set-server=utf8mb4" in cmd and "--collation-server=utf8mb4_unicode_ci" in cmd
	assert "--innodb-flush-log-at-trx-commit=1" in cmd
	assert any(v.endswith(":/var/lib/mysql") and not v.startswith("/") for v in db["volumes"])
	assert "db-data" in stack["volumes"]
	# the official image's healthcheck with its own user: the root password on no command line
	assert db["healthcheck"]["test"] == ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"]
	assert not any("PASSWORD" in part for part in db["healthcheck"]["test"])


def test_redis_cache_and_durable_queue(services, stack):
	assert "redis-server" in services["redis-cache"]["command"]
	queue = services["redis-queue"]
	assert "--appendonly" in queue["command"] and "yes" in queue["command"]
	assert any(v.endswith(":/data") for v in queue["volumes"])
	env = services["backend"]["environment"]
	assert env["FRAPPE_REDIS_CACHE"].startswith("redis://redis-cache")
	assert env["FRAPPE_REDIS_QUEUE"].startswith("redis://redis-queue")


def test_frappe_processes(services):
	assert "gunicorn" in " ".join(services["backend"]["command"])
	assert services["websocket"]["command"][-1].endswith("socketio.js")
	queues = {}
	for name in ("queue-short", "queue-long"):
		cmd = services[name]["command"]
		assert cmd[:3] == ["bench", "worker", "--queue"], name
		queues[name] = set(cmd[3].split(","))
	# Frappe enqueues to short, default and long: each has a worker, and the short worker takes default too
	assert queues["queue-short"] >= {"short", "default"}, queues
	assert "long" in queues["queue-long"], queues
	assert services["scheduler"]["command"] == ["bench", "schedule"]
	for name in FRAPPE_SERVICES:
		vols = services[name]["volumes"]
		assert any(v.startswith("sites:") for v in vols), name


def test_simulators_and_mail_catcher(services):
	for name in ("mock_iot", "mock_scale"):
		svc = services[name]
		script = next(a for a in svc["command"] if "/simulators/" in a).split("/simulators/")[-1]
		assert (ROOT / "simulators" / script).is_file(), script
		assert svc["environment"]["YAM_URL"].startswith("http://backend")
	assert services["mailpit"]["image"].startswith("axllent/mailpit:v")


def test_healthcheck_scripts_exist_and_are_copied(services):
	dockerfile = DOCKERFILE.read_text()
	for name in ("entrypoint.sh", "bootstrap-site.sh", "healthcheck.sh"):
		path = ROOT / "docker" / name
		assert path.is_file() and os.access(path, os.X_OK), name
		assert f"docker/{name}" in dockerfile
	modes = set()
	for svc in services.values():
		test = svc.get("healthcheck", {}).get("test", [])
		if any(t.endswith("/yam/healthcheck.sh") for t in test):
			modes.add(test[-1])
	script = (ROOT / "docker" / "healthcheck.sh").read_text()
	for mode in modes:
		assert re.search(rf"^{mode}\)", script, re.M), f"healthcheck.sh has no '{mode}' case"


def test_every_variable_has_a_default_or_is_in_env_example(raw, env):
	text = COMPOSE.read_text()
	for m in VAR_RE.finditer(text):
		name, op = m.group(1), m.group(2)
		if op in (":-", "-"):
			continue
		assert name in env, f"${{{name}}} is required by docker-compose.yaml but missing in .env.example"


def test_env_example_has_the_runbook_settings(env):
	for key in ("SITE_NAME", "DB_ROOT_PASSWORD", "ADMIN_PASSWORD", "HTTP_PORT", "COMPOSE_PROFILES"):
		assert key in env
	assert env["HTTP_PORT"] == "8000"


def test_service_names_in_the_docs_exist(services):
	"""The runbook's `docker compose ... SERVICE` and `bash run.sh logs SERVICE` name real services."""
	pattern = re.compile(
		r"(?:docker compose (?:logs -f|logs|restart|stop|up -d|exec|start)|bash run\.sh logs)((?: [a-z][a-z_-]*)+)"
	)
	found = 0
	for doc in sorted((ROOT / "docs").glob("*.md")):
		for m in pattern.finditer(doc.read_text()):
			for word in m.group(1).split():
				if word in ("mariadb", "ls", "sites", "sh", "bash", "yam-gateway"):  # the command run inside
					break
				found += 1
				assert word in services, f"{doc.name}: unknown service '{word}' in '{m.group(0)}'"
	assert found > 10


def test_entrypoint_refreshes_assets_and_apps_txt_then_runs_the_command(tmp_path):
	"""docker/entrypoint.sh, run outside a container with its paths pointed into tmp_path."""
	import subprocess

	bench = tmp_path / "bench"
	(bench / "sites" / "assets" / "frappe").mkdir(parents=True)
	(bench / "sites" / "assets" / "assets.json").write_text('{"old": 1}')
	(bench / "sites" / "apps.txt").write_text("frappe\nerpnext\n")
	image_assets = tmp_path / "yam-assets"
	(image_assets / "yam_agri_core").mkdir(parents=True)
	(image_assets / "assets.json").write_text('{"new": 2}')
	(image_assets / "yam_agri_core" / "app.js").write_text("// built")
	apps_txt = tmp_path / "yam-apps.txt"
	apps_txt.write_text("frappe\nerpnext\nyam_agri_core\n")
	env = {
		"PATH": os.environ["PATH"],
		"BENCH_DIR": str(bench),
		"YAM_IMAGE_ASSETS": str(image_assets),
		"YAM_IMAGE_APPS_TXT": str(apps_txt),
	}
	script = str(ROOT / "docker" / "entrypoint.sh")
	proc = subprocess.run([script, "echo", "started", "gunicorn"], env=env, capture_output=True, text=True)
	assert proc.returncode == 0, proc.stderr
	assert proc.stdout.strip() == "started gunicorn"  # exec'd the container's command with its arguments
	assert (bench / "sites" / "assets" / "assets.json").read_text() == '{"new": 2}'
	assert (bench / "sites" / "assets" / "yam_agri_core" / "app.js").exists()
	assert (bench / "sites" / "apps.txt").read_text() == "frappe\nerpnext\nyam_agri_core\n"
	assert not list((bench / "sites").glob(".apps.txt.*"))
	# simulators skip the refresh
	(bench / "sites" / "apps.txt").write_text("frappe\n")
	proc = subprocess.run(
		[script, "true"], env={**env, "YAM_SKIP_ASSET_SYNC": "1"}, capture_output=True, text=True
	)
	assert proc.returncode == 0 and (bench / "sites" / "apps.txt").read_text() == "frappe\n"
	# a failing command's exit code is the container's
	assert subprocess.run([script, "false"], env=env).returncode == 1


def test_healthcheck_script_modes():
	"""docker/healthcheck.sh outside a container: usage error, and the HTTP modes through the fake curl."""
	import subprocess

	script = str(ROOT / "docker" / "healthcheck.sh")
	env = {"PATH": f"{ROOT / 'tests' / 'fake_bin'}:{os.environ['PATH']}", "SITE_NAME": "yam.localhost"}
	assert subprocess.run([script, "bogus"], env=env, capture_output=True).returncode == 2
	assert subprocess.run([script, "backend"], env=env, capture_output=True).returncode == 0
	assert subprocess.run([script, "frontend"], env=env, capture_output=True).returncode == 0
	down = subprocess.run([script, "backend"], env={**env, "FAKE_CURL_FAIL": "1"}, capture_output=True)
	assert down.returncode != 0


def test_field_broker_is_pinned_and_closed_to_anonymous_clients(services, stack):
	mq = services["mosquitto"]
	assert re.fullmatch(r"eclipse-mosquitto:2\.0\.\d+", mq["image"])
	assert set(mq["profiles"]) >= {"field"} and mq["restart"] == "unless-stopped"
	mounts = {v.split(":")[1]: v.split(":")[0] for v in mq["volumes"]}
	conf = (ROOT / "docker" / "mosquitto" / "mosquitto.conf").read_text()
	assert mounts["/mosquitto/config/mosquitto.conf"] == "./docker/mosquitto/mosquitto.conf"
	assert re.search(r"^allow_anonymous false$", conf, re.M)
	assert re.search(r"^password_file /mosquitto/data/passwd$", conf, re.M)
	assert re.search(r"^acl_file /mosquitto/config/acl$", conf, re.M) and "/mosquitto/config/acl" in mounts
	assert re.search(r"^listener 1883$", conf, re.M) and re.search(r"^persistence true$", conf, re.M)
	assert "mosquitto-data" in stack["volumes"]
	# the LAN port is published only where MQTT_BIND says (this machine by default)
	assert mq["ports"] == ["127.0.0.1:1883:1883"]
	entry = (ROOT / "docker" / "mosquitto" / "entrypoint.sh").read_text()
	assert "mosquitto_passwd -b" in entry and "exec mosquitto -c /mosquitto/config/mosquitto.conf" in entry


def test_field_gateway_runs_without_the_backend(services, stack):
	gw = services["gateway"]
	assert "field" in gw["profiles"] and gw["build"]["dockerfile"] == "docker/gateway.Dockerfile"
	assert set(gw["depends_on"]) == {"mosquitto"}  # it must start and queue while the server is away
	env = gw["environment"]
	assert env["YAM_GW_MQTT_HOST"] == "mosquitto" and env["YAM_GW_MQTT_USERNAME"] == "yam-gateway"
	assert env["YAM_GW_SERVER_URL"].startswith("http")
	assert (
		any(v.endswith(":/var/lib/yam-gateway") for v in gw["volumes"])
		and "gateway-queue" in stack["volumes"]
	)
	assert gw["healthcheck"]["test"] == ["CMD", "yam-gateway", "healthcheck"]
	dockerfile = (ROOT / "docker" / "gateway.Dockerfile").read_text()
	assert re.search(r"^FROM python:3\.\d+\.\d+-slim-\w+$", dockerfile, re.M)
	assert re.search(r"paho-mqtt==\d", dockerfile) and re.search(r"requests==\d", dockerfile)
	assert "USER gateway" in dockerfile


def test_mock_iot_publishes_over_mqtt_in_the_stack(services):
	iot = services["mock_iot"]
	assert iot["command"][-2:] == ["--mqtt", "mosquitto:1883"]
	assert iot["environment"]["YAM_MQTT_USERNAME"] == "yam-simulator"
	acl = (ROOT / "docker" / "mosquitto" / "acl").read_text()
	assert "user yam-simulator\ntopic write yam/#" in acl and "user yam-gateway\ntopic read yam/#" in acl


def _run_steps(text):
	"""The shell steps of the Dockerfile's RUN instructions, comments and line continuations removed."""
	lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
	joined = re.sub(r"\\\n", " ", "\n".join(lines))
	steps = []
	for m in re.finditer(r"^RUN (.+)$", joined, re.M):
		steps += [" ".join(part.split()) for part in m.group(1).split("&&")]
	return steps


def test_dockerfile_registers_the_app_in_apps_txt_before_building():
	steps = _run_steps(DOCKERFILE.read_text())
	write = steps.index("ls -1 apps > sites/apps.txt")
	assert write < steps.index("bench build --app yam_agri_core")
	assert "cp sites/apps.txt /home/frappe/yam-apps.txt" in steps[write:]
	# the entrypoint copies that file into the sites volume
	assert (
		'IMAGE_APPS_TXT="${YAM_IMAGE_APPS_TXT:-/home/frappe/yam-apps.txt}"'
		in (ROOT / "docker" / "entrypoint.sh").read_text()
	)


def test_app_image_has_arabic_fonts_wkhtmltopdf_and_openssl():
	steps = _run_steps(DOCKERFILE.read_text())
	install = next(s for s in steps if "apt-get install" in s)
	for pkg in ("fonts-noto-core", "fonts-kacst", "openssl"):
		assert pkg in install.split(), pkg
	assert 'fc-list | grep -q "Noto Naskh Arabic"' in steps
	assert "command -v wkhtmltopdf pdftotext" in steps  # the build fails when the base image lost it
	assert "poppler-utils" in install.split()  # pdftotext: the integration tier reads PDFs back


def test_dockerfile_builds_without_a_registry():
	"""A `# syntax=` line makes BuildKit fetch a frontend image from Docker Hub: offline builds fail."""
	assert not re.search(r"^#\s*syntax\s*=", DOCKERFILE.read_text(), re.M | re.I)
	assert "freezegun" in DOCKERFILE.read_text()  # a Frappe test dependency: `run.sh test` in the stack


def _gunicorn_port(services):
	bind = next(a for a in services["backend"]["command"] if a.startswith("--bind="))
	return int(bind.rsplit(":", 1)[1])


def test_healthcheck_ports_are_the_ports_the_services_listen_on(services):
	script = (ROOT / "docker" / "healthcheck.sh").read_text()
	cases = dict(re.findall(r"^(\w+)\) (.+)$", script, re.M))
	assert f"127.0.0.1:{_gunicorn_port(services)}/" in cases["backend"]
	assert services["frontend"]["environment"]["BACKEND"] == f"backend:{_gunicorn_port(services)}"
	socketio = services["frontend"]["environment"]["SOCKETIO"]
	assert socketio.startswith("websocket:") and f"127.0.0.1 {socketio.split(':')[1]}" in cases["websocket"]
	tls_script = (ROOT / "docker" / "frontend-tls.sh").read_text()
	listen = re.search(r"listen (\d+) ssl;", tls_script).group(1)
	assert f"https://127.0.0.1:{listen}/" in cases["frontend"]
	assert any(str(p).endswith(f":{listen}") for p in services["frontend"]["ports"])
	assert re.search(r"listen (\d+) default_server;", tls_script).group(1) == "8080"


def test_profiles_default_to_production(env, services):
	"""A fresh .env starts no simulator: they need keys the admin makes after the first start."""
	assert env["COMPOSE_PROFILES"] == ""
	for name in ("mock_iot", "mock_scale", "mailpit"):
		assert services[name]["profiles"] == ["dev"], name
	for name in ("mosquitto", "gateway"):
		assert set(services[name]["profiles"]) == {"field", "dev"}, name
	assert env["MAIL_SERVER"] == ""


def test_monitoring_profile(services, stack):
	mon = {n: s for n, s in services.items() if "monitoring" in s.get("profiles", [])}
	assert set(mon) == {
		"prometheus",
		"grafana",
		"mysqld-exporter",
		"redis-exporter",
		"cadvisor",
		"queue-exporter",
	}
	for name, svc in mon.items():
		for port in svc.get("ports", []):
			assert str(port).startswith("127.0.0.1:"), (name, port)
	prom = yaml.safe_load((ROOT / "monitoring" / "prometheus" / "prometheus.yml").read_text())
	targets = {t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
	assert {"cadvisor:8080", "mysqld-exporter:9104", "queue-exporter:9102"} <= targets
	assert {"redis://redis-cache:6379", "redis://redis-queue:6379"} <= targets
	redis_job = next(j for j in prom["scrape_configs"] if j["job_name"] == "redis")
	assert redis_job["relabel_configs"][-1]["replacement"] == "redis-exporter:9121"
	assert services["queue-exporter"]["environment"]["RQ_EXPORTER_PORT"] == "9102"
	script = services["queue-exporter"]["command"][-1].split("/apps/yam_agri_core/")[1]
	assert (ROOT / script).is_file()
	assert "--performance-schema=OFF" in services["db"]["command"]
	assert services["redis-queue"]["command"][-4:] == [
		"--maxmemory",
		"48mb",
		"--maxmemory-policy",
		"noeviction",
	]


def test_alert_rules_cover_the_runbook_thresholds():
	rules = yaml.safe_load((ROOT / "monitoring" / "prometheus" / "alerts.yml").read_text())
	by_name = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
	assert "> 0.8" in by_name["RedisMemoryHigh"]["expr"]  # 8.1: 80 % of the limit
	assert "> 0.8" in by_name["ContainerMemoryHigh"]["expr"]
	assert "> 0.8" in by_name["DiskAlmostFull"]["expr"]  # 6.2: volume > 80 % full
	assert "container_start_time_seconds" in by_name["ContainerRestarting"]["expr"]
	assert "yam_rq_queue_jobs" in by_name["WorkerQueueBacklog"]["expr"]
	assert "mysql_perf_schema_events_statements_seconds_total" in by_name["MariaDBSlowStatements"]["expr"]
	dash = json.loads((ROOT / "monitoring" / "grafana" / "dashboards" / "yam-stack.json").read_text())
	exprs = " ".join(t["expr"] for p in dash["panels"] for t in p["targets"])
	for metric in (
		"mysql_perf_schema_events_statements_seconds_total",
		"redis_memory_used_bytes",
		"yam_rq_queue_jobs",
		"container_start_time_seconds",
	):
		assert metric in exprs, metric


@pytest.mark.parametrize("what", ["config", "rules"])
def test_promtool_accepts_the_monitoring_config(what):
	import shutil
	import subprocess

	promtool = shutil.which("promtool")
	if not promtool:
		pytest.skip("promtool not installed (Debian package prometheus)")
	path = ROOT / "monitoring" / "prometheus" / ("prometheus.yml" if what == "config" else "alerts.yml")
	proc = subprocess.run([promtool, "check", what, str(path)], capture_output=True, text=True)
	assert proc.returncode == 0, proc.stdout + proc.stderr


def test_frontend_tls_makes_a_self_signed_certificate_and_redirects_http(tmp_path):
	import shutil
	import subprocess

	if not (shutil.which("openssl") and shutil.which("envsubst")):
		pytest.skip("openssl and envsubst (gettext-base) are needed")
	template = tmp_path / "frappe.conf.template"
	template.write_text("server {\n\tlisten 8080;\n\tproxy_pass http://${BACKEND};\n}\n")
	conf, tls = tmp_path / "frappe.conf", tmp_path / "tls"
	env = {
		"PATH": os.environ["PATH"],
		"YAM_TLS_DIR": str(tls),
		"YAM_NGINX_TEMPLATE": str(template),
		"YAM_NGINX_CONF": str(conf),
		"SITE_NAME": "yam.localhost",
		"HTTPS_PORT": "9443",
		"BACKEND": "backend:8000",
		"TLS_EXTRA_NAMES": "IP:192.168.1.20",
	}
	script = str(ROOT / "docker" / "frontend-tls.sh")
	proc = subprocess.run([script, "true"], env=env, capture_output=True, text=True)
	assert proc.returncode == 0, proc.stderr
	text = conf.read_text()
	assert "listen 8443 ssl;" in text and f"ssl_certificate {tls}/fullchain.pem;" in text
	assert "proxy_pass http://backend:8000;" in text
	assert "listen 8080 default_server;" in text and "return 301 https://$host:9443$request_uri;" in text
	san = subprocess.run(
		["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", str(tls / "fullchain.pem")],
		capture_output=True,
		text=True,
	).stdout
	assert "DNS:yam.localhost" in san and "IP Address:192.168.1.20" in san
	assert (tls / "privkey.pem").stat().st_mode & 0o077 == 0
	# an existing pair is kept; a key of another certificate is refused
	before = (tls / "fullchain.pem").read_bytes()
	assert subprocess.run([script, "true"], env=env, capture_output=True).returncode == 0
	assert (tls / "fullchain.pem").read_bytes() == before
	other = tmp_path / "other"
	other.mkdir()
	subprocess.run([script, "true"], env={**env, "YAM_TLS_DIR": str(other)}, capture_output=True)
	shutil.copy(other / "privkey.pem", tls / "privkey.pem")
	proc = subprocess.run([script, "true"], env=env, capture_output=True, text=True)
	assert proc.returncode == 1 and "is not the key of" in proc.stderr


def test_rq_exporter_counts_frappe_queues_against_a_fake_redis():
	import importlib.util
	import socketserver
	import threading

	spec = importlib.util.spec_from_file_location("rq_exporter", ROOT / "monitoring/exporters/rq_exporter.py")
	rq = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(rq)
	data = {
		"rq:queue:home-frappe-frappe-bench:short": 3,
		"rq:queue:home-frappe-frappe-bench:long": 7,
		"rq:failed:home-frappe-frappe-bench:default": 2,
	}

	class Fake(socketserver.StreamRequestHandler):
		def handle(self):
			while True:
				try:
					args = rq.read_reply(self.rfile)
				except ConnectionError:
					return
				cmd = args[0].upper()
				if cmd == "SCAN":
					prefix = args[3].rstrip("*")
					keys = [k for k in data if k.startswith(prefix)]
					self.wfile.write(b"*2\r\n$1\r\n0\r\n" + rq.encode(*keys))
				elif cmd in ("LLEN", "ZCARD"):
					self.wfile.write(b":%d\r\n" % data.get(args[1], 0))
				elif cmd == "SCARD":
					self.wfile.write(b":2\r\n")

	server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Fake)
	threading.Thread(target=server.serve_forever, daemon=True).start()
	try:
		text = rq.scrape(f"redis://127.0.0.1:{server.server_address[1]}")
	finally:
		server.shutdown()
	assert "yam_rq_up 1" in text
	assert 'yam_rq_queue_jobs{queue="short"} 3' in text and 'yam_rq_queue_jobs{queue="long"} 7' in text
	assert 'yam_rq_queue_jobs{queue="default"} 0' in text
	assert 'yam_rq_failed_jobs{queue="default"} 2' in text and "yam_rq_workers 2" in text
	assert rq.scrape("redis://127.0.0.1:1") == rq.render(None)  # nothing listens there


def test_helm_values_use_only_keys_of_the_official_chart():
	"""deploy/helm/values-yam.yaml against the key paths of frappe/helm's erpnext/values.yaml (chart-keys.txt)."""
	known = {
		line.strip()
		for line in (ROOT / "deploy" / "helm" / "chart-keys.txt").read_text().splitlines()
		if line.strip() and not line.startswith("#")
	}
	free = ("resources.", "annotations.", "tls", "hosts", "installApps", "accessModes")
	values = yaml.safe_load((ROOT / "deploy" / "helm" / "values-yam.yaml").read_text())

	def walk(node, path):
		for key, value in node.items():
			dotted = f"{path}{key}"
			parent_free = any(f".{f}" in f".{path}" for f in free)
			assert parent_free or dotted in known, f"{dotted} is not a key of the erpnext chart"
			if isinstance(value, dict):
				walk(value, dotted + ".")

	walk(values, "")
	assert values["image"]["repository"].endswith("yam-agri-core")
	assert "yam_agri_core" in values["jobs"]["createSite"]["installApps"]
	assert values["externalRedis"]["queue"].startswith("redis://") and values["dbHost"]
