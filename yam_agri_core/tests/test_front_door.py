"""Desk's front door, Yemen's site defaults and Arabic names (issue 19, items 5, 8 and 9) on a real site."""

from __future__ import annotations

import os
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.rules import front_door
from yam_agri_core.setup import install
from yam_agri_core.setup.arabic_names import search_both_languages
from yam_agri_core.setup.front_door import apply_to_existing_users
from yam_agri_core.tests.utils import TEST_IGNORE, make_site, unique

test_ignore = TEST_IGNORE

SETTINGS = tuple(install.YEMEN_SYSTEM_SETTINGS)


def new_user(prefix: str = "door", **fields) -> frappe._dict:
	doc = frappe.get_doc(
		{
			"doctype": "User",
			"email": f"{prefix}-{frappe.generate_hash(length=8)}@yam-test.example",
			"first_name": prefix,
			"send_welcome_email": 0,
			**fields,
		}
	).insert(ignore_permissions=True)
	return doc


class in_language:
	def __init__(self, lang: str):
		self.lang = lang

	def __enter__(self):
		self.before = frappe.local.lang
		frappe.local.lang = self.lang

	def __exit__(self, *exc):
		frappe.local.lang = self.before


class TestYemenDefaults(FrappeTestCase):
	def setUp(self):
		self.saved = {field: frappe.db.get_single_value("System Settings", field) for field in SETTINGS}
		self.admin_workspace = frappe.db.get_value("User", "Administrator", "default_workspace")
		self.addCleanup(self.restore)

	def restore(self):
		for field, value in self.saved.items():
			frappe.db.set_single_value("System Settings", field, value)
		frappe.db.set_value("User", "Administrator", "default_workspace", self.admin_workspace)
		frappe.clear_cache(doctype="System Settings")

	def reset_defaults(self):
		for field in SETTINGS:
			frappe.db.set_single_value("System Settings", field, None)
		frappe.clear_cache(doctype="System Settings")

	def test_install_on_a_site_with_nothing_set_lands_on_yemen(self):
		self.reset_defaults()
		frappe.db.set_value("User", "Administrator", "default_workspace", None)
		install.apply_yemen_defaults()
		settings = frappe.get_single("System Settings")
		self.assertEqual(settings.time_zone, "Asia/Aden")
		self.assertEqual(settings.country, "Yemen")
		self.assertEqual(settings.currency, "YER")
		self.assertEqual(settings.date_format, "dd-mm-yyyy")
		self.assertEqual(frappe.db.get_value("User", "Administrator", "default_workspace"), "YAM Agri")
		self.assertTrue(frappe.is_setup_complete())

	def test_an_admins_own_choices_are_never_overwritten(self):
		self.reset_defaults()
		frappe.db.set_single_value("System Settings", "time_zone", "Asia/Riyadh")
		frappe.db.set_single_value("System Settings", "date_format", "yyyy-mm-dd")
		frappe.db.set_value("User", "Administrator", "default_workspace", "Grain Quality")
		frappe.clear_cache(doctype="System Settings")
		companies = frappe.db.count("Company")
		install.apply_yemen_defaults()
		install.apply_yemen_defaults()
		settings = frappe.get_single("System Settings")
		self.assertEqual(settings.time_zone, "Asia/Riyadh")
		self.assertEqual(settings.date_format, "yyyy-mm-dd")
		self.assertEqual(settings.country, "Yemen")  # what was unset is filled in
		self.assertEqual(frappe.db.get_value("User", "Administrator", "default_workspace"), "Grain Quality")
		self.assertEqual(frappe.db.count("Company"), companies)  # setup complete: no second company

	def test_arabic_and_english_are_enabled(self):
		frappe.db.set_value("Language", "ar", "enabled", 0)
		install.apply_yemen_defaults()
		self.assertEqual(frappe.db.get_value("Language", "ar", "enabled"), 1)
		self.assertEqual(frappe.db.get_value("Language", "en", "enabled"), 1)

	def test_the_setup_wizard_gets_the_company_of_the_stack(self):
		with patch.dict(os.environ, {"YAM_COMPANY_NAME": "Saba Grain Company", "YAM_COMPANY_ABBR": ""}):
			args = install.setup_wizard_args()
		self.assertEqual(args["company_name"], "Saba Grain Company")
		self.assertEqual(args["company_abbr"], "SGC")
		self.assertEqual((args["country"], args["timezone"], args["currency"]), ("Yemen", "Asia/Aden", "YER"))
		self.assertTrue(args["fy_start_date"].endswith("-01-01"))
		with (
			patch.dict(os.environ, {"YAM_COMPANY_NAME": ""}),
			patch.dict(frappe.local.conf, {"yam_company_name": "Tihama Stores", "yam_company_abbr": "TS"}),
		):
			args = install.setup_wizard_args()
		self.assertEqual((args["company_name"], args["company_abbr"]), ("Tihama Stores", "TS"))
		with (
			patch.dict(os.environ, {"YAM_COMPANY_NAME": ""}),
			patch.dict(frappe.local.conf, {"yam_company_name": ""}),
		):
			self.assertEqual(install.setup_wizard_args()["company_name"], install.DEFAULT_COMPANY)

	def test_a_complete_setup_is_not_run_again(self):
		with patch("frappe.desk.page.setup_wizard.setup_wizard.setup_complete") as wizard:
			install.apply_yemen_defaults()
		wizard.assert_not_called()
		self.assertNotEqual(frappe.db.get_default("desktop:home_page"), "setup-wizard")


