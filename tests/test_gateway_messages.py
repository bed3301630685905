"""yam-gateway: what sensors and scales publish, checked before it is queued (gateway/yam_gateway/messages.py)."""

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gateway"))

from yam_gateway import messages as m

NOW = dt.datetime(2026, 2, 23, 12, 0, tzinfo=dt.timezone.utc)
PAYLOAD = {"metric": "temperature", "value": 28.5, "unit": "C", "ts": "2026-02-23T10:00:00Z"}


def parse(topic="yam/yem-tai-silo-01/TMP-1/observation", payload=PAYLOAD):
	data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
	return m.parse_message(topic, data, now=NOW)


def test_the_issue_payload_becomes_a_server_reading():
	(item,) = parse()
	assert item.kind == m.OBSERVATION
	assert item.body == {
		"device": "TMP-1",
		"observed_at": "2026-02-23T10:00:00Z",
		"metric": "Temperature",
		"value": 28.5,
		"unit": "C",
		"site": "YEM-TAI-SILO-01",
	}


@pytest.mark.parametrize(
	"sent,server",
	[
		("temperature", "Temperature"),
		("humidity", "Humidity"),
		("grain_moisture", "Grain Moisture"),
		("moisture", "Grain Moisture"),
		("co2", "CO2"),
		("CO2", "CO2"),
		("other", "Other"),
		("Grain Moisture", "Grain Moisture"),
	],
)
def test_metric_names_map_to_the_servers(sent, server):
	assert parse(payload={**PAYLOAD, "metric": sent})[0].body["metric"] == server


def test_the_same_reading_has_the_same_key_however_it_is_written():
	utc = parse()[0].key
	aden = parse(payload={**PAYLOAD, "ts": "2026-02-23T13:00:00+03:00"})[0].key
	assert utc == aden
	assert parse(payload={**PAYLOAD, "metric": "humidity", "unit": "%"})[0].key != utc
	assert parse(topic="yam/S/TMP-2/observation")[0].key != utc


def test_a_list_payload_is_several_readings():
	items = parse(payload=[PAYLOAD, {**PAYLOAD, "ts": "2026-02-23T10:01:00Z"}])
	assert [i.body["observed_at"] for i in items] == ["2026-02-23T10:00:00Z", "2026-02-23T10:01:00Z"]


@pytest.mark.parametrize(
	"topic",
	[
		"yam/S/TMP-1",
		"other/S/TMP-1/observation",
		"yam/S/TMP-1/status",
		"yam/S/TMP 1/observation",
		"yam//X/ticket",
	],
)
def test_bad_topics(topic):
	with pytest.raises(m.BadMessage, match="topic"):
		parse(topic=topic)


@pytest.mark.parametrize(
	"payload,reason",
	[
		(b"not json", "not JSON"),
		(b"\xff\xfe", "not JSON"),
		([], "1 to"),
		("a string", "JSON object"),
		({**PAYLOAD, "metric": "pressure"}, "metric 'pressure'"),
		({k: v for k, v in PAYLOAD.items() if k != "value"}, "value is missing"),
		({**PAYLOAD, "value": "hot"}, "not a number"),
		({**PAYLOAD, "value": True}, "not a number"),
		({**PAYLOAD, "value": "NaN"}, "not a number"),
		({**PAYLOAD, "unit": ""}, "unit is missing"),
		({**PAYLOAD, "ts": "yesterday"}, "ISO 8601"),
		({**PAYLOAD, "ts": "1970-01-01T00:00:05Z"}, "clock is not set"),
		({**PAYLOAD, "ts": "2026-03-01T00:00:00Z"}, "day ahead"),
		({**PAYLOAD, "device": "TMP-9"}, "topic names 'TMP-1'"),
		([PAYLOAD, {**PAYLOAD, "value": None}], "item 2: value is missing"),
	],
)
def test_bad_payloads_say_why(payload, reason):
	with pytest.raises(m.BadMessage, match=reason.replace("(", r"\(")):
		parse(payload=payload)


def test_a_naive_time_is_passed_as_the_servers_local_time():
	(item,) = parse(payload={**PAYLOAD, "ts": "2026-02-23T13:00:00"})
	assert item.body["observed_at"] == "2026-02-23 13:00:00"


TICKET = {"ticket_no": "T-1001", "ts": "2026-02-23T09:30:00Z", "gross_kg": 15000, "tare_kg": 12000}


def test_a_ticket_message():
	(item,) = parse(
		topic="yam/yem-tai-silo-01/SCALE-1/ticket", payload={**TICKET, "vehicle": "T-55", "direction": "out"}
	)
	assert item.kind == m.TICKET and item.key == "ticket|YEM-TAI-SILO-01|T-1001"
	assert item.body == {
		"site": "YEM-TAI-SILO-01",
		"device": "SCALE-1",
		"ticket_no": "T-1001",
		"ticket_datetime": "2026-02-23T09:30:00Z",
		"direction": "Outbound",
		"gross_kg": 15000.0,
		"tare_kg": 12000.0,
		"vehicle": "T-55",
	}


@pytest.mark.parametrize(
	"payload,reason",
	[
		({**TICKET, "ticket_no": ""}, "ticket_no is missing"),
		({**TICKET, "tare_kg": 16000}, "impossible"),
		({**TICKET, "gross_kg": -1}, "impossible"),
		({**TICKET, "direction": "sideways"}, "direction"),
		({k: v for k, v in TICKET.items() if k != "ts"}, "ticket_datetime is missing"),
	],
)
def test_bad_tickets(payload, reason):
	with pytest.raises(m.BadMessage, match=reason):
		parse(topic="yam/S/SCALE-1/ticket", payload=payload)
