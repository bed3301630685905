"""yam-gateway end to end against a real Mosquitto on 127.0.0.1 (Debian's package; .ci/run installs it) and a
fake YAM server: nothing lost and nothing doubled across a server outage, a broker restart and kill -9 of the
gateway mid-batch; the password file and ACL; dead letters; the status command."""

import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gateway"))

from testing import (
	GATEWAY_DIR,
	FakeServer,
	GatewayProcess,
	Mosquitto,
	Publisher,
	gateway_env,
	reading,
	wait_for,
)

pytestmark = pytest.mark.skipif(
	not Mosquitto.binary, reason="mosquitto is not installed (apt-get install -y mosquitto mosquitto-clients)"
)
TOPIC = "yam/yem-tai-silo-01/{}/observation"


@pytest.fixture
def broker(tmp_path):
	with Mosquitto(tmp_path / "mosquitto") as mq:
		yield mq


@pytest.fixture
def server():
	with FakeServer(delay=0.02) as srv:
		yield srv


@pytest.fixture
def gateway(tmp_path, broker, server):
	gw = GatewayProcess(
		gateway_env(tmp_path / "q" / "queue.sqlite3", broker.port, server.url), tmp_path / "gw.log"
	)
	yield gw.start()
	gw.stop()


def publish_all(port, readings, device="TMP-1", pause=0.0):
	pub = Publisher(port)
	try:
		for r in readings:
			assert pub.publish(TOPIC.format(device), r)
			if pause:
				time.sleep(pause)
	finally:
		pub.close()


def assert_exactly_once(server, n, device="TMP-1", timeout=30):
	wait_for(lambda: len(server.keys) >= n, timeout, what=f"{n} readings on the server")
	time.sleep(0.5)
	expected = {(device, reading(i)["ts"], "Temperature") for i in range(n)}
	assert set(server.keys) == expected
	assert len(server.stored) == len(server.keys) == n, "a reading was stored twice"


def test_no_anonymous_and_no_wrong_password(broker):
	import paho.mqtt.client as mqtt

	for user, password in ((None, None), ("yam-gateway", "wrong")):
		client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
		if user:
			client.username_pw_set(user, password)
		result = []
		client.on_connect = lambda c, u, f, reason, p: result.append(reason)
		client.connect("127.0.0.1", broker.port)
		client.loop_start()
		wait_for(lambda: result, 5, what="CONNACK")
		client.loop_stop()
		assert result[0].is_failure, f"{user} was let in"


def test_a_sensor_publishes_only_its_own_topics(broker, server, gateway):
	pub = Publisher(broker.port, user="TMP-1")
	pub.publish(TOPIC.format("TMP-2"), reading(0))  # not its topic: the broker drops it
	pub.publish(TOPIC.format("TMP-1"), reading(1))
	pub.close()
	wait_for(lambda: server.keys, 30, what="a reading")
	time.sleep(0.5)
	assert server.keys == {("TMP-1", reading(1)["ts"], "Temperature")}


def test_readings_arrive_once_across_a_server_outage(broker, server, gateway):
	publish_all(broker.port, [reading(i) for i in range(100)])
	assert_exactly_once(server, 100)
	server.down = True
	publish_all(broker.port, [reading(i) for i in range(100, 400)])

	def queued_and_refused() -> bool:
		health = gateway.health()
		return health["queue_depth"] == 300 and not health["server_reachable"]

	# the queue fills at once; the forwarder notices the outage on its next try
	wait_for(queued_and_refused, 30, what="300 queued and the server seen down")
	health = gateway.health()
	assert health["status"] == "ok" and "503" in health["last_error"]
	server.down = False
	assert_exactly_once(server, 400)
	assert gateway.health()["queue_depth"] == 0


def test_readings_arrive_once_across_a_broker_restart(tmp_path, broker, server, gateway):
	publish_all(broker.port, [reading(i) for i in range(50)])
	assert_exactly_once(server, 50)
	broker.stop()  # the gateway loses the broker; it reconnects by itself
	broker.start()
	wait_for(lambda: gateway.health()["mqtt_connected"], 40, what="the gateway back on the broker")
	publish_all(broker.port, [reading(i) for i in range(50, 100)])
	assert_exactly_once(server, 100)
	# the gateway down and the broker restarted meanwhile: the broker keeps the gateway's session on disk
	gateway.stop()
	publish_all(broker.port, [reading(i) for i in range(100, 200)])
	broker.stop()
	broker.start()
	gateway.start()
	assert_exactly_once(server, 200)


def test_kill_9_mid_batch_loses_nothing_and_doubles_nothing(broker, server, gateway):
	"""A sensor publishes 600 readings while the gateway is killed with SIGKILL four times (the server is slow,
	so batches are in flight). Resent rows come back as duplicates and are done; every reading is stored once."""
	total = 600
	sender = threading.Thread(
		target=publish_all, args=(broker.port, [reading(i) for i in range(total)], "TMP-1", 0.004)
	)
	sender.start()
	rng = random.Random(5)
	for _ in range(4):
		time.sleep(rng.uniform(0.2, 0.6))
		gateway.kill()
		gateway.start()
	sender.join()
	assert_exactly_once(server, total, timeout=60)
	counters = gateway.health()["counters"]
	assert counters["invalid"] == 0


def test_bad_messages_become_dead_letters_and_status_shows_them(tmp_path, broker, server, gateway):
	pub = Publisher(broker.port)
	pub.publish(TOPIC.format("TMP-1"), b"{not json")
	pub.publish(TOPIC.format("TMP-1"), {**reading(0), "ts": "1970-01-01T00:00:10Z"})
	pub.publish(TOPIC.format("TMP-1"), reading(1))
	pub.close()
	wait_for(lambda: gateway.health()["dead_letters"] == 2, 30, what="two dead letters")
	env = gateway.env
	out = subprocess.run(
		[sys.executable, "-m", "yam_gateway", "status"], env=env, capture_output=True, text=True, check=True
	)
	status = json.loads(out.stdout)
	assert status["dead_letters"] == 2 and status["counters"]["invalid"] == 2
	assert "queue_depth" in status and "last_forward_ok_at" in status
	letters = subprocess.run(
		[sys.executable, "-m", "yam_gateway", "dead-letters"],
		env=env,
		capture_output=True,
		text=True,
		check=True,
	)
	assert "clock is not set" in letters.stdout and "not JSON" in letters.stdout
	assert subprocess.run([sys.executable, "-m", "yam_gateway", "healthcheck"], env=env).returncode == 0


def test_two_gateways_never_share_a_queue(tmp_path, broker, server, gateway):
	second = subprocess.run(
		[sys.executable, "-m", "yam_gateway", "run"],
		env=gateway.env,
		capture_output=True,
		text=True,
		timeout=30,
	)
	assert second.returncode == 3 and "another gateway" in second.stderr


def test_missing_settings_are_named(tmp_path):
	env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(GATEWAY_DIR), "YAM_GW_QUEUE_PATH": str(tmp_path / "q")}
	proc = subprocess.run(
		[sys.executable, "-m", "yam_gateway", "run"], env=env, capture_output=True, text=True
	)
	assert proc.returncode == 2
	assert "YAM_GW_SERVER_URL" in proc.stderr and "YAM_GW_API_KEY" in proc.stderr