class TestFrontDoor(FrappeTestCase):
	def test_each_persona_has_a_module_profile_hiding_erpnext(self):
		for profile in front_door.VISIBLE_MODULES:
			blocked = {r.module for r in frappe.get_doc("Module Profile", profile).block_modules}
			self.assertTrue({"Accounts", "Stock", "Assets", "Setup", "Website"} <= blocked, profile)
			self.assertFalse(set(front_door.YAM_MODULES) & blocked, profile)

	def test_a_new_persona_lands_on_yam_agri_without_erpnext_workspaces(self):
		user = new_user(role_profile_name="YAM Auditor")
		self.assertEqual(user.default_workspace, "YAM Agri")
		self.assertEqual(user.module_profile, "YAM Auditor")
		self.assertIn("Accounts", {r.module for r in user.block_modules})
		from frappe.desk.desktop import get_workspace_sidebar_items

		frappe.set_user(user.name)
		try:
			frappe.clear_cache(user=user.name)
			pages = {page["name"] for page in get_workspace_sidebar_items()["pages"]}
		finally:
			frappe.set_user("Administrator")
		self.assertIn("YAM Agri", pages)
		self.assertIn("Grain Quality", pages)
		for erpnext in ("Home", "Accounting", "Payables", "Stock", "Assets", "Website", "Build"):
			self.assertNotIn(erpnext, pages)

	def test_an_it_admin_keeps_build_and_users(self):
		user = new_user(role_profile_name="YAM IT Admin")
		blocked = {r.module for r in user.block_modules}
		self.assertNotIn("Core", blocked)
		self.assertIn("Accounts", blocked)

	def test_the_admins_own_choices_are_kept(self):
		user = new_user(role_profile_name="YAM QA Manager", default_workspace="Grain Quality")
		self.assertEqual(user.default_workspace, "Grain Quality")
		user.module_profile = None
		user.block_modules = []
		user.save(ignore_permissions=True)
		user.reload()
		self.assertFalse(user.module_profile)  # cleared on purpose: not forced back on the next save

	def test_a_user_of_other_apps_is_left_alone(self):
		user = new_user(roles=[{"role": "Accounts User"}])
		self.assertFalse(user.default_workspace)
		self.assertFalse(user.module_profile)

	def test_a_user_with_no_role_is_warned(self):
		frappe.clear_messages()
		user = new_user()
		messages = [str(m) for m in frappe.get_message_log()]
		self.assertTrue(any(user.name in m and "role profile" in m for m in messages), messages)
		frappe.clear_messages()
		new_user(role_profile_name="YAM Silo Operator")
		self.assertFalse([str(m) for m in frappe.get_message_log() if "no role" in str(m)])

	def test_the_patch_opens_the_front_door_for_users_made_before(self):
		user = new_user(role_profile_name="YAM Platform Owner")
		frappe.db.set_value("User", user.name, {"default_workspace": None, "module_profile": None})
		frappe.db.delete("Block Module", {"parent": user.name})
		apply_to_existing_users()
		user.reload()
		self.assertEqual(user.default_workspace, "YAM Agri")
		self.assertEqual(user.module_profile, "YAM Platform Owner")
		self.assertIn("Accounts", {r.module for r in user.block_modules})

	def test_login_sends_a_persona_home(self):
		user = new_user(role_profile_name="YAM Silo Operator")
		self.assertEqual(frappe.get_cached_value("User", user.name, "default_workspace"), "YAM Agri")


