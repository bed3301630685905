import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, now_datetime

from yam_agri_core.api import ingest_observations
from yam_agri_core.tests.utils import TEST_IGNORE, make_device, make_site, make_user

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestIngestObservations(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name
		cls.device = make_device(cls.site).name
		cls.gateway = make_user(["Sensor Gateway"], [cls.site], "gateway")

	def reading(self, **kw):
		return {
			"device": self.device,
			"observed_at": str(now_datetime()),  # to the microsecond: one reading per call
			"metric": "Temperature",
			"value": 21.5,
			"unit": "C",
			**kw,
		}

	def test_batch_keeps_good_rows_and_reports_bad_ones_by_row(self):
		before = frappe.db.count("Observation")
		with self.set_user(self.gateway):
			result = ingest_observations(
				[
					self.reading(),
					self.reading(unit="bananas"),
					self.reading(value=42),
					self.reading(value="hot"),
				]
			)
		self.assertEqual([r["row"] for r in result["accepted"]], [1, 3])
		self.assertEqual([r["quality_flag"] for r in result["accepted"]], ["Valid", "Quarantine"])
		self.assertEqual([r["row"] for r in result["rejected"]], [2, 4])
		self.assertEqual(result["duplicates"], [])
		self.assertIn("2", result["rejected"][0]["error"])
		self.assertEqual(frappe.db.count("Observation"), before + 2)

	def test_unknown_device_is_kept_as_quarantine_for_its_gateway_site(self):
		with self.set_user(self.gateway):
			result = ingest_observations([self.reading(device="NOT-REGISTERED-9")])
		name = result["accepted"][0]["name"]
		doc = frappe.get_doc("Observation", name)
		self.assertEqual((doc.quality_flag, doc.site, doc.device), ("Quarantine", self.site, None))
		self.assertEqual(doc.reported_device_id, "NOT-REGISTERED-9")
		self.assertIn("not registered", doc.flag_reason)

	def test_user_without_create_permission_is_refused(self):
		with (
			self.set_user(make_user(["Auditor"], [self.site], "auditor")),
			self.assertRaises(frappe.PermissionError),
		):
			ingest_observations([self.reading()])

	def test_a_batch_reads_its_device_once(self):
		"""The store reads a device's site, bin and state once per batch (it was four reads a reading:
		API, permission hook and the controller twice)."""
		queries: list[str] = []
		sql = frappe.db.sql

		def recording(query, *args, **kwargs):
			queries.append(str(query).lower())
			return sql(query, *args, **kwargs)

		start = add_to_date(now_datetime(), minutes=-30)
		batch = [
			self.reading(value=20 + i / 10, observed_at=str(add_to_date(start, minutes=i))) for i in range(20)
		]
		with self.set_user(self.gateway):
			frappe.db.sql = recording
			try:
				result = ingest_observations(batch)
			finally:
				frappe.db.sql = sql
		self.assertEqual(len(result["accepted"]), 20, result["rejected"])
		device_reads = [q for q in queries if "from `tabdevice`" in q and "`storage_bin`" in q]
		self.assertEqual(len(device_reads), 1, device_reads)

	def test_a_resent_reading_is_a_duplicate_and_stores_nothing(self):
		reading = self.reading()
		with self.set_user(self.gateway):
			first = ingest_observations([reading])
			before = frappe.db.count("Observation")
			again = ingest_observations([reading])
		self.assertEqual(
			again,
			{
				"accepted": [],
				"duplicates": [{"row": 1, "name": first["accepted"][0]["name"]}],
				"rejected": [],
			},
		)
		self.assertEqual(frappe.db.count("Observation"), before)
