"""The simulators' pure logic (readings, faults, tickets, backoff, payloads), their never-crash loops with fake
clients, and one end-to-end run against a tiny fake REST server on 127.0.0.1 (no Frappe, no outside network).
"""

import dataclasses
import datetime as dt
import http.server
import itertools
import json
import logging
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "simulators"))

import gateway_user
import mock_iot
import mock_scale
import sim_loop
import yam_sim_client as sim

from yam_agri_core.rules import weighing

# the contract's Valid band per metric (grain storage defaults)
VALID = {"Temperature": (10, 30), "Humidity": (0, 70), "Grain Moisture": (0, 14), "CO2": (0, 1000)}
UNITS = {"Temperature": "°C", "Humidity": "%", "Grain Moisture": "%", "CO2": "ppm"}

DEVICES = [
	{
		"name": "TMP-SILO1-B1",
		"device_type": "Temperature Sensor",
		"site": "S1",
		"storage_bin": "B1",
		"is_active": 1,
	},
	{
		"name": "TMP-SILO1-B2",
		"device_type": "Temperature Sensor",
		"site": "S1",
		"storage_bin": "B2",
		"is_active": 1,
	},
	{
		"name": "HUM-SILO1-B1",
		"device_type": "Humidity Sensor",
		"site": "S1",
		"storage_bin": "B1",
		"is_active": 1,
	},
	{
		"name": "MST-SILO1-B1",
		"device_type": "Moisture Sensor",
		"site": "S1",
		"storage_bin": "B1",
		"is_active": 1,
	},
	{"name": "CO2-SILO1-B1", "device_type": "CO2 Sensor", "site": "S1", "storage_bin": "B1", "is_active": 1},
	{
		"name": "OLD-TMP",
		"device_type": "Temperature Sensor",
		"site": "S1",
		"storage_bin": None,
		"is_active": 0,
	},
	{"name": "SCALE-SILO1", "device_type": "Scale", "site": "S1", "storage_bin": None, "is_active": 1},
	{"name": "SCALE-OFF", "device_type": "Scale", "site": "S1", "storage_bin": None, "is_active": 0},
	{"name": "GPS-1", "device_type": "Other", "site": "S1", "storage_bin": None, "is_active": 1},
]


# ---------------------------------------------------------------------------------------------------------------
# backoff, headers, config


