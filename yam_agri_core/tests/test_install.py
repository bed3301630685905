import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.rules.roles import APP_ROLES, ROLE_PROFILES
from yam_agri_core.setup.install import after_install


class TestInstall(FrappeTestCase):
	def test_roles_and_role_profiles(self):
		for role in (*APP_ROLES, "Quality Manager"):
			self.assertTrue(frappe.db.exists("Role", role), role)
		for profile, roles in ROLE_PROFILES.items():
			doc = frappe.get_doc("Role Profile", profile)
			self.assertEqual({r.role for r in doc.roles}, set(roles), profile)

	def test_install_hook_is_idempotent(self):
		after_install()
		after_install()
		self.assertEqual(frappe.db.count("Crop", {"name": "Wheat"}), 1)

	def test_doctypes_are_ours(self):
		for doctype in (
			"Site",
			"Crop",
			"Storage Bin",
			"Device",
			"Lot",
			"Scale Ticket",
			"Observation",
			"Certificate",
			"Nonconformance",
		):
			self.assertEqual(
				frappe.db.get_value("DocType", doctype, "module"), frappe.get_meta(doctype).module
			)
			self.assertIn(frappe.get_meta(doctype).module, ("Traceability", "Quality", "Monitoring"))

	def test_observation_history_index_exists(self):
		indexes = frappe.db.sql("show index from `tabObservation`", as_dict=True)
		self.assertIn("device", {i.Column_name for i in indexes if i.Seq_in_index == 1})
