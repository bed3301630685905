"""The dispatch gate: a lot is Released or Shipped only with the tests and certificates its Season
Policy asks for; when it is refused, every missing item is listed (in the user's language) and nothing
changes."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from yam_agri_core.exceptions import DispatchGateError
from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	make_certificate,
	make_lot,
	make_qc_test,
	make_season_policy,
	make_site,
	make_user,
	unique,
)
from yam_agri_core.traceability.doctype.lot.lot import set_lot_status

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE

SEASON = "2026-Spring"
TESTS = ["Moisture", "Aflatoxin"]
CERTIFICATES = ["Phytosanitary", "HACCP"]


def make_crop(**limits) -> str:
	name = unique("Crop")
	frappe.get_doc(
		{
			"doctype": "Crop",
			"crop_name": name,
			"max_storage_moisture_pct": 14,
			"max_aflatoxin_ppb": 10,
			**limits,
		}
	).insert(ignore_permissions=True)
	return name


class TestDispatchGate(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name
		cls.other_site = make_site().name
		cls.crop = make_crop()
		cls.policy = make_season_policy(cls.crop, SEASON, TESTS, CERTIFICATES).name
		cls.qm = make_user(["Quality Manager"], [cls.site], "qm")
		cls.operator = make_user(["Site Operator"], [cls.site], "operator")

	def setUp(self):
		self.lang = frappe.local.lang

	def tearDown(self):
		frappe.local.lang = self.lang

	def stored_lot(self, **kwargs):
		return make_lot(self.site, crop=self.crop, season=SEASON, status="In Storage", **kwargs)

	def add_evidence(self, lot: str, skip: tuple[str, ...] = (), **test_kwargs):
		"""Passing tests and valid certificates for every mandatory item not in ``skip``."""
		made = {}
		for test_type in TESTS:
			if test_type not in skip:
				value = 12 if test_type == "Moisture" else 3
				made[test_type] = make_qc_test(lot, test_type, value, **test_kwargs).name
		for cert_type in CERTIFICATES:
			if cert_type not in skip:
				made[cert_type] = make_certificate(self.site, cert_type=cert_type, lot=lot).name
		return made

	def release(self, lot: str, status: str = "Released") -> str:
		with self.set_user(self.qm):
			return set_lot_status(lot, status)

	def refused(self, lot: str, status: str = "Released") -> str:
		with self.assertRaises(DispatchGateError) as error:
			self.release(lot, status)
		frappe.clear_messages()
		return str(error.exception)

	def snapshot(self, lot: str) -> dict:
		return {
			"status": frappe.db.get_value("Lot", lot, "status"),
			"modified": str(frappe.db.get_value("Lot", lot, "modified")),
			"versions": frappe.db.count("Version", {"ref_doctype": "Lot", "docname": lot}),
			"qc_tests": frappe.db.count("QC Test"),
			"certificates": frappe.db.count("Certificate"),
		}

	# --- refused with the full list, nothing changes ------------------------------------------------

	def test_refusal_lists_every_missing_item_and_changes_nothing(self):
		lot = self.stored_lot().name
		before = self.snapshot(lot)
		message = self.refused(lot)
		for item in (*TESTS, *CERTIFICATES):
			self.assertIn(item, message)
		self.assertIn(self.policy, message)
		self.assertEqual(message.count("•"), 4)
		self.assertEqual(self.snapshot(lot), before)
		self.assertEqual(frappe.db.get_value("Lot", lot, "status"), "In Storage")

	def test_refusal_in_arabic(self):
		lot = self.stored_lot().name
		frappe.local.lang = "ar"
		message = self.refused(lot)
		for arabic in ("الرطوبة", "الأفلاتوكسين", "صحة نباتية", "HACCP", "سياسة الموسم"):
			self.assertIn(arabic, message)
		self.assertEqual(message.count("•"), 4)
		self.assertNotIn("is missing", message)
		self.assertEqual(frappe.db.get_value("Lot", lot, "status"), "In Storage")

	def test_only_the_missing_items_are_listed(self):
		lot = self.stored_lot().name
		self.add_evidence(lot, skip=("Aflatoxin", "HACCP"))
		message = self.refused(lot)
		self.assertIn("Aflatoxin", message)
		self.assertIn("HACCP", message)
		self.assertNotIn("Moisture", message)
		self.assertNotIn("Phytosanitary", message)

	# --- goes through once the evidence exists --------------------------------------------------------

	def test_released_and_shipped_with_complete_evidence(self):
		lot = self.stored_lot().name
		self.refused(lot)
		self.add_evidence(lot)
		self.assertEqual(self.release(lot), "Released")
		with self.set_user(self.operator):
			self.assertEqual(set_lot_status(lot, "Shipped"), "Shipped")
		self.assertEqual(frappe.db.get_value("Lot", lot, "status"), "Shipped")

	def test_released_lot_can_be_edited_without_re_running_the_gate(self):
		lot = self.stored_lot().name
		made = self.add_evidence(lot)
		self.release(lot)
		cert = frappe.get_doc("Certificate", made["HACCP"])
		cert.status, cert.revocation_reason = "Revoked", "Withdrawn by issuer"
		cert.save()
		doc = frappe.get_doc("Lot", lot)
		doc.notes = "Bagged"
		doc.save()  # the gate guards moves into Released and Shipped, not later edits
		self.assertIn("HACCP", self.refused(lot, "Shipped"))

	# --- tests: drafts, failures, retests, staleness -----------------------------------------------------

	def test_draft_and_cancelled_tests_do_not_count(self):
		lot = self.stored_lot().name
		self.add_evidence(lot, skip=("Moisture",))
		make_qc_test(lot, "Moisture", 12, submit=False)
		make_qc_test(lot, "Moisture", 12).cancel()
		message = self.refused(lot)
		self.assertIn("Moisture", message)
		self.assertIn("missing", message)

	def test_failed_test_blocks_and_passing_retest_lets_it_through(self):
		lot = self.stored_lot().name
		self.add_evidence(lot, skip=("Aflatoxin",))
		failed = make_qc_test(lot, "Aflatoxin", 14, test_date=add_days(today(), -2))
		self.assertEqual(failed.result, "Fail")
		message = self.refused(lot)
		self.assertIn(failed.name, message)
		self.assertIn("failed", message)
		retest = make_qc_test(lot, "Aflatoxin", 6, test_date=add_days(today(), -1))
		self.assertEqual(retest.result, "Pass")
		self.assertEqual(self.release(lot), "Released")

	def test_a_later_failure_blocks_again(self):
		lot = self.stored_lot().name
		self.add_evidence(lot)
		make_qc_test(lot, "Moisture", 16)  # same day, recorded after the passing one
		self.assertIn("Moisture", self.refused(lot))

	def test_stale_test_blocks(self):
		lot = self.stored_lot().name
		self.add_evidence(lot, skip=("Moisture",))
		old = make_qc_test(lot, "Moisture", 12, test_date=add_days(today(), -91))
		message = self.refused(lot)
		self.assertIn(old.name, message)
		self.assertIn("90", message)
		make_qc_test(lot, "Moisture", 12, test_date=add_days(today(), -90))  # exactly the limit counts
		self.assertEqual(self.release(lot), "Released")

	def test_tests_go_stale_between_release_and_shipping(self):
		lot = self.stored_lot().name
		self.add_evidence(lot, test_date=add_days(today(), -50))
		self.assertEqual(self.release(lot), "Released")
		with self.freeze_time(add_days(today(), 45)):
			message = self.refused(lot, "Shipped")
			self.assertIn("Moisture", message)
			self.assertIn("Aflatoxin", message)
			self.assertNotIn("HACCP", message)
			self.assertEqual(frappe.db.get_value("Lot", lot, "status"), "Released")

	# --- certificates -----------------------------------------------------------------------------------

	def test_site_level_certificate_counts(self):
		lot = self.stored_lot().name
		self.add_evidence(lot, skip=("HACCP",))
		make_certificate(self.site, cert_type="HACCP")  # the site's own, no lot
		self.assertEqual(self.release(lot), "Released")

	def test_another_sites_certificate_does_not_count_and_is_not_named(self):
		lot = self.stored_lot().name
		self.add_evidence(lot, skip=("HACCP",))
		foreign = make_certificate(self.other_site, cert_type="HACCP")
		message = self.refused(lot)
		self.assertIn("HACCP", message)
		self.assertNotIn(foreign.name, message)
		self.assertNotIn(self.other_site, message)

	def test_revoked_certificate_blocks(self):
		lot = self.stored_lot().name
		made = self.add_evidence(lot)
		cert = frappe.get_doc("Certificate", made["Phytosanitary"])
		cert.status, cert.revocation_reason = "Revoked", "Forged stamp"
		cert.save()
		message = self.refused(lot)
		self.assertIn(cert.name, message)
		self.assertIn("Revoked", message)

	def test_expired_certificate_blocks_and_expiring_soon_counts(self):
		lot = self.stored_lot().name
		self.add_evidence(lot, skip=("Phytosanitary",))
		expired = make_certificate(self.site, -1, cert_type="Phytosanitary", lot=lot)
		self.assertEqual(expired.status, "Expired")
		message = self.refused(lot)
		self.assertIn(expired.name, message)
		self.assertIn("Expired", message)
		expiring = make_certificate(self.site, 10, cert_type="Phytosanitary", lot=lot)
		self.assertEqual(expiring.status, "Expiring Soon")
		self.assertEqual(self.release(lot), "Released")

	# --- lots without a policy --------------------------------------------------------------------------

	def test_lot_without_a_policy_is_not_blocked(self):
		lot = make_lot(self.site, crop=self.crop, season="2025-Autumn", status="In Storage").name
		self.assertEqual(self.release(lot), "Released")
		lot = make_lot(self.site, crop=make_crop(), season=SEASON, status="In Storage").name
		self.assertEqual(self.release(lot), "Released")

	def test_inactive_policy_does_not_block(self):
		crop = make_crop()
		make_season_policy(crop, SEASON, TESTS, CERTIFICATES, is_active=0)
		lot = make_lot(self.site, crop=crop, season=SEASON, status="In Storage").name
		self.assertEqual(self.release(lot), "Released")

	def test_role_is_checked_before_the_gate(self):
		from yam_agri_core.exceptions import RoleRequiredError

		lot = self.stored_lot().name
		with self.set_user(self.operator), self.assertRaises(RoleRequiredError):
			set_lot_status(lot, "Released")