class TestArabicNames(FrappeTestCase):
	def test_a_sites_name_reads_arabic_in_arabic(self):
		name = f"Wadi {unique('S')}"
		make_site(site_name=name, site_name_ar="وادي الاختبار")
		frappe.clear_cache()
		with in_language("ar"):
			self.assertEqual(frappe._(name), "وادي الاختبار")
		with in_language("en"):
			self.assertEqual(frappe._(name), name)

	def test_the_fixed_crops_read_arabic(self):
		with in_language("ar"):
			self.assertEqual(frappe._("Wheat"), "قمح")
			self.assertEqual(frappe._("Sorghum"), "ذرة رفيعة")

	def test_runbook_names_are_found_in_arabic_desk(self):
		with in_language("ar"):
			doctypes = [row[0] for row in search_both_languages("DocType", "Site", "name", 0, 20, {})]
			self.assertIn("Site", doctypes)
			arabic = frappe._("Site")
			self.assertIn(
				"Site", [row[0] for row in search_both_languages("DocType", arabic, "name", 0, 50, {})]
			)
			profiles = [row[0] for row in search_both_languages("Role Profile", "Silo", "name", 0, 20, {})]
			self.assertEqual(profiles, ["YAM Silo Operator"])
			profiles = [row[0] for row in search_both_languages("Role Profile", "صومعة", "name", 0, 20, {})]
			self.assertIn("YAM Silo Operator", profiles)
		with in_language("en"):
			self.assertIn(
				"Site", [row[0] for row in search_both_languages("DocType", "site", "name", 0, 20, {})]
			)

	def test_link_search_goes_through_both_languages(self):
		from frappe.desk.search import search_link

		with in_language("ar"):
			found = [row["value"] for row in search_link("Role Profile", "Auditor")]
		self.assertIn("YAM Auditor", found)

	def test_quarantine_reasons_read_arabic_in_arabic(self):
		from yam_agri_core.monitoring.report.quarantine_review import quarantine_review
		from yam_agri_core.tests.utils import make_device, make_reading

		site = make_site().name
		device = make_device(site).name
		make_reading(device, 43.74)
		with in_language("ar"):
			_columns, rows, *_ = quarantine_review.execute({"site": site})
		reasons = rows[0]["reasons"]
		self.assertIn("43.74 °C", reasons)  # isolated left to right inside the Arabic sentence
		self.assertNotIn("is above", reasons)
		self.assertIn("\u2066", reasons)
		self.assertIn("\u206643.74 °C\u2069", rows[0]["worst_value"])

	def test_certificate_types_are_translated_in_the_register(self):
		from yam_agri_core.quality.report.certificate_register import certificate_register

		column = next(c for c in certificate_register.columns() if c["fieldname"] == "cert_type")
		self.assertEqual(column["fieldtype"], "Select")  # Desk shows a Select value translated
