"""mock_iot: readings, faults, payloads, and its never-crash loop with a fake client."""

import argparse
import itertools
import json
import random
import re
import sys

import pytest
from sim_support import DEVICES, ROOT, UNITS, VALID, FakeClient

sys.path.insert(0, str(ROOT / "simulators"))

import mock_iot
import mqtt_mode
import sim_loop
import yam_sim_client as sim

# ---------------------------------------------------------------------------------------------------------------
# mock_iot: readings


def test_sensor_devices_skip_scales_inactive_and_others():
	names = [d["name"] for d in mock_iot.sensor_devices(DEVICES)]
	assert names == ["CO2-SILO1-B1", "HUM-SILO1-B1", "MST-SILO1-B1", "TMP-SILO1-B1", "TMP-SILO1-B2"]
	assert mock_iot.pick_hot_device(DEVICES) == "TMP-SILO1-B1"
	assert mock_iot.pick_hot_device(DEVICES, "TMP-SILO1-B2") == "TMP-SILO1-B2"
	assert mock_iot.pick_hot_device([]) == ""


def test_healthy_readings_stay_in_the_valid_band():
	faults = mock_iot.Faults(spike_rate=0, stuck_rate=0, hot_after=-1)
	gen = mock_iot.ReadingGenerator(random.Random(7), faults)
	for _ in range(300):
		for device in mock_iot.sensor_devices(DEVICES):
			r = gen.next_reading(device)
			lo, hi = VALID[r.metric]
			assert lo <= r.value <= hi, r
			assert r.unit == UNITS[r.metric] and r.fault == ""


def test_readings_drift_rather_than_jump():
	faults = mock_iot.Faults(spike_rate=0, stuck_rate=0, hot_after=-1)
	gen = mock_iot.ReadingGenerator(random.Random(3), faults)
	device = DEVICES[0]
	values = [gen.next_reading(device).value for _ in range(200)]
	assert max(abs(a - b) for a, b in itertools.pairwise(values)) < 2.5
	assert len(set(values)) > 20  # it moves


def test_spike_is_an_implausible_jump():
	gen = mock_iot.ReadingGenerator(
		random.Random(1), mock_iot.Faults(spike_rate=1, stuck_rate=0, hot_after=-1)
	)
	r = gen.next_reading(DEVICES[0])
	assert r.fault == "spike" and r.value > 45
	co2 = gen.next_reading(DEVICES[4])
	assert co2.fault == "spike" and co2.value > 2000 and co2.value == int(co2.value)


def test_stuck_sensor_repeats_the_same_value():
	gen = mock_iot.ReadingGenerator(
		random.Random(2), mock_iot.Faults(spike_rate=0, stuck_rate=1, stuck_length=6)
	)
	gen.faults.hot_after = -1
	values = [gen.next_reading(DEVICES[2]) for _ in range(6)]
	assert len({r.value for r in values}) == 1 and all(r.fault == "stuck" for r in values)


def test_hot_bin_warms_past_35_and_stays_hot():
	faults = mock_iot.Faults(spike_rate=0, stuck_rate=0, hot_after=3, hot_rise=2.5)
	gen = mock_iot.ReadingGenerator(random.Random(5), faults, hot_device="TMP-SILO1-B1")
	hot = [gen.next_reading(DEVICES[0]) for _ in range(20)]
	other = [gen.next_reading(DEVICES[1]) for _ in range(20)]
	assert all(r.value <= 30 for r in hot[:3])  # healthy before it starts
	assert all(r.value > 35 and r.fault == "hot" for r in hot[-8:])
	assert all(r.value <= 43 for r in hot)
	# it warms gradually: no step larger than the configured rise (plus noise)
	assert max(b.value - a.value for a, b in itertools.pairwise(hot)) < 3.5
	assert all(r.value <= 30 and r.fault != "hot" for r in other)


def test_default_faults_are_occasional():
	gen = mock_iot.ReadingGenerator(random.Random(11), mock_iot.Faults(hot_after=-1))
	faults = [gen.next_reading(d).fault for _ in range(400) for d in mock_iot.sensor_devices(DEVICES)]
	share = sum(1 for f in faults if f) / len(faults)
	assert 0.02 < share < 0.35
	assert "spike" in faults and "stuck" in faults


