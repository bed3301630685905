"""Retention with an archive, on a real bench: a month moved into its Parquet file is read back row for
row; a reading a nonconformance names stays in MariaDB; a crash between writing the file and deleting the
rows loses and doubles nothing; another site's user reads no archived row; an evidence pack and
Quarantine Review answer the same before and after their month is archived; a second run moves nothing.

The archive commits (a move is its own transaction), so each test works on sites of its own."""

from __future__ import annotations

import datetime as dt
import os
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, now_datetime

from yam_agri_core.monitoring import archive, archive_read, rollups
from yam_agri_core.monitoring.report.archived_readings import archived_readings
from yam_agri_core.monitoring.report.quarantine_review import quarantine_review
from yam_agri_core.quality.doctype.evidence_pack import gather
from yam_agri_core.rules import archive as rules
from yam_agri_core.rules import evidence
from yam_agri_core.tests.utils import TEST_IGNORE, make_device, make_nc, make_site, make_user
from yam_agri_core.traceability import exports

test_ignore = TEST_IGNORE

COMPARED = [
	"name",
	"device",
	"site",
	"storage_bin",
	"lot",
	"observed_at",
	"metric",
	"value",
	"unit",
	"quality_flag",
	"flag_reason",
	"raw_payload",
]


class Crash(Exception):
	pass


def month_back(days: int) -> str:
	return rules.month_of(add_days(now_datetime(), -days))


def insert_readings(device, month: str, count: int, hot_every: int = 0) -> list[str]:
	"""``count`` readings of ``device`` spread over ``month``; every ``hot_every``-th is out of band
	(quarantined)."""
	start, end = rules.month_bounds(month)
	step = (end - start) / (count + 1)
	names = []
	for i in range(count):
		hot = hot_every and i % hot_every == 0
		doc = frappe.get_doc(
			{
				"doctype": "Observation",
				"device": device.name,
				"metric": "Temperature",
				"value": 95.0 if hot else 20.0 + (i % 7) * 0.25,
				"unit": "°C",
				"observed_at": start + step * (i + 1),
				"raw_payload": f'{{"i": {i}}}',
			}
		).insert(ignore_permissions=True)
		names.append(doc.name)
	return names


def live_rows(site: str, month: str) -> list[dict]:
	start, end = rules.month_bounds(month)
	return frappe.get_all(
		"Observation",
		filters={"site": site, "observed_at": ["between", [start, end - dt.timedelta(microseconds=1)]]},
		fields=COMPARED,
		order_by="observed_at asc, name asc",
	)


def comparable(rows) -> list[tuple]:
	return [
		tuple(round(float(r[f]), 6) if f == "value" else r[f] or None for f in COMPARED)
		for r in sorted(rows, key=lambda r: (r["observed_at"], r["name"]))
	]


def record_of(site: str, month: str):
	return archive.get_record(site, month)


class ArchiveCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.month = month_back(250)
		self.start, self.end = rules.month_bounds(self.month)

	def tearDown(self):
		frappe.set_user("Administrator")

	def a_site_with_readings(self, count: int = 24, hot_every: int = 0):
		site = make_site()
		device = make_device(site.name)
		names = insert_readings(device, self.month, count, hot_every)
		frappe.db.commit()
		return site.name, device, names

	def file_of(self, site: str) -> str:
		return archive.absolute(rules.archive_relpath(site, self.month))

	def everything(self, site: str) -> list[dict]:
		return archive_read.read_observations({"from": self.start, "to": self.end}, [site], fields=COMPARED)


