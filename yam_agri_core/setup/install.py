"""Install, migrate and test-setup hooks: roles, role profiles and reference data."""

from __future__ import annotations

import datetime as dt
import os

import frappe

from yam_agri_core.rules.front_door import HOME_WORKSPACE
from yam_agri_core.rules.roles import APP_ROLES, ROLE_PROFILES, SENSOR_GATEWAY
from yam_agri_core.settings import ensure_settings
from yam_agri_core.setup.arabic_names import sync_arabic_names
from yam_agri_core.setup.front_door import ensure_module_profiles

#: Crops every Yemeni site needs on day one: name, Arabic name, max storage moisture (%).
DEFAULT_CROPS = (
	("Wheat", "قمح", 14.0),
	("Sorghum", "ذرة رفيعة", 13.5),
	("Barley", "شعير", 13.0),
	("Millet", "دخن", 13.0),
	("Maize", "ذرة شامية", 14.0),
)


#: Yemen's site defaults: System Settings field -> value. Set only where the site has none yet.
YEMEN_SYSTEM_SETTINGS = {
	"country": "Yemen",
	"time_zone": "Asia/Aden",
	"currency": "YER",
	"date_format": "dd-mm-yyyy",
}

#: The languages a Yemeni site offers its users (Arabic first).
LANGUAGES = ("ar", "en")

#: The company ERPNext's setup makes when neither the environment (YAM_COMPANY_NAME, from the stack's .env)
#: nor the site config (yam_company_name) names one.
DEFAULT_COMPANY = "YAM Agri"


def after_install() -> None:
	ensure_roles()
	ensure_role_profiles()
	ensure_module_profiles()
	ensure_default_crops()
	ensure_settings()
	sync_arabic_names()
	apply_yemen_defaults()


def after_migrate() -> None:
	ensure_roles()
	ensure_role_profiles()
	ensure_module_profiles()
	ensure_settings()


def company_name() -> str:
	return (
		os.environ.get("YAM_COMPANY_NAME") or frappe.conf.get("yam_company_name") or DEFAULT_COMPANY
	).strip()


def company_abbr(name: str) -> str:
	"""YAM_COMPANY_ABBR / yam_company_abbr, else the initials of the company's name (ERPNext's way)."""
	given = os.environ.get("YAM_COMPANY_ABBR") or frappe.conf.get("yam_company_abbr")
	if given:
		return given.strip()
	words = name.split()
	return ("".join(w[0] for w in words) if len(words) > 1 else name[:5]).upper()


def setup_wizard_args(today: dt.date | None = None) -> dict:
	"""What ERPNext's setup wizard would be given by a Yemeni admin: the company, YER, Asia/Aden, the
	calendar year as fiscal year and the standard chart of accounts."""
	year = (today or dt.date.today()).year
	name = company_name()
	return {
		"language": "English",
		"country": YEMEN_SYSTEM_SETTINGS["country"],
		"timezone": YEMEN_SYSTEM_SETTINGS["time_zone"],
		"currency": YEMEN_SYSTEM_SETTINGS["currency"],
		"company_name": name,
		"company_abbr": company_abbr(name),
		"chart_of_accounts": "Standard",
		"fy_start_date": f"{year}-01-01",
		"fy_end_date": f"{year}-12-31",
	}


def apply_yemen_defaults() -> None:
	"""A new site lands on Yemen's defaults and opens YAM Agri, not a setup wizard: ERPNext's setup is
	completed once with Yemen's values and the company (a site whose setup is complete keeps its own);
	then only what is still unset is filled in (time zone, country, currency, date format), Arabic and
	English are enabled and the Administrator's home is YAM Agri unless it has one. Never overwrites what
	an admin chose."""
	for code in LANGUAGES:
		if frappe.db.exists("Language", code) and not frappe.db.get_value("Language", code, "enabled"):
			frappe.db.set_value("Language", code, "enabled", 1)
	if not frappe.is_setup_complete():
		complete_setup(setup_wizard_args())
	fill_unset_system_settings()
	if frappe.db.exists("Workspace", HOME_WORKSPACE) and not frappe.db.get_value(
		"User", "Administrator", "default_workspace"
	):
		frappe.db.set_value("User", "Administrator", "default_workspace", HOME_WORKSPACE)
	if frappe.db.get_default("desktop:home_page") == "setup-wizard" and frappe.is_setup_complete():
		frappe.db.set_default("desktop:home_page", "workspace")


def complete_setup(args: dict) -> None:
	"""ERPNext's setup wizard, run here (company, fiscal year, chart of accounts, Yemen's settings). A failure
	leaves the wizard to the admin's first login, as before, and is logged: the install goes on."""
	from frappe.desk.page.setup_wizard.setup_wizard import setup_complete

	frappe.db.commit()  # nosemgrep: install hook; the wizard rolls back to here if it fails
	try:
		setup_complete(args)
	except Exception:
		frappe.db.rollback()
		frappe.log_error(title="YAM Agri: ERPNext setup with Yemen's defaults failed")
		frappe.db.commit()  # nosemgrep: keep the error log of a failed install step


def fill_unset_system_settings() -> None:
	settings = frappe.get_single("System Settings")
	unset = {field: value for field, value in YEMEN_SYSTEM_SETTINGS.items() if not settings.get(field)}
	if not unset:
		return
	settings.update(unset)
	settings.flags.ignore_permissions = True
	settings.save()


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