def test_observation_payload_matches_the_contract():
	r = mock_iot.Reading("TMP-SILO1-B1", "Temperature", "°C", 42.3, "hot")
	p = mock_iot.build_observation_payload(r, "2026-03-01 10:00:00", seq=7)
	assert {k for k in p if k != "raw_payload"} == {"device", "observed_at", "metric", "value", "unit"}
	assert p["value"] == 42.3 and p["unit"] == "°C" and p["metric"] == "Temperature"
	assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", p["observed_at"])
	assert json.loads(p["raw_payload"])["fault"] == "hot"
	assert "site" not in p and "quality_flag" not in p  # the server's to set
	co2 = mock_iot.build_observation_payload(
		mock_iot.Reading("C", "CO2", "ppm", 640.0), "2026-03-01 10:00:00"
	)
	assert co2["value"] == 640 and isinstance(co2["value"], int)


# ---------------------------------------------------------------------------------------------------------------
# the loops never crash


def test_iot_loop_posts_one_reading_per_active_sensor():
	client = FakeClient()
	cfg = sim.Config(count=3, interval=0)
	slept = []
	stats = mock_iot.run(cfg, client, mock_iot.ReadingGenerator(random.Random(1)), sleep=slept.append)
	assert stats.rounds == 3 and stats.sent == 15 and len(client.created) == 15
	assert len(slept) == 2  # no sleep after the last round
	assert {p["device"] for p in client.created} == {d["name"] for d in mock_iot.sensor_devices(DEVICES)}


def test_iot_loop_survives_outages_and_refusals():
	client = FakeClient(fail_list=[sim.GaveUp("down"), RuntimeError("boom")])
	stats = mock_iot.run(sim.Config(count=3, interval=0), client, mock_iot.ReadingGenerator(random.Random(1)))
	assert stats.errors == 2 and stats.sent == 5
	client = FakeClient(fail_create=sim.ApiError(417, "Device is inactive"))
	stats = mock_iot.run(sim.Config(count=2, interval=0), client, mock_iot.ReadingGenerator(random.Random(1)))
	assert stats.rejected == 10 and stats.errors == 0


def test_iot_carries_on_from_the_last_stored_value():
	client = FakeClient()
	client.last = {"TMP-SILO1-B1": 24.0, "CO2-SILO1-B1": 700.0}
	gen = mock_iot.ReadingGenerator(
		random.Random(1), mock_iot.Faults(spike_rate=0, stuck_rate=0, hot_after=-1)
	)
	mock_iot.run(sim.Config(count=1, interval=0), client, gen)
	first = {p["device"]: p["value"] for p in client.created}
	assert abs(first["TMP-SILO1-B1"] - 24.0) < 2
	assert abs(first["CO2-SILO1-B1"] - 700) < 120


# ---------------------------------------------------------------------------------------------------------------
# MQTT mode: publishing as a real sensor does


def test_mqtt_payload_is_the_sensor_payload_of_the_issue():
	import datetime as dt

	r = mock_iot.Reading("TMP-SILO1-B1", "Temperature", "°C", 28.5)
	when = dt.datetime(2026, 2, 23, 10, 0, tzinfo=dt.timezone.utc)
	assert mqtt_mode.build_mqtt_payload(r, when) == {
		"metric": "temperature",
		"value": 28.5,
		"unit": "C",
		"ts": "2026-02-23T10:00:00Z",
	}
	co2 = mqtt_mode.build_mqtt_payload(mock_iot.Reading("C", "CO2", "ppm", 640.0), when)
	assert co2["metric"] == "co2" and co2["value"] == 640 and isinstance(co2["value"], int)
	assert mqtt_mode.mqtt_topic("YEM-TAI-SILO-01", "TMP-1") == "yam/YEM-TAI-SILO-01/TMP-1/observation"


