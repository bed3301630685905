"""Install, migrate and test-setup hooks: roles, role profiles and reference data."""

from __future__ import annotations

import frappe

from yam_agri_core.rules.roles import APP_ROLES, ROLE_PROFILES, SENSOR_GATEWAY
from yam_agri_core.settings import ensure_settings

#: Crops every Yemeni site needs on day one: name, Arabic name, max storage moisture (%).
DEFAULT_CROPS = (
	("Wheat", "قمح", 14.0),
	("Sorghum", "ذرة رفيعة", 13.5),
	("Barley", "شعير", 13.0),
	("Millet", "دخن", 13.0),
	("Maize", "ذرة شامية", 14.0),
)


def after_install() -> None:
	ensure_roles()
	ensure_role_profiles()
	ensure_default_crops()
	ensure_settings()


def after_migrate() -> None:
	ensure_roles()
	ensure_role_profiles()
	ensure_settings()


def ensure_roles() -> None:
	for role in APP_ROLES:
		if not frappe.db.exists("Role", role):
			frappe.get_doc(
				{
					"doctype": "Role",
					"role_name": role,
					"desk_access": 0 if role == SENSOR_GATEWAY else 1,
					"search_bar": 0 if role == SENSOR_GATEWAY else 1,
					"notifications": 0 if role == SENSOR_GATEWAY else 1,
				}
			).insert(ignore_permissions=True)


def ensure_role_profiles() -> None:
	for profile, roles in ROLE_PROFILES.items():
		if frappe.db.exists("Role Profile", profile):
			doc = frappe.get_doc("Role Profile", profile)
			have = {r.role for r in doc.roles}
			missing = [r for r in roles if r not in have]
			if not missing:
				continue
			for role in missing:
				doc.append("roles", {"role": role})
			doc.save(ignore_permissions=True)
		else:
			frappe.get_doc(
				{
					"doctype": "Role Profile",
					"role_profile": profile,
					"roles": [{"role": role} for role in roles],
				}
			).insert(ignore_permissions=True)


def ensure_default_crops() -> None:
	for name, name_ar, moisture in DEFAULT_CROPS:
		if not frappe.db.exists("Crop", name):
			frappe.get_doc(
				{
					"doctype": "Crop",
					"crop_name": name,
					"crop_name_ar": name_ar,
					"max_storage_moisture_pct": moisture,
				}
			).insert(ignore_permissions=True)


def before_tests() -> None:
	"""Tests run on a site whose ERPNext setup wizard is complete (as ERPNext's own tests do)."""
	frappe.clear_cache()
	if not frappe.db.get_single_value("System Settings", "setup_complete"):
		from erpnext.setup.utils import before_tests as erpnext_before_tests

		erpnext_before_tests()
	after_install()
	frappe.db.commit()  # nosemgrep: test setup outside a request, as ERPNext's before_tests does
