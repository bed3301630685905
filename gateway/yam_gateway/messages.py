"""What the sensors and scales publish, checked before anything is queued.

Topics: ``{prefix}/{site_code}/{device_id}/observation`` and ``{prefix}/{site_code}/{device_id}/ticket``.

An observation payload is ``{"metric": "temperature", "value": 28.5, "unit": "C", "ts": "2026-02-23T10:00:00Z"}``
(or a list of such objects: a sensor that buffered while the broker was away). It becomes a reading of the
server's ingest method, ``{"device", "observed_at", "metric", "value", "unit", "site"}``, with the metric named as
the server knows it. A ticket payload is ``{"ticket_no", "ts", "gross_kg", "tare_kg"?, "direction"?, "vehicle"?,
"driver"?, "lot"?, "expected_net_kg"?, "operator"?}``.

Each queued item has a key that is the same for the same reading however often it is delivered: (device,
instant, metric) for a reading, (site, ticket number) for a ticket, as the server's unique indexes are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from typing import Any

OBSERVATION, TICKET = "observation", "ticket"
KINDS = (OBSERVATION, TICKET)

#: MQTT metric names (lower case, as sensors send them) -> the server's metric
METRICS: dict[str, str] = {
	"temperature": "Temperature",
	"temp": "Temperature",
	"humidity": "Humidity",
	"rh": "Humidity",
	"grain_moisture": "Grain Moisture",
	"grain moisture": "Grain Moisture",
	"moisture": "Grain Moisture",
	"co2": "CO2",
	"other": "Other",
}
DIRECTIONS = {"inbound": "Inbound", "in": "Inbound", "outbound": "Outbound", "out": "Outbound"}
#: a reading older than this comes from a sensor whose clock was lost (a power cut resets it to 1970)
EARLIEST = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
MAX_AHEAD = dt.timedelta(days=1)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,139}$")
MAX_PAYLOAD = 256 * 1024
MAX_ITEMS = 1000


class BadMessage(ValueError):
	"""The message cannot become a reading or a ticket; it is kept as a dead letter with this reason."""


@dataclasses.dataclass(frozen=True)
class Item:
	kind: str
	key: str
	body: dict[str, Any]


def parse_topic(topic: str, prefix: str = "yam") -> tuple[str, str, str]:
	"""(site_code, device_id, kind) of ``{prefix}/{site}/{device}/{kind}``."""
	parts = topic.split("/")
	if len(parts) != 4 or parts[0] != prefix or parts[3] not in KINDS:
		raise BadMessage(f"topic {topic!r} is not {prefix}/SITE_CODE/DEVICE_ID/observation or .../ticket")
	site, device = parts[1].strip(), parts[2].strip()
	for what, value in (("site code", site), ("device id", device)):
		if not NAME_RE.match(value):
			raise BadMessage(f"topic {topic!r}: {what} {value!r} is not a valid name")
	return site.upper(), device, parts[3]


def parse_message(
	topic: str, payload: bytes, prefix: str = "yam", now: dt.datetime | None = None
) -> list[Item]:
	"""The queue items of one MQTT message (several when the payload is a list); BadMessage if any is bad."""
	site, device, kind = parse_topic(topic, prefix)
	if len(payload) > MAX_PAYLOAD:
		raise BadMessage(f"payload of {len(payload)} bytes is larger than {MAX_PAYLOAD}")
	try:
		data = json.loads(payload.decode("utf-8"))
	except (UnicodeDecodeError, ValueError) as exc:
		raise BadMessage(f"payload is not JSON: {exc}")
	objects = data if isinstance(data, list) else [data]
	if not objects or len(objects) > MAX_ITEMS:
		raise BadMessage(f"a payload list must hold 1 to {MAX_ITEMS} objects (got {len(objects)})")
	parse = parse_observation if kind == OBSERVATION else parse_ticket
	now = now or dt.datetime.now(dt.timezone.utc)
	items = []
	for n, obj in enumerate(objects, start=1):
		try:
			items.append(parse(site, device, obj, now))
		except BadMessage as exc:
			raise BadMessage(f"item {n}: {exc}" if len(objects) > 1 else str(exc))
	return items


def parse_observation(site: str, device: str, obj: Any, now: dt.datetime) -> Item:
	obj = _object(obj, device)
	metric_name = _required(obj, "metric")
	metric = METRICS.get(str(metric_name).strip().lower()) or (
		str(metric_name) if str(metric_name) in METRICS.values() else None
	)
	if not metric:
		raise BadMessage(f"metric {metric_name!r} is not one of {', '.join(sorted(set(METRICS)))}")
	value = _number(obj, "value")
	unit = str(_required(obj, "unit")).strip()
	if len(unit) > 20:
		raise BadMessage(f"unit {unit[:30]!r} is too long")
	ts_text, instant = _timestamp(obj, now)
	body = {
		"device": device,
		"observed_at": ts_text,
		"metric": metric,
		"value": value,
		"unit": unit,
		"site": site,
	}
	return Item(OBSERVATION, f"obs|{device}|{_instant_key(ts_text, instant)}|{metric}", body)


def parse_ticket(site: str, device: str, obj: Any, now: dt.datetime) -> Item:
	obj = _object(obj, device)
	ticket_no = str(_required(obj, "ticket_no")).strip()
	if not NAME_RE.match(ticket_no):
		raise BadMessage(f"ticket_no {ticket_no!r} is not a valid ticket number")
	ts_text, _ = _timestamp(obj, now, field="ts" if "ts" in obj else "ticket_datetime")
	gross = _number(obj, "gross_kg")
	tare = _number(obj, "tare_kg") if obj.get("tare_kg") is not None else 0.0
	if gross <= 0 or tare < 0 or tare > gross:
		raise BadMessage(f"weights are impossible: gross {gross} kg, tare {tare} kg")
	direction = DIRECTIONS.get(str(obj.get("direction") or "inbound").strip().lower())
	if not direction:
		raise BadMessage(f"direction {obj.get('direction')!r} is not Inbound or Outbound")
	body: dict[str, Any] = {
		"site": site,
		"device": device,
		"ticket_no": ticket_no,
		"ticket_datetime": ts_text,
		"direction": direction,
		"gross_kg": gross,
		"tare_kg": tare,
	}
	for field in ("vehicle", "driver", "lot", "operator"):
		if obj.get(field) not in (None, ""):
			body[field] = str(obj[field]).strip()[:140]
	if obj.get("expected_net_kg") not in (None, ""):
		body["expected_net_kg"] = _number(obj, "expected_net_kg")
	return Item(TICKET, f"ticket|{site}|{ticket_no}", body)


def _object(obj: Any, device: str) -> dict[str, Any]:
	if not isinstance(obj, dict):
		raise BadMessage("payload must be a JSON object")
	if obj.get("device") not in (None, "", device):
		raise BadMessage(f"payload names device {obj['device']!r} but the topic names {device!r}")
	return obj


def _required(obj: dict[str, Any], field: str) -> Any:
	if obj.get(field) in (None, ""):
		raise BadMessage(f"{field} is missing")
	return obj[field]


def _number(obj: dict[str, Any], field: str) -> float:
	value = _required(obj, field)
	if isinstance(value, bool) or not isinstance(value, (int, float, str)):
		raise BadMessage(f"{field} {value!r} is not a number")
	try:
		number = float(value)
	except ValueError:
		raise BadMessage(f"{field} {value!r} is not a number")
	if not math.isfinite(number):
		raise BadMessage(f"{field} {value!r} is not a number")
	return number


def _timestamp(obj: dict[str, Any], now: dt.datetime, field: str = "ts") -> tuple[str, dt.datetime | None]:
	"""The timestamp as sent (ISO 8601), and its instant when it carries a zone (naive: server local time)."""
	text = str(_required(obj, field)).strip()
	try:
		parsed = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
	except ValueError:
		raise BadMessage(f"{field} {text!r} is not an ISO 8601 time like 2026-02-23T10:00:00Z")
	if parsed.replace(tzinfo=None) < EARLIEST.replace(tzinfo=None):
		raise BadMessage(f"{field} {text} is before {EARLIEST:%Y}: the sensor's clock is not set")
	if parsed.tzinfo is None:
		return text.replace("T", " "), None
	if parsed < EARLIEST:
		raise BadMessage(f"{field} {text} is before {EARLIEST:%Y}: the sensor's clock is not set")
	if parsed > now + MAX_AHEAD:
		raise BadMessage(f"{field} {text} is more than a day ahead: the sensor's clock is wrong")
	return text, parsed


def _instant_key(text: str, instant: dt.datetime | None) -> str:
	if instant is None:
		return text
	return instant.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