def test_sensors_given_on_the_command_line():
	assert mqtt_mode.parse_sensor("S1/TMP-1/temperature") == {
		"name": "TMP-1",
		"site": "S1",
		"device_type": "Temperature Sensor",
		"is_active": 1,
	}
	assert mqtt_mode.parse_sensor("S1/M-1/grain_moisture")["device_type"] == "Moisture Sensor"
	for bad in ("S1/TMP-1", "S1/TMP-1/pressure", "//temperature"):
		with pytest.raises(argparse.ArgumentTypeError):
			mqtt_mode.parse_sensor(bad)
	args = mock_iot.parse_args(["--mqtt", "127.0.0.1:1883", "--sensor", "S1/TMP-1/temperature", "--once"])
	assert args.mqtt == "127.0.0.1:1883" and args.sensor[0]["name"] == "TMP-1"
	assert mqtt_mode.split_host_port("mosquitto:1883") == ("mosquitto", 1883)


class FakePublisher:
	def __init__(self, ok=True):
		self.ok = ok
		self.sent = []

	def publish(self, topic, payload):
		self.sent.append((topic, payload))
		return self.ok


def test_mqtt_loop_publishes_one_message_per_sensor_per_round():
	sensors = [mqtt_mode.parse_sensor(s) for s in ("S1/TMP-1/temperature", "S1/HUM-1/humidity")]
	pub = FakePublisher()
	simulation = mqtt_mode.MqttSensorSimulation(mock_iot.ReadingGenerator(random.Random(1)), pub)
	stats = sim_loop.run_rounds(
		sim.Config(count=3, interval=0), mqtt_mode.StaticDevices(sensors), simulation, sleep=lambda s: None
	)
	assert stats.sent == 6 and len(pub.sent) == 6
	assert {t for t, _ in pub.sent} == {"yam/S1/TMP-1/observation", "yam/S1/HUM-1/observation"}
	assert all(p["ts"].endswith("Z") for _, p in pub.sent)
	down = mqtt_mode.MqttSensorSimulation(
		mock_iot.ReadingGenerator(random.Random(1)), FakePublisher(ok=False)
	)
	stats = sim_loop.run_rounds(
		sim.Config(count=1, interval=0), mqtt_mode.StaticDevices(sensors), down, sleep=lambda s: None
	)
	assert stats.sent == 0 and stats.errors == 2


def test_mqtt_mode_against_a_real_broker_through_the_gateways_checks(tmp_path):
	"""mock_iot's messages pass the gateway's validation (real Mosquitto, when installed)."""
	sys.path.insert(0, str(ROOT / "gateway"))
	from testing import Mosquitto, wait_for
	from yam_gateway import messages

	if not Mosquitto.binary:
		pytest.skip("mosquitto is not installed (apt-get install -y mosquitto)")
	import paho.mqtt.client as mqtt

	with Mosquitto(tmp_path / "mq") as broker:
		got = []
		sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
		sub.username_pw_set("yam-gateway", "gw-secret")
		sub.on_message = lambda c, u, msg: got.append(messages.parse_message(msg.topic, msg.payload))
		sub.on_connect = lambda c, u, f, r, p: c.subscribe("yam/#", qos=1)
		subscribed = []
		sub.on_subscribe = lambda c, u, mid, codes, p: subscribed.append(mid)
		sub.connect("127.0.0.1", broker.port)
		sub.loop_start()
		wait_for(lambda: subscribed, 30, what="the subscription")
		pub = mqtt_mode.MqttPublisher("127.0.0.1", broker.port, "yam-simulator", "sim-secret")
		sensors = [mqtt_mode.parse_sensor("S1/TMP-1/temperature"), mqtt_mode.parse_sensor("S1/CO2-1/co2")]
		simulation = mqtt_mode.MqttSensorSimulation(mock_iot.ReadingGenerator(random.Random(2)), pub)
		stats = sim_loop.run_rounds(
			sim.Config(count=2, interval=0),
			mqtt_mode.StaticDevices(sensors),
			simulation,
			sleep=lambda s: None,
		)
		wait_for(lambda: len(got) == 4, 30, what="4 messages")
		sub.loop_stop()
		assert stats.sent == 4
		assert {items[0].body["metric"] for items in got} == {"Temperature", "CO2"}