def test_backoff_doubles_up_to_the_cap():
	delays = sim.backoff_delays(base=1, factor=2, cap=30, jitter=0)
	assert [next(delays) for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


def test_backoff_jitter_stays_within_bounds():
	delays = sim.backoff_delays(base=10, factor=2, cap=300, jitter=0.1, rng=random.Random(1))
	values = [next(delays) for _ in range(12)]
	nominal = [min(300, 10 * 2**i) for i in range(12)]
	for v, n in zip(values, nominal, strict=True):
		assert 0.9 * n <= v <= min(300, 1.1 * n)


def test_auth_headers():
	cfg = sim.Config(api_key="k1", api_secret="s1", site_name="yam.localhost")
	h = sim.auth_headers(cfg)
	assert h["Authorization"] == "token k1:s1"
	assert h["X-Frappe-Site-Name"] == "yam.localhost"
	assert "Authorization" not in sim.auth_headers(sim.Config())


def test_config_from_env_and_args():
	env = {"YAM_URL": "http://backend:8000/", "YAM_API_KEY": "k", "YAM_API_SECRET": "s", "YAM_INTERVAL": "5"}
	cfg = sim.Config.from_env(env)
	assert cfg.url == "http://backend:8000" and cfg.interval == 5 and cfg.count is None
	args = mock_iot.parse_args(["--once", "--url", "http://x:1", "--seed", "3"])
	cfg = sim.config_from_args(args, env)
	assert cfg.count == 1 and cfg.url == "http://x:1" and cfg.seed == 3 and cfg.api_key == "k"


def test_should_retry():
	assert sim.should_retry(None) and sim.should_retry(502) and sim.should_retry(429)
	assert not sim.should_retry(403) and not sim.should_retry(417) and not sim.should_retry(404)


def test_error_message_reads_frappe_answers():
	body = {"_server_messages": json.dumps([json.dumps({"message": "Device X is not of your site"})])}
	assert sim.error_message(body) == "Device X is not of your site"
	assert sim.error_message({"exception": "frappe.exceptions.ValidationError: bad"}).endswith("bad")
	assert sim.error_message(None, "plain text") == "plain text"


def test_format_datetime_and_time_zone():
	assert sim.format_datetime(dt.datetime(2026, 3, 1, 7, 5, 9)) == "2026-03-01 07:05:09"
	fixed = dt.datetime(2026, 1, 2, 3, 4, 5)
	assert sim.now_in_tz("Asia/Aden", clock=lambda: fixed) == fixed
	now = sim.now_in_tz("No/Such_Zone")
	assert abs((now - dt.datetime.now()).total_seconds()) < 5


def test_heartbeat(tmp_path):
	hb = tmp_path / "hb"
	assert not sim.heartbeat_ok(str(hb), 60)
	sim.write_heartbeat(str(hb))
	assert sim.heartbeat_ok(str(hb), 60)
	sim.write_heartbeat(str(hb), now=time.time() - 1000)
	assert not sim.heartbeat_ok(str(hb), 60)
	assert sim.main(["--healthcheck", str(hb), "--max-age", "60"]) == 1
	slept = []
	sleeper = sim.make_sleeper(str(hb), sleep=slept.append, chunk=10)
	sleeper(25)
	assert slept == [10, 10, 5] and sim.heartbeat_ok(str(hb), 60)
	assert sim.main(["--healthcheck", str(hb), "--max-age", "60"]) == 0


# ---------------------------------------------------------------------------------------------------------------
# the client's retries, with a fake session (no network)


class FakeResponse:
	def __init__(self, status, body):
		self.status_code = status
		self._body = body
		self.content = json.dumps(body).encode() if body is not None else b""
		self.text = self.content.decode()

	def json(self):
		if self._body is None:
			raise ValueError("no json")
		return self._body


class FakeSession:
	"""Answers from a script: each item is a FakeResponse or an exception to raise."""

	def __init__(self, script):
		self.script = list(script)
		self.headers = {}
		self.calls = []

	def request(self, method, url, **kwargs):
		self.calls.append((method, url, kwargs))
		item = self.script.pop(0)
		if isinstance(item, Exception):
			raise item
		return item


def test_client_retries_while_the_backend_is_down():
	session = FakeSession(
		[
			requests.ConnectionError("refused"),
			FakeResponse(502, None),
			FakeResponse(200, {"message": "pong"}),
		]
	)
	slept = []
	client = sim.YamClient(sim.Config(api_key="k", api_secret="s"), session=session, sleep=slept.append)
	assert client.ping() is True
	assert len(session.calls) == 3 and len(slept) == 2
	assert 0.9 <= slept[0] <= 1.1 and 1.8 <= slept[1] <= 2.2
	assert session.headers["Authorization"] == "token k:s"


def test_client_does_not_retry_a_refusal():
	body = {"exception": "frappe.exceptions.PermissionError: not allowed"}
	session = FakeSession([FakeResponse(403, body)])
	client = sim.YamClient(sim.Config(), session=session, sleep=lambda s: None)
	with pytest.raises(sim.ApiError) as err:
		client.create_observation({"device": "X"})
	assert err.value.status == 403 and "not allowed" in str(err.value)
	assert len(session.calls) == 1


def test_client_gives_up_only_when_bounded():
	session = FakeSession([requests.Timeout("slow")] * 3)
	client = sim.YamClient(sim.Config(), session=session, sleep=lambda s: None, max_attempts=3)
	with pytest.raises(sim.GaveUp):
		client.list_devices()
	assert len(session.calls) == 3


def test_list_devices_asks_for_the_contract_fields():
	session = FakeSession([FakeResponse(200, {"data": DEVICES})])
	client = sim.YamClient(sim.Config(url="http://h:1"), session=session, sleep=lambda s: None)
	assert client.list_devices() == DEVICES
	method, url, kwargs = session.calls[0]
	assert (method, url) == ("GET", "http://h:1/api/resource/Device")
	assert json.loads(kwargs["params"]["fields"]) == [
		"name",
		"device_type",
		"site",
		"storage_bin",
		"is_active",
	]


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
# mock_scale: tickets


def _ticket(gross, tare, expected):
	return mock_scale.build_ticket_payload(
		DEVICES[6],
		ticket_no="T1",
		ticket_datetime="2026-03-01 08:00:00",
		direction="Inbound",
		vehicle="V",
		driver="D",
		gross_kg=gross,
		tare_kg=tare,
		expected_net_kg=expected,
	)


def test_deviation_and_mismatch_rule():
	def outcome(net, expected):
		return mock_scale.expected_outcome(_ticket(6000 + net, 6000, expected))

	assert outcome(3000, 3000).deviation_pct == 0
	assert outcome(2200, 3000).deviation_pct == pytest.approx(-26.6667, rel=1e-3)
	assert not outcome(3000, 3000).mismatch
	assert outcome(2200, 3000).mismatch
	assert not outcome(1020, 1000).mismatch  # exactly 2 % is inside
	assert outcome(1021, 1000).mismatch


# (gross, tare, expected, tolerance) at and around the tolerance; the last ones carry a floating point residue
# (1024.4 - 4.4 = 1020.0000000000001) that a plain |net - expected| / expected > 2 % would call a mismatch
BOUNDARY_TICKETS = [
	(9060, 6000, 3000, 2.0),
	(8940, 6000, 3000, 2.0),
	(9061, 6000, 3000, 2.0),
	(8939, 6000, 3000, 2.0),
	(7020, 6000, 1000, 2.0),
	(7021, 6000, 1000, 2.0),
	(6979, 6000, 1000, 2.0),
	(9000, 6000, 3000, 0.0),
	(9001, 6000, 3000, 0.0),
	(9150, 6000, 3000, 5.0),
	(9151, 6000, 3000, 5.0),
	(1024.4, 4.4, 1000, 2.0),
	(1025.4, 5.4, 1000, 2.0),
	(9000.5, 6000.5, 3000, 2.0),
]


@pytest.mark.parametrize("gross,tare,expected,tolerance", BOUNDARY_TICKETS)
def test_scale_expectation_is_the_servers_weighing_rule(gross, tare, expected, tolerance):
	payload = _ticket(gross, tare, expected)
	assert mock_scale.expected_outcome(payload, tolerance) == weighing.weigh(gross, tare, expected, tolerance)


def test_exact_tolerance_is_no_mismatch_despite_float_residue():
	assert 1024.4 - 4.4 != 1020  # the residue is real ...
	w = mock_scale.expected_outcome(_ticket(1024.4, 4.4, 1000))
	assert (w.net_kg, w.deviation_pct, w.mismatch) == (1020, 2.0, False)  # ... and the rule rounds it away


def test_generated_tickets_near_the_tolerance_agree_with_the_rule():
	# mismatches of 2.0-2.1 % and honest deviations of up to 2 %: the expectation stands right on the edge
	faults = mock_scale.TicketFaults(
		mismatch_rate=0.5, mismatch_min_pct=2.0, mismatch_max_pct=2.1, honest_max_pct=2
	)
	gen = mock_scale.TicketGenerator(random.Random(8), faults)
	ws = [gen.next_weighing(DEVICES[6], dt.datetime(2026, 3, 1, 8, 0, 0)) for _ in range(2000)]
	for w in ws:
		p = w.payload
		rule = weighing.weigh(
			p["gross_kg"], p["tare_kg"], p["expected_net_kg"], mock_scale.DEFAULT_TOLERANCE_PCT
		)
		assert (w.net_kg, w.expected_mismatch) == (rule.net_kg, rule.mismatch)
	assert any(w.expected_mismatch for w in ws) and not all(w.expected_mismatch for w in ws)


class RuleServer:
	"""A Scale Ticket endpoint that flags as the server does: by yam_agri_core.rules.weighing."""

	sleep = staticmethod(lambda s: None)

	def __init__(self, tolerance_pct=2.0):
		self.tolerance_pct = tolerance_pct

	def create_scale_ticket(self, p):
		w = weighing.weigh(p["gross_kg"], p["tare_kg"], p["expected_net_kg"], self.tolerance_pct)
		return {"name": "SCL-1", "docstatus": 1, "mismatch_flag": int(w.mismatch)}


def test_scale_flags_agree_with_a_rule_server_on_boundary_cases():
	stats = mock_scale.Stats()
	for gross, tare, expected, tolerance in BOUNDARY_TICKETS:
		payload = _ticket(gross, tare, expected)
		w = mock_scale.Weighing(payload, mock_scale.expected_outcome(payload, tolerance))
		mock_scale.post_weighing(RuleServer(tolerance), w, stats)
	assert stats.sent == len(BOUNDARY_TICKETS) and stats.disagreements == 0
	assert (
		stats.flagged == stats.expected_flagged == 6
	)  # 9061, 8939, 7021, 6979 at 2 %; 9001 at 0 %; 9151 at 5 %
	# a site with another tolerance than the simulator assumes is what `disagreements` shows
	stats = mock_scale.Stats()
	w = mock_scale.Weighing(_ticket(9060, 6000, 3000), mock_scale.expected_outcome(_ticket(9060, 6000, 3000)))
	mock_scale.post_weighing(RuleServer(tolerance_pct=1.0), w, stats)
	assert stats.disagreements == 1


def test_scale_devices():
	assert [d["name"] for d in mock_scale.scale_devices(DEVICES)] == ["SCALE-SILO1"]


def test_weighings_are_physically_sane():
	gen = mock_scale.TicketGenerator(random.Random(4))
	when = dt.datetime(2026, 3, 1, 8, 0, 0)
	nos = set()
	for _ in range(500):
		w = gen.next_weighing(DEVICES[6], when)
		p = w.payload
		assert p["gross_kg"] > 0 and 0 <= p["tare_kg"] < p["gross_kg"]
		assert w.net_kg == p["gross_kg"] - p["tare_kg"]
		assert p["direction"] in ("Inbound", "Outbound")
		assert p["site"] == "S1" and p["device"] == "SCALE-SILO1" and p["docstatus"] == 1
		assert p["ticket_datetime"] == "2026-03-01 08:00:00"
		assert not {"net_kg", "mismatch_flag", "deviation_pct", "nonconformance"} & set(p)
		assert (
			w.expected_mismatch
			== weighing.weigh(p["gross_kg"], p["tare_kg"], p["expected_net_kg"], 2.0).mismatch
		)
		nos.add(p["ticket_no"])
	assert len(nos) == 500  # ticket_no unique per site
	# ... also against a second run started in the same second with the same seed
	again = mock_scale.TicketGenerator(random.Random(4)).next_weighing(DEVICES[6], when).payload["ticket_no"]
	assert again not in nos


def test_mismatches_are_occasional_and_clear():
	gen = mock_scale.TicketGenerator(random.Random(9))
	when = dt.datetime(2026, 3, 1, 8, 0, 0)
	ws = [gen.next_weighing(DEVICES[6], when) for _ in range(1000)]
	share = sum(w.expected_mismatch for w in ws) / len(ws)
	assert 0.06 < share < 0.2
	for w in ws:
		dev = abs(weighing.deviation_pct(w.net_kg, w.payload["expected_net_kg"]))
		assert dev > 2.5 if w.expected_mismatch else dev < 1.0
	forced = gen.next_weighing(DEVICES[6], when, force_mismatch=True)
	assert forced.expected_mismatch


def test_at07_tickets():
	gen = mock_scale.TicketGenerator(random.Random(1))
	clean, bad = gen.at07_weighings(DEVICES[6], dt.datetime(2026, 3, 1, 8, 0, 0))
	assert (clean.net_kg, clean.payload["expected_net_kg"], clean.expected_mismatch) == (3000, 3000, False)
	assert (bad.net_kg, bad.payload["expected_net_kg"], bad.expected_mismatch) == (2200, 3000, True)


def test_impossible_weights_are_refused_locally():
	for gross, tare in ((5000, 5000), (0, 0), (5000, -1), (-10, -20)):
		with pytest.raises(ValueError, match="impossible weights"):
			_ticket(gross, tare, 1)


# ---------------------------------------------------------------------------------------------------------------
# the loops never crash


class FakeClient:
	def __init__(self, devices=DEVICES, fail_list=None, fail_create=None):
		self.devices = devices
		self.fail_list = list(fail_list or [])
		self.fail_create = fail_create
		self.created = []
		self.sleep = lambda s: None

	def site_timezone(self):
		return "Asia/Aden"

	def last_value(self, device, metric):
		return getattr(self, "last", {}).get(device)

	def list_devices(self):
		if self.fail_list:
			raise self.fail_list.pop(0)
		return self.devices

	def create_observation(self, payload):
		if self.fail_create:
			raise self.fail_create
		self.created.append(payload)
		return {"name": len(self.created), "quality_flag": "Quarantine" if payload["value"] > 35 else "Valid"}

	def create_scale_ticket(self, payload):
		if self.fail_create:
			raise self.fail_create
		self.created.append(payload)
		return {"name": "SCL-1", "docstatus": 1, "mismatch_flag": 0}


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


def test_scale_loop_survives_and_counts_disagreements():
	client = FakeClient(fail_list=[sim.GaveUp("down")])
	gen = mock_scale.TicketGenerator(random.Random(2), mock_scale.TicketFaults(mismatch_rate=1))
	stats = mock_scale.run(sim.Config(count=3, interval=0), client, gen)
	assert stats.errors == 1 and stats.sent == 2
	assert stats.expected_flagged == 2 and stats.flagged == 0 and stats.disagreements == 2


def test_scale_loop_without_scales_does_nothing_quietly():
	client = FakeClient(devices=[d for d in DEVICES if d["device_type"] != "Scale"])
	stats = mock_scale.run(
		sim.Config(count=2, interval=0), client, mock_scale.TicketGenerator(random.Random(2))
	)
	assert stats.sent == 0 and stats.errors == 0 and client.created == []


# ---------------------------------------------------------------------------------------------------------------
# the shared loop (sim_loop), with a scripted simulation


class LoopClient:
	"""list_devices() answers (or raises) from a script; the last answer repeats."""

	def __init__(self, lists, tz="Asia/Aden"):
		self.lists = list(lists)
		self.tz = tz
		self.tz_asked = 0
		self.listed = 0
		self.sleep = lambda s: pytest.fail("the loop used the client's sleep, not the one given")

	def site_timezone(self):
		self.tz_asked += 1
		return self.tz

	def list_devices(self):
		self.listed += 1
		item = self.lists.pop(0) if len(self.lists) > 1 else self.lists[0]
		if isinstance(item, Exception):
			raise item
		return item


@dataclasses.dataclass
class ScriptedSimulation:
	log: logging.Logger = dataclasses.field(default_factory=lambda: logging.getLogger("sim_test"))
	stats: sim_loop.Stats = dataclasses.field(default_factory=sim_loop.Stats)
	no_devices_warning: str = "nothing to simulate here"
	fail_play: list = dataclasses.field(default_factory=list)
	played: list = dataclasses.field(default_factory=list)

	def select_devices(self, client, devices):
		return [d for d in devices if d.get("is_active")]

	def play_round(self, client, devices, clock):
		failure = self.fail_play.pop(0) if self.fail_play else None  # None: this round goes well
		if failure:
			raise failure
		self.played.append(([d["name"] for d in devices], clock()))
		self.stats.sent += len(devices)


def test_loop_counts_rounds_and_sleeps_between_them():
	client, simulation, slept = LoopClient([DEVICES]), ScriptedSimulation(), []
	stats = sim_loop.run_rounds(sim.Config(count=4, interval=7), client, simulation, sleep=slept.append)
	assert stats is simulation.stats and (stats.rounds, stats.errors) == (4, 0)
	assert slept == [7, 7, 7]  # none after the last round
	assert len(simulation.played) == 4 and stats.sent == 4 * 7
	assert client.tz_asked == 1  # the site's time zone is asked once


def test_loop_rereads_devices_every_ten_rounds_and_after_a_failure():
	client = LoopClient([DEVICES])
	sim_loop.run_rounds(sim.Config(count=25, interval=0), client, ScriptedSimulation(), sleep=lambda s: None)
	assert client.listed == 3 and sim_loop.REFRESH_EVERY == 10  # rounds 0, 10 and 20
	client = LoopClient([DEVICES])
	simulation = ScriptedSimulation(fail_play=[None, RuntimeError("boom")])
	stats = sim_loop.run_rounds(sim.Config(count=3, interval=0), client, simulation, sleep=lambda s: None)
	assert stats.errors == 1 and client.listed == 2 and len(simulation.played) == 2


def test_loop_logs_and_counts_outages_under_the_simulators_name(caplog):
	client = LoopClient([sim.GaveUp("502 for ever"), RuntimeError("bad JSON"), DEVICES])
	simulation = ScriptedSimulation(fail_play=[sim.ApiError(500, "odd")])
	with caplog.at_level(logging.INFO, logger="sim_test"):
		stats = sim_loop.run_rounds(sim.Config(count=5, interval=0), client, simulation, sleep=lambda s: None)
	assert (stats.rounds, stats.errors, len(simulation.played)) == (5, 3, 2)
	messages = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
	assert ("sim_test", "ERROR", "backend unreachable: 502 for ever") in messages
	assert [m for m in messages if m[2] == "round failed"] == [("sim_test", "ERROR", "round failed")] * 2
	assert messages[-1] == ("sim_test", "INFO", f"done: {dataclasses.asdict(stats)}")


def test_loop_without_devices_warns_and_plays_nothing(caplog):
	simulation = ScriptedSimulation()
	with caplog.at_level(logging.WARNING, logger="sim_test"):
		sim_loop.run_rounds(
			sim.Config(count=3, interval=0), LoopClient([DEVICES[5:6]]), simulation, sleep=lambda s: None
		)
	assert simulation.played == [] and simulation.stats.errors == 0
	assert [r.getMessage() for r in caplog.records] == ["nothing to simulate here"] * 3  # re-read each round


def test_loop_clock_is_the_sites_or_the_configured_time_zone(monkeypatch):
	asked = []
	monkeypatch.setattr(
		sim, "now_in_tz", lambda tz="", clock=None: asked.append(tz) or dt.datetime(2026, 1, 1)
	)
	for cfg_tz, site_tz, want in (
		("", "Asia/Aden", "Asia/Aden"),
		("", "", ""),
		("Europe/Paris", "X", "Europe/Paris"),
	):
		asked.clear()
		client = LoopClient([DEVICES], tz=site_tz)
		sim_loop.run_rounds(
			sim.Config(count=2, interval=0, timezone=cfg_tz), client, ScriptedSimulation(), lambda s: None
		)
		assert asked == [want, want]
		assert client.tz_asked == (0 if cfg_tz else 1)  # a site that names no zone is not asked again


def test_loop_runs_until_stopped_when_unbounded():
	class Stop(BaseException):
		pass

	slept = []

	def sleep(seconds):
		slept.append(seconds)
		if len(slept) == 30:
			raise Stop  # what SIGTERM's sys.exit does: not an Exception, so the loop lets it through

	with pytest.raises(Stop):
		sim_loop.run_rounds(
			sim.Config(count=None, interval=1), LoopClient([DEVICES]), ScriptedSimulation(), sleep
		)
	assert len(slept) == 30


def test_loop_sleep_keeps_the_heartbeat_fresh(tmp_path):
	hb = tmp_path / "hb"
	sleeper = sim.make_sleeper(str(hb), sleep=lambda s: None)
	sim_loop.run_rounds(
		sim.Config(count=2, interval=60), LoopClient([DEVICES]), ScriptedSimulation(), sleeper
	)
	assert sim.heartbeat_ok(str(hb), 60)


def test_exit_code():
	assert sim_loop.exit_code(sim.Config(count=2), sim_loop.Stats(sent=1)) == 0
	assert sim_loop.exit_code(sim.Config(count=2), sim_loop.Stats(sent=0)) == 1
	assert sim_loop.exit_code(sim.Config(count=None), sim_loop.Stats(sent=0)) == 0


def test_run_main_exit_codes():
	with pytest.raises(SystemExit) as exc:
		sim_loop.run_main(lambda: 3)
	assert exc.value.code == 3

	def interrupted():
		raise KeyboardInterrupt

	with pytest.raises(SystemExit) as exc:
		sim_loop.run_main(interrupted)
	assert exc.value.code == 0


def test_simulators_share_the_command_line():
	for module in (mock_iot, mock_scale):
		args = module.parse_args(["--once", "--max-attempts", "2", "--tz", "Asia/Aden", "-v"])
		assert (args.once, args.max_attempts, args.timezone, args.verbose) == (True, 2, "Asia/Aden", True)
	assert mock_iot.parse_args(["--device", "A", "--device", "B"]).device == ["A", "B"]
	assert mock_scale.parse_args(["--at07"]).at07 and mock_scale.parse_args([]).max_attempts is None


def test_start_sets_up_the_process(monkeypatch):
	handlers = {}
	monkeypatch.setattr(sim_loop.signal, "signal", lambda sig, handler: handlers.setdefault(sig, handler))
	monkeypatch.setenv("YAM_API_KEY", "k")
	monkeypatch.setenv("YAM_API_SECRET", "s")
	monkeypatch.setenv("YAM_HEARTBEAT_FILE", "")
	app = sim_loop.start(
		mock_scale.parse_args(["--count", "2", "--seed", "5", "--max-attempts", "4"]), "gw@x"
	)
	assert (app.cfg.count, app.cfg.seed, app.cfg.api_key, app.client.max_attempts) == (2, 5, "k", 4)
	assert app.client.rng is app.rng and app.client.sleep is app.sleep
	assert app.rng.random() == random.Random(5).random()
	with pytest.raises(SystemExit) as exc:
		handlers[signal.SIGTERM]()
	assert exc.value.code == 0


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


def test_provision_gateway_user_calls():
	answers = [
		FakeResponse(200, {"message": "Logged In"}),
		FakeResponse(404, {"exc_type": "DoesNotExistError"}),
		FakeResponse(200, {"data": {"name": "gw@x"}}),
		FakeResponse(200, {"data": [{"name": "S1"}, {"name": "S2"}]}),
		FakeResponse(200, {"data": []}),
		FakeResponse(200, {"data": {"name": "UP1"}}),
		FakeResponse(200, {"data": [{"name": "UP0"}]}),
		FakeResponse(200, {"message": {"api_secret": "sec"}}),
		FakeResponse(200, {"data": {"name": "gw@x", "api_key": "key"}}),
	]
	session = FakeSession(answers)
	key, secret = gateway_user.provision_gateway_user(
		sim.Config(url="http://h", admin_password="pw"), "gw@x", session=session
	)
	assert (key, secret) == ("key", "sec")
	calls = [(m, u.replace("http://h", "")) for m, u, _ in session.calls]
	assert calls[0] == ("POST", "/api/method/login")
	assert session.calls[0][2]["json"] == {"usr": "Administrator", "pwd": "pw"}
	assert ("POST", "/api/resource/User") in calls
	user = next(k["json"] for m, u, k in session.calls if u.endswith("/api/resource/User") and m == "POST")
	assert user["roles"] == [{"role": "Sensor Gateway"}] and user["send_welcome_email"] == 0
	grants = [k["json"] for m, u, k in session.calls if u.endswith("/User Permission") and m == "POST"]
	assert grants == [{"user": "gw@x", "allow": "Site", "for_value": "S1", "apply_to_all_doctypes": 1}]


# ---------------------------------------------------------------------------------------------------------------
# end to end against a fake REST server on loopback


class _FakeFrappe(http.server.BaseHTTPRequestHandler):
	state: dict = {}

	def log_message(self, *args):
		pass

	def _send(self, status, body):
		data = json.dumps(body).encode()
		self.send_response(status)
		self.send_header("Content-Type", "application/json")
		self.send_header("Content-Length", str(len(data)))
		self.end_headers()
		self.wfile.write(data)

	def do_GET(self):
		st = self.state
		st["headers"].append(dict(self.headers))
		if st["down"] > 0:  # the backend is still starting
			st["down"] -= 1
			return self._send(502, None)
		if self.path.startswith("/api/resource/Device"):
			return self._send(200, {"data": DEVICES})
		if self.path.startswith("/api/method/frappe.client.get_time_zone"):
			return self._send(200, {"message": {"time_zone": "Asia/Aden"}})
		return self._send(404, {"exc_type": "DoesNotExistError"})

	def do_POST(self):
		st = self.state
		st["headers"].append(dict(self.headers))
		body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
		if self.path == "/api/resource/Observation":
			st["observations"].append(body)
			flag = "Quarantine" if body["value"] > 35 else "Valid"
			return self._send(200, {"data": dict(body, name=len(st["observations"]), quality_flag=flag)})
		if self.path == "/api/resource/Scale%20Ticket":
			st["tickets"].append(body)
			net = body["gross_kg"] - body["tare_kg"]
			flag = int(abs(net - body["expected_net_kg"]) / body["expected_net_kg"] * 100 > 2)
			return self._send(
				200, {"data": dict(body, name="SCL-2026-00001", docstatus=1, mismatch_flag=flag)}
			)
		return self._send(404, {})


@pytest.fixture
def fake_frappe():
	_FakeFrappe.state = {"headers": [], "observations": [], "tickets": [], "down": 2}
	server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeFrappe)
	thread = threading.Thread(target=server.serve_forever, daemon=True)
	thread.start()
	yield f"http://127.0.0.1:{server.server_address[1]}", _FakeFrappe.state
	server.shutdown()
	server.server_close()


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


def test_client_last_value_query():
	session = FakeSession([FakeResponse(200, {"data": [{"value": 23.4}]}), FakeResponse(200, {"data": []})])
	client = sim.YamClient(sim.Config(url="http://h"), session=session, sleep=lambda s: None)
	assert client.last_value("TMP-1", "Temperature") == 23.4
	assert client.last_value("TMP-2", "Temperature") is None
	params = session.calls[0][2]["params"]
	assert json.loads(params["filters"])[0] == ["device", "=", "TMP-1"]
	assert params["order_by"] == "observed_at desc" and params["limit_page_length"] == 1
