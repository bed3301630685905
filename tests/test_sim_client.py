"""The simulators' shared client (yam_sim_client): backoff, headers, config, heartbeat, retries with a fake
session (no network)."""

import datetime as dt
import json
import random
import sys
import time

import pytest
import requests
from sim_support import DEVICES, ROOT, FakeResponse, FakeSession

sys.path.insert(0, str(ROOT / "simulators"))

import mock_iot
import yam_sim_client as sim

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


def test_client_last_value_query():
	session = FakeSession([FakeResponse(200, {"data": [{"value": 23.4}]}), FakeResponse(200, {"data": []})])
	client = sim.YamClient(sim.Config(url="http://h"), session=session, sleep=lambda s: None)
	assert client.last_value("TMP-1", "Temperature") == 23.4
	assert client.last_value("TMP-2", "Temperature") is None
	params = session.calls[0][2]["params"]
	assert json.loads(params["filters"])[0] == ["device", "=", "TMP-1"]
	assert params["order_by"] == "observed_at desc" and params["limit_page_length"] == 1