class TestArchiveMonth(ArchiveCase):
	def test_a_month_is_archived_and_read_back_row_for_row(self):
		site, _device, _names = self.a_site_with_readings(24, hot_every=5)
		before = live_rows(site, self.month)
		self.assertEqual(len(before), 24)

		outcome = archive.archive_month(site, self.month)

		self.assertEqual((outcome["action"], outcome["moved"], outcome["kept"]), (rules.MOVE, 24, 0))
		self.assertEqual(live_rows(site, self.month), [])
		record = record_of(site, self.month)
		self.assertEqual((record.status, record.rows), (rules.ARCHIVED, 24))
		self.assertTrue(os.path.exists(self.file_of(site)))
		self.assertTrue(
			self.file_of(site).startswith(os.path.abspath(frappe.get_site_path("private", "files")))
		)
		archived = archive_read.archived_rows({"from": self.start, "to": self.end}, [site], COMPARED)
		self.assertEqual(comparable(archived), comparable(before))
		self.assertEqual(comparable(self.everything(site)), comparable(before))
		# the rollups stay: the charts keep the month
		self.assertEqual(
			frappe.db.sql(
				"select sum(readings) from `tabObservation Hourly` where site = %s and hour >= %s and hour < %s",
				(site, self.start, self.end),
			)[0][0],
			24,
		)

	def test_a_reading_a_nonconformance_names_stays_in_the_database(self):
		site, _device, names = self.a_site_with_readings(10)
		nc = make_nc(site, observation=names[3])
		frappe.db.commit()

		outcome = archive.archive_month(site, self.month)

		self.assertEqual((outcome["moved"], outcome["kept"]), (9, 1))
		self.assertEqual([r.name for r in live_rows(site, self.month)], [names[3]])
		self.assertEqual(frappe.db.get_value("Nonconformance", nc.name, "observation"), names[3])
		# read together, the month is whole and nothing twice
		self.assertEqual(sorted(r.name for r in self.everything(site)), sorted(names))

	def test_a_rollup_rebuild_keeps_an_archived_months_figures(self):
		site, device, names = self.a_site_with_readings(6)
		kept_at = frappe.db.get_value("Observation", names[2], "observed_at")
		twin = frappe.get_doc(
			{
				"doctype": "Observation",
				"device": device.name,
				"metric": "Temperature",
				"value": 21.0,
				"unit": "°C",
				"observed_at": kept_at + dt.timedelta(minutes=1),
			}
		).insert(ignore_permissions=True)
		make_nc(site, observation=names[2])
		frappe.db.commit()

		def hourly():
			return frappe.db.sql(
				"""select sum(readings), max(value_max) from `tabObservation Hourly`
				where site = %s and hour >= %s and hour < %s""",
				(site, self.start, self.end),
			)[0]

		before = hourly()
		outcome = archive.archive_month(site, self.month)
		self.assertEqual((outcome["moved"], outcome["kept"]), (6, 1))
		self.assertFalse(frappe.db.exists("Observation", twin.name))

		# the hour of the kept reading still counts both readings after a rebuild over the month
		rollups.rebuild_rollups(str(self.start), str(self.end), site)
		self.assertEqual(hourly(), before)
		self.assertEqual(before[0], 7)

	def test_a_crash_between_the_file_and_the_delete_loses_and_doubles_nothing(self):
		site, _device, _names = self.a_site_with_readings(12)
		before = comparable(live_rows(site, self.month))

		def crash_at(stage):
			def checkpoint(at, *args):
				if at == stage:
					raise Crash(at)

			return checkpoint

		# 1. the file is in place, nothing recorded yet
		with patch.object(archive, "checkpoint", crash_at("file_written")), self.assertRaises(Crash):
			archive.archive_month(site, self.month)
		self.assertTrue(os.path.exists(self.file_of(site)))
		self.assertIsNone(record_of(site, self.month))
		self.assertEqual(comparable(live_rows(site, self.month)), before)
		self.assertEqual(comparable(self.everything(site)), before)

		# 2. the file is recorded as written, the rows not deleted yet
		with patch.object(archive, "checkpoint", crash_at("recorded")), self.assertRaises(Crash):
			archive.archive_month(site, self.month)
		self.assertEqual(record_of(site, self.month).status, rules.WRITTEN)
		self.assertEqual(comparable(live_rows(site, self.month)), before)
		self.assertEqual(comparable(self.everything(site)), before)

		# 3. a crash inside the delete: its transaction is rolled back whole
		real_delete = archive.delete_moved

		def delete_then_crash(*args):
			real_delete(*args)
			raise Crash("deleted")

		with patch.object(archive, "delete_moved", delete_then_crash), self.assertRaises(Crash):
			archive.archive_month(site, self.month)
		self.assertEqual(comparable(live_rows(site, self.month)), before)
		self.assertEqual(record_of(site, self.month).status, rules.WRITTEN)

		# the next run finishes the month
		outcome = archive.run_archive(site=site)
		self.assertEqual(outcome["moved"], 12)
		self.assertEqual(live_rows(site, self.month), [])
		self.assertEqual(record_of(site, self.month).status, rules.ARCHIVED)
		self.assertEqual(comparable(self.everything(site)), before)
		self.assertEqual(
			[f for f in os.listdir(os.path.dirname(self.file_of(site))) if f.endswith(".tmp")], []
		)

	def test_a_reading_named_after_its_file_was_written_stays_only_in_the_database(self):
		site, _device, names = self.a_site_with_readings(6)

		def crash(at, *args):
			if at == "recorded":
				raise Crash(at)

		with patch.object(archive, "checkpoint", crash), self.assertRaises(Crash):
			archive.archive_month(site, self.month)
		make_nc(site, observation=names[2])  # named while the month was half done
		frappe.db.commit()

		archive.run_archive(site=site)

		self.assertEqual([r.name for r in live_rows(site, self.month)], [names[2]])
		archived = archive_read.archived_rows({"from": self.start, "to": self.end}, [site], ["name"])
		self.assertEqual(sorted(r.name for r in archived), sorted(set(names) - {names[2]}))
		self.assertEqual(sorted(r.name for r in self.everything(site)), sorted(names))

	def test_a_second_run_moves_nothing_and_late_readings_join_their_month(self):
		site, device, names = self.a_site_with_readings(8)
		first = archive.run_archive(site=site)
		self.assertEqual(first["moved"], 8)
		written = os.stat(self.file_of(site)).st_mtime_ns

		second = archive.run_archive(site=site)

		self.assertEqual(second["moved"], 0)
		self.assertEqual([m for m in second["months"] if m["action"] != rules.SKIP], [])
		self.assertEqual(os.stat(self.file_of(site)).st_mtime_ns, written)
		# a gateway back from months offline: its readings join the archived month's file
		late = frappe.get_doc(
			{
				"doctype": "Observation",
				"device": device.name,
				"metric": "Humidity",
				"value": 55,
				"unit": "%",
				"observed_at": self.start + dt.timedelta(hours=5, minutes=3),
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		third = archive.run_archive(site=site)
		self.assertEqual(third["moved"], 1)
		self.assertEqual(record_of(site, self.month).rows, 9)
		self.assertEqual(sorted(r.name for r in self.everything(site)), sorted([*names, late.name]))

	def test_a_dry_run_moves_nothing(self):
		site, _device, _names = self.a_site_with_readings(5)
		result = archive.run_archive(dry_run=True, site=site)
		self.assertEqual(result["moved"], 5)
		self.assertEqual(len(live_rows(site, self.month)), 5)
		self.assertFalse(os.path.exists(self.file_of(site)))
		self.assertIsNone(record_of(site, self.month))


class TestArchiveIsPartOfTheRecord(ArchiveCase):
	def test_another_sites_user_reads_no_archived_row(self):
		site, _device, _names = self.a_site_with_readings(6, hot_every=2)
		other = make_site().name
		archive.archive_month(site, self.month)
		own_user = make_user(["Site Operator"], [site], prefix="arch-own")
		other_user = make_user(["Site Operator"], [other], prefix="arch-other")
		frappe.db.commit()
		dates = {"from_date": self.start.date(), "to_date": (self.end - dt.timedelta(days=1)).date()}

		frappe.set_user(other_user)
		self.assertEqual(archive_read.archived_rows({}, None), [])
		self.assertEqual(archive_read.archived_rows({}, [site]), [])
		self.assertEqual(archive_read.read_observations({}, [site]), [])
		self.assertEqual(archived_readings.execute(dates)[1], [])
		self.assertEqual(archived_readings.execute({**dates, "site": site})[1], [])
		self.assertEqual(quarantine_review.execute(dates)[1], [])

		frappe.set_user(own_user)
		self.assertEqual(len(archived_readings.execute(dates)[1]), 6)
		self.assertEqual(sum(r["readings"] for r in quarantine_review.execute(dates)[1]), 3)

	def test_evidence_pack_export_and_quarantine_review_answer_the_same_before_and_after(self):
		site, _device, _names = self.a_site_with_readings(30, hot_every=4)
		pack = frappe.get_doc(
			{
				"doctype": "Evidence Pack",
				"site": site,
				"from_date": self.start.date(),
				"to_date": (self.end - dt.timedelta(days=1)).date(),
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		dates = {
			"from_date": self.start.date(),
			"to_date": (self.end - dt.timedelta(days=1)).date(),
			"site": site,
		}

		def pack_answer():
			scope = gather.Scope(pack)
			records = gather.gather(scope)
			summary = gather.reading_summary(scope)
			counts = evidence.counts(records, summary, len(scope.lots or []), 0)
			readings = sorted(r.name for r in records["quarantined_readings"])
			return counts, summary, readings

		def export_answer():
			scope = exports.ExportScope(site=site, from_date=dates["from_date"], to_date=dates["to_date"])
			readings = exports.read_records(scope)["readings"]
			return sorted(
				(r.device, str(r.observed_at), round(float(r.value), 6), r.quality_flag) for r in readings
			)

		def review_answer():
			_columns, rows, _message, _chart, summary = quarantine_review.execute(dict(dates))
			return rows, summary

		pack_before, review_before, export_before = pack_answer(), review_answer(), export_answer()
		self.assertEqual(len(export_before), 30)
		self.assertEqual(pack_before[0]["quarantined_readings"], 8)
		self.assertEqual(pack_before[0]["readings"], 22)

		outcome = archive.archive_month(site, self.month)
		self.assertEqual(outcome["moved"], 30)

		self.assertEqual(pack_answer(), pack_before)
		self.assertEqual(review_answer(), review_before)
		self.assertEqual(export_answer(), export_before)
		# generated and saved after the archive: the same totals; the quarantined readings' items name their
		# month's archive record (the readings left the database) and the reading itself
		self.assertEqual(pack.generate(), pack_before[0])
		pack.reload()
		items = [i for i in pack.items if i.reference_doctype == archive.RECORD]
		self.assertEqual(len(items), 8)
		self.assertEqual({i.reference_name for i in items}, {record_of(site, self.month).name})
		self.assertEqual(sorted(i.title.split(" · ")[0] for i in items), pack_before[2])

	def test_the_admin_view_counts_the_archive(self):
		site, _device, _names = self.a_site_with_readings(4)
		archive.archive_month(site, self.month)
		status = archive.archive_status()
		self.assertGreaterEqual(status["archived_rows"], 4)
		self.assertGreater(status["archive_bytes"], 0)
		self.assertGreater(status["live_bytes"], 0)
		self.assertEqual(status["retention_days"], 180)
