import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.permissions import ISOLATED_DOCTYPES
from yam_agri_core.rules.roles import APP_ROLES, ROLE_PROFILES
from yam_agri_core.setup.install import after_install


class TestInstall(FrappeTestCase):
	def test_roles_and_role_profiles(self):
		for role in (*APP_ROLES, "Quality Manager"):
			self.assertTrue(frappe.db.exists("Role", role), role)
		for profile, roles in ROLE_PROFILES.items():
			doc = frappe.get_doc("Role Profile", profile)
			self.assertEqual({r.role for r in doc.roles}, set(roles), profile)

	def test_install_hook_is_idempotent_and_keeps_what_admins_changed(self):
		frappe.db.set_value("Crop", "Wheat", "max_storage_moisture_pct", 13.5)
		counts = {dt: frappe.db.count(dt) for dt in ("Crop", "Role", "Role Profile", "Has Role")}
		after_install()
		after_install()
		self.assertEqual({dt: frappe.db.count(dt) for dt in counts}, counts)
		self.assertEqual(frappe.db.get_value("Crop", "Wheat", "max_storage_moisture_pct"), 13.5)

	def test_doctypes_are_ours(self):
		for doctype in ("Crop", *ISOLATED_DOCTYPES):
			self.assertEqual(
				frappe.db.get_value("DocType", doctype, "module"), frappe.get_meta(doctype).module
			)
			self.assertIn(
				frappe.get_meta(doctype).module, ("Traceability", "Quality", "Monitoring", "Alerts")
			)

	def test_settings_hold_their_defaults_after_install(self):
		after_install()
		self.assertEqual(frappe.db.get_single_value("YAM Agri Settings", "certificate_warning_days"), 30)
		self.assertEqual(frappe.db.get_single_value("YAM Agri Settings", "send_alert_emails"), 1)

	def test_observation_history_index_exists(self):
		indexes = frappe.db.sql("show index from `tabObservation`", as_dict=True)
		self.assertIn("device", {i.Column_name for i in indexes if i.Seq_in_index == 1})


class TestArabic(FrappeTestCase):
	def test_arabic_translations_are_loaded(self):
		from frappe.translate import get_all_translations

		self.assertEqual(get_all_translations("ar").get("Scale Ticket"), "تذكرة ميزان")

	def test_rule_errors_reach_the_user_in_arabic(self):
		from yam_agri_core.exceptions import WeightError
		from yam_agri_core.tests.utils import make_site, make_ticket

		site = make_site().name
		lang = frappe.local.lang
		frappe.local.lang = "ar"
		try:
			with self.assertRaises(WeightError) as error:
				make_ticket(site, 12000, 15000, 3000)
		finally:
			frappe.local.lang = lang
		self.assertIn("وزن الفارغ", str(error.exception))
