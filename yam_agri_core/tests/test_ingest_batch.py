"""The set-based gateway batch against one document per reading, on a real bench."""

import datetime as dt
import json
import random
import re

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import now_datetime

from yam_agri_core.api import ingest_observations
from yam_agri_core.monitoring.ingest import ingest_one_by_one
from yam_agri_core.rules.ingest import MAX_BATCH
from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	ensure_crop,
	make_bin,
	make_device,
	make_lot,
	make_site,
	make_user,
)

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE

STORED = (
	"device",
	"reported_device_id",
	"site",
	"storage_bin",
	"lot",
	"observed_at",
	"metric",
	"value",
	"unit",
	"quality_flag",
	"flag_reason",
	"alert_sent",
	"raw_payload",
	"docstatus",
	"idx",
	"owner",
)
VALUES = [
	21.5,
	21.5,
	21.5,
	21.5,
	22.0,
	10,
	9.9,
	5,
	4.9,
	30,
	30.1,
	35,
	35.1,
	45,
	100,
	0,
	14,
	16,
	16.1,
	21.123456789567,
]
UNITS = ["C", "°C", "°C", "°C", "degC", "%", "ppm", "F", "bananas"]


class TestIngestBatch(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		ensure_crop()
		frappe.db.set_value("Crop", "Wheat", "max_storage_moisture_pct", 14)
		humid = {"metric": "Humidity", "valid_max": 60, "critical_max": 75, "stuck_repeat_count": 4}
		cls.site = make_site(thresholds=[humid]).name
		cls.other = make_site().name
		bin_a, bin_b = make_bin(cls.site, "GB1").name, make_bin(cls.other, "GB2").name
		frappe.db.set_value("Storage Bin", bin_a, "current_lot", make_lot(cls.site).name)
		cls.devices = [
			make_device(cls.site, storage_bin=bin_a).name,
			make_device(cls.site).name,
			make_device(cls.site, device_type="Moisture Sensor", storage_bin=bin_a).name,
			make_device(cls.site, is_active=0).name,
			make_device(cls.other).name,
			make_device(cls.other, storage_bin=bin_b).name,
		]
		cls.gateway = make_user(["Sensor Gateway"], [cls.site], "gateway")

	def reading(self, device, minutes, value=21.5, metric="Temperature", unit="°C", **kw):
		at = now_datetime() + dt.timedelta(minutes=minutes)
		return {
			"device": device,
			"observed_at": str(at),
			"metric": metric,
			"value": value,
			"unit": unit,
			**kw,
		}

	def random_readings(self, rng: random.Random, count: int) -> list[dict]:
		devices = [*self.devices, "NOT-REGISTERED-1", "NOT-REGISTERED-2"]
		clock = {d: -600 for d in devices}
		readings = []
		for i in range(count):
			device = rng.choice(devices)
			clock[device] += rng.choice([0.5, 1, 1, 1, 2, 90])
			minutes = (
				clock[device] if rng.random() > 0.05 else rng.choice([2, 20])
			)  # a little ahead, far ahead
			metric = rng.choice(["Temperature"] * 4 + ["Humidity", "Grain Moisture", "CO2", "Other"])
			reading = self.reading(device, minutes, rng.choice(VALUES), metric, rng.choice(UNITS), ref=i)
			if rng.random() < 0.1:
				reading["site"] = rng.choice([self.site, self.other, "NO-SUCH-SITE"])
			if rng.random() < 0.03:
				reading[rng.choice(["value", "metric", "observed_at", "unit"])] = rng.choice(
					["hot", "", None]
				)
			readings.append(reading)
			if rng.random() < 0.05:
				readings.append(dict(reading))  # sent twice in the batch
		rng.shuffle(readings)
		return readings

	def outcome(self, readings: list[dict], result: dict) -> dict:
		"""What happened to each reading (by its ``ref``), as stored."""
		refs = {row: readings[row - 1].get("ref") for row in range(1, len(readings) + 1)}
		names = {r["name"]: refs[r["row"]] for r in result["accepted"]}
		stored = frappe.get_all(
			"Observation", filters={"name": ("in", list(names) or [""])}, fields=["name", *STORED]
		)
		out = {("accepted", names[s.name]): tuple(s[f] for f in STORED) for s in stored}
		for r in result["duplicates"]:
			out[("duplicate", refs[r["row"]])] = names.get(r["name"], "stored before")
		for r in result["rejected"]:
			out[("rejected", refs[r["row"]])] = re.sub(r"Row \d+", "Row #", r["error"])
		seen = frappe.get_all(
			"Device", filters={"name": ("in", self.devices)}, fields=["name", "last_seen_at"]
		)
		out["last seen"] = sorted((d.name, str(d.last_seen_at)) for d in seen)
		return out

	def both_ways(self, readings: list[dict]) -> tuple[dict, dict]:
		"""The batch path and one document per reading (in time order), from the same database."""
		in_time_order = sorted(readings, key=lambda r: str(r.get("observed_at") or "~"))
		frappe.db.savepoint("yam_equivalence")
		with self.set_user(self.gateway):
			one_by_one = self.outcome(in_time_order, ingest_one_by_one(in_time_order))
		frappe.db.rollback(save_point="yam_equivalence")
		with self.set_user(self.gateway):
			batch = self.outcome(readings, ingest_observations(readings))
		return batch, one_by_one

	def test_randomized_batches_flag_and_refuse_as_one_by_one(self):
		with self.set_user(self.gateway):  # a history stored before the batch
			ingest_observations([self.reading(self.devices[0], -700 + i, 21.5) for i in range(15)])
		for seed in range(3):
			batch, one_by_one = self.both_ways(self.random_readings(random.Random(seed), 400))
			differ = sorted((k for k in {*batch, *one_by_one} if batch.get(k) != one_by_one.get(k)), key=str)
			self.assertFalse(
				differ, [(k, batch.get(k), one_by_one.get(k)) for k in differ if k[0] == "rejected"][:3]
			)
			kinds = {key[0] for key in batch if isinstance(key, tuple)}
			self.assertEqual(kinds, {"accepted", "duplicate", "rejected"})
			flags = {row[9] for key, row in batch.items() if key[0] == "accepted"}
			self.assertEqual(flags, {"Valid", "Warning", "Quarantine"})

	def test_a_full_batch_in_one_call_and_a_resent_batch_stores_nothing(self):
		readings = [
			self.reading(self.devices[1], -MAX_BATCH + i * 0.5, 20 + (i % 7) / 10) for i in range(MAX_BATCH)
		]
		before = frappe.db.count("Observation")
		with self.set_user(self.gateway):
			first = ingest_observations(json.dumps(readings))
			again = ingest_observations(readings)
		self.assertEqual(
			(len(first["accepted"]), first["duplicates"], first["rejected"]), (MAX_BATCH, [], [])
		)
		self.assertEqual(frappe.db.count("Observation"), before + MAX_BATCH)
		self.assertEqual((again["accepted"], again["rejected"]), ([], []))
		self.assertEqual(
			[(d["row"], d["name"]) for d in again["duplicates"]],
			[(a["row"], a["name"]) for a in first["accepted"]],
		)
		last = max(frappe.utils.get_datetime(r["observed_at"]) for r in readings)
		self.assertEqual(frappe.db.get_value("Device", self.devices[1], "last_seen_at"), last)

	def test_too_many_readings_are_refused_whole(self):
		with self.set_user(self.gateway), self.assertRaises(frappe.ValidationError):
			ingest_observations([self.reading(self.devices[1], -1)] * (MAX_BATCH + 1))

	def test_bad_rows_are_refused_by_row_number_and_leave_nothing(self):
		before = frappe.db.count("Observation")
		readings = [
			self.reading(self.devices[1], -50),
			self.reading(self.devices[1], -49, unit="bananas"),
			self.reading(self.devices[4], -48, site=self.other),  # a site the gateway may not write
			self.reading(self.devices[5], -47, site=self.site),  # its bin is of another site
			self.reading("X" * 141, -46),
			self.reading(self.devices[1], -45, value=1e13),
			self.reading(self.devices[1], -44, site="NO-SUCH-SITE"),
			self.reading(self.devices[1], -43),
			self.reading(self.devices[4], -42),  # the gateway's only site is the reading's: quarantined
		]
		with self.set_user(self.gateway):
			result = ingest_observations(readings)
		self.assertEqual([r["row"] for r in result["accepted"]], [1, 8, 9])
		self.assertEqual(result["accepted"][2]["quality_flag"], "Quarantine")
		errors = {r["row"]: r["error"] for r in result["rejected"]}
		self.assertEqual(sorted(errors), [2, 3, 4, 5, 6, 7])
		self.assertIn("Row 2: Unit bananas", errors[2])
		self.assertIn(f"Row 3: you may not write readings of site {self.other}", errors[3])
		# the bin is of a site the gateway may not see: refused as not found, naming nothing of it
		self.assertEqual(errors[4], f"Row 4: Storage Bin not found at site {self.site}")
		self.assertNotIn(self.other, errors[4])
		self.assertIn("will get truncated", errors[5])
		self.assertIn("too large", errors[6])
		self.assertEqual(errors[7], "Row 7: Could not find Site: NO-SUCH-SITE")
		self.assertEqual(frappe.db.count("Observation"), before + 3)

	def test_an_unregistered_device_is_deduplicated_by_the_id_it_sent(self):
		reading = self.reading("NOT-REGISTERED-7", -5)
		with self.set_user(self.gateway):
			first = ingest_observations([reading, dict(reading)])
			again = ingest_observations([reading])
		name = first["accepted"][0]["name"]
		self.assertEqual(first["duplicates"], [{"row": 2, "name": name}])
		self.assertEqual(again["duplicates"], [{"row": 1, "name": name}])

	def test_the_one_document_path_refuses_a_duplicate_with_a_translated_error(self):
		from yam_agri_core.monitoring.doctype.observation.observation import DuplicateReadingError

		reading = {**self.reading(self.devices[1], -3), "doctype": "Observation", "unit": "°C"}
		first = frappe.get_doc(reading).insert(ignore_permissions=True)
		with self.assertRaises(DuplicateReadingError) as error:
			frappe.get_doc(dict(reading)).insert(ignore_permissions=True)
		self.assertEqual(error.exception.existing, first.name)
		self.assertIn(first.name, str(error.exception))
