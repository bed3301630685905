"""The field page's server side on a real bench: capture keys, site permissions, photos, refusals.

CI=1 bench --site SITE run-tests --app yam_agri_core --module yam_agri_core.tests.test_field
"""

from __future__ import annotations

import base64
import json

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.field.api import get_field_bootstrap, submit_captures
from yam_agri_core.field.page import manifest, page_context, service_worker_source
from yam_agri_core.tests.utils import TEST_IGNORE, ensure_crop, make_lot, make_site, make_user

#: ERPNext and Frappe masters our DocTypes link to (see tests.utils).
test_ignore = TEST_IGNORE

#: a 1x1 JPEG (what the phone's canvas makes, only smaller)
JPEG = base64.b64decode(
	"/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////"
	"////////////////////////2wBDAf//////////////////////////////////////////////////////////////////"
	"////////////////////wAARCAABAAEDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAP/xAAUEAEAAAAAAAAAAAAAAAAA"
	"AAAA/8QAFAEBAAAAAAAAAAAAAAAAAAAAAP/EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAMAwEAAhEDEQA/AKAAH//Z"
)


def key() -> str:
	return "f-" + frappe.generate_hash(length=32)


class TestFieldCaptures(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.farm = make_site(site_type="Farm", site_name="Field Farm").name
		cls.other = make_site(site_type="Farm", site_name="Other Farm").name
		cls.crop = ensure_crop()
		cls.operator = make_user(["Site Operator"], [cls.farm], "field-op")
		cls.auditor = make_user(["Auditor"], [cls.farm], "field-aud")

	def lot_item(self, k=None, **data):
		return {
			"key": k or key(),
			"kind": "lot",
			"data": {
				"site": self.farm,
				"crop": self.crop,
				"variety": "Bayadi",
				"season": "2026-Spring",
				"declared_qty_kg": 1200,
				"harvest_date": frappe.utils.today(),
				"gps": {"latitude": 15.3694, "longitude": 44.191, "accuracy": 8.5},
				**data,
			},
		}

	def send(self, items, user=None):
		with self.set_user(user or self.operator):
			return submit_captures(items)["results"]

	def test_a_lot_is_stored_once_with_its_gps_photos_and_key(self):
		item = self.lot_item(photos=[{"data": base64.b64encode(JPEG).decode()}] * 2)
		first = self.send([item])[0]
		self.assertEqual(first["status"], "created", first)
		lot = frappe.get_doc("Lot", first["name"])
		self.assertEqual(
			(lot.site, lot.status, lot.lot_type, lot.capture_key),
			(self.farm, "Draft", "Harvest", item["key"]),
		)
		self.assertAlmostEqual(lot.gps_latitude, 15.3694)
		self.assertAlmostEqual(lot.gps_accuracy_m, 8.5)
		location = json.loads(lot.location)
		self.assertEqual(location["features"][0]["geometry"]["coordinates"], [44.191, 15.3694])
		self.assertEqual(location["features"][1]["properties"], {"point_type": "circle", "radius": 8.5})
		files = frappe.get_all(
			"File",
			{"attached_to_doctype": "Lot", "attached_to_name": lot.name},
			["file_name", "is_private", "file_url"],
		)
		self.assertEqual(len(files), 2)
		self.assertTrue(all(f.is_private and f.file_url.startswith("/private/files/") for f in files))

		# the phone's send timed out and is repeated: nothing stored twice, the same lot answered
		again = self.send([item, item])
		self.assertEqual([r["status"] for r in again], ["existing", "existing"])
		self.assertEqual({r["name"] for r in again}, {lot.name})
		self.assertEqual(frappe.db.count("Lot", {"capture_key": item["key"]}), 1)
		self.assertEqual(frappe.db.count("File", {"attached_to_name": lot.name}), 2)

	def test_a_refused_item_keeps_the_others_of_its_batch(self):
		good, bad = self.lot_item(), self.lot_item(season="Spring 2026")
		frappe.local.message_log = []
		results = self.send([bad, good])
		self.assertEqual([r["status"] for r in results], ["refused", "created"])
		self.assertIn("2026-Spring", results[0]["message"])
		self.assertEqual(results[0]["key"], bad["key"])
		self.assertFalse(frappe.db.exists("Lot", {"capture_key": bad["key"]}))
		self.assertTrue(frappe.db.exists("Lot", {"capture_key": good["key"]}))
		self.assertEqual(frappe.local.message_log, [])  # the refusal is in the result, not a popup

		# corrected on the phone and sent again with the same key: stored
		bad["data"]["season"] = "2026-Spring"
		self.assertEqual(self.send([bad])[0]["status"], "created")

	def test_numbers_typed_as_text_are_cast_like_desk_does(self):
		results = self.send([self.lot_item(declared_qty_kg="950.5"), self.lot_item(declared_qty_kg="lots")])
		self.assertEqual([r["status"] for r in results], ["created", "refused"])
		self.assertEqual(frappe.db.get_value("Lot", results[0]["name"], "declared_qty_kg"), 950.5)

	def test_rules_of_the_lot_are_the_controllers(self):
		results = self.send([self.lot_item(declared_qty_kg=0), self.lot_item(harvest_date="2999-01-01")])
		self.assertEqual([r["status"] for r in results], ["refused", "refused"])
		self.assertTrue(all(r["message"] for r in results))

	def test_refusal_is_in_the_users_language(self):
		frappe.db.set_value("User", self.operator, "language", "ar")
		try:
			frappe.local.lang = "ar"
			result = self.send([self.lot_item(season="ربيع")])[0]
		finally:
			frappe.local.lang = "en"
			frappe.db.set_value("User", self.operator, "language", "en")
		self.assertEqual(result["status"], "refused")
		self.assertRegex(result["message"], "[\u0600-\u06ff]")

	def test_a_site_not_granted_is_refused_even_by_a_forged_request(self):
		forged = self.lot_item(site=self.other)
		result = self.send([forged, self.lot_item()])
		self.assertEqual([r["status"] for r in result], ["refused", "created"])
		self.assertIn(self.other, result[0]["message"])
		self.assertFalse(frappe.db.exists("Lot", {"capture_key": forged["key"]}))

	def test_a_lot_of_another_site_is_not_answered_to_whoever_repeats_its_key(self):
		item = self.lot_item()
		self.assertEqual(self.send([item])[0]["status"], "created")
		stranger = make_user(["Site Operator"], [self.other], "field-stranger")
		result = self.send([item], user=stranger)[0]
		self.assertEqual(result["status"], "refused")
		self.assertNotIn("name", result)

	def test_users_without_a_field_role_are_refused(self):
		with self.set_user(self.auditor), self.assertRaises(frappe.PermissionError):
			submit_captures([self.lot_item()])
		with self.set_user(self.auditor):
			boot = get_field_bootstrap()
		self.assertEqual(boot["allowed"], 0)
		self.assertNotIn("sites", boot)

	def test_moisture_reading_of_a_lot_captured_in_the_same_batch(self):
		lot = self.lot_item()
		reading = {
			"key": key(),
			"kind": "moisture",
			"data": {"lot_key": lot["key"], "value": 13.2, "instrument": "Wile 55", "remarks": "field"},
		}
		results = self.send([reading, lot])  # the lot is stored first whatever the order sent
		self.assertEqual([r["status"] for r in results], ["created", "created"])
		test = frappe.get_doc("QC Test", results[0]["name"])
		self.assertEqual(
			(test.lot, test.site, test.test_type, test.value, test.instrument, test.docstatus),
			(results[1]["name"], self.farm, "Moisture", 13.2, "Wile 55", 0),
		)
		self.assertEqual(test.result, "Pass")  # the crop's limit, by the QC Test's own rules
		self.assertEqual(self.send([reading])[0], {**results[0], "status": "existing"})

	def test_moisture_of_a_lot_of_a_site_not_granted_is_refused(self):
		foreign = make_lot(self.other).name
		results = self.send(
			[
				{"key": key(), "kind": "moisture", "data": {"lot": foreign, "value": 12}},
				{"key": key(), "kind": "moisture", "data": {"lot_key": key(), "value": 12}},
				{"key": key(), "kind": "moisture", "data": {"lot": make_lot(self.farm).name, "value": -3}},
			]
		)
		self.assertEqual([r["status"] for r in results], ["refused"] * 3)
		self.assertTrue(results[0]["message"])
		self.assertNotIn(foreign, results[0]["message"])  # a lot the user may not see is not named

	def test_malformed_items_are_refused_one_by_one(self):
		results = self.send([{"kind": "lot"}, {"key": key(), "kind": "x"}, self.lot_item(photos=["nope"])])
		self.assertEqual([r["status"] for r in results], ["refused"] * 3)
		self.assertIsNone(results[0]["key"])

	def test_bootstrap_lists_only_granted_sites_and_answers_unchanged(self):
		make_lot(self.farm)
		make_lot(self.other)
		with self.set_user(self.operator):
			boot = get_field_bootstrap()
			self.assertEqual([s.name for s in boot["sites"]], [self.farm])
			self.assertTrue(boot["lots"] and all(lot.site == self.farm for lot in boot["lots"]))
			self.assertIn(self.crop, [c.name for c in boot["crops"]])
			self.assertTrue(boot["csrf_token"])
			again = get_field_bootstrap(version=boot["version"])
		self.assertEqual(again["unchanged"], 1)
		self.assertNotIn("sites", again)


class TestFieldShell(FrappeTestCase):
	def test_page_context_service_worker_and_manifest(self):
		frappe.local.lang = "ar"
		try:
			context = page_context()
			self.assertEqual((context["lang"], context["dir"]), ("ar", "rtl"))
			self.assertEqual(context["boot"]["strings"]["Send now"], "أرسل الآن")
			self.assertEqual(manifest()["dir"], "rtl")
		finally:
			frappe.local.lang = "en"
		sw = service_worker_source()
		self.assertNotIn("__SHELL__", sw)
		self.assertIn(context["js_url"], sw)
		self.assertEqual(manifest()["scope"], "/field")
