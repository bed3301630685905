"""Shared data and fakes of the simulator tests (not collected: no test_ prefix)."""

import http.server
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
