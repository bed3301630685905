"""Prepare a bench site for the browser suite (`tests/browser/`): demo data and persona logins.

    bench --site SITE execute yam_agri_core.tests.browser_setup.prepare
    bench --site SITE execute yam_agri_core.tests.browser_setup.prepare --kwargs '{"password": "..."}'

Idempotent: the demo data is made once (``make_demo_data`` adds nothing twice), the desk user with no
site grant is created once and any Site grant it picked up is removed, and every persona's password is
(re)set to the suite's password. Never run it on a production site: it sets known passwords.
"""

from __future__ import annotations

import frappe
from frappe.utils.password import update_password

#: the suite's password when YAM_BROWSER_PASSWORD is not set (tests/browser/browser_support.py repeats it)
DEFAULT_PASSWORD = "Yam-Browser-Test-2026"

#: persona key -> login; the first three come from the demo data
PERSONAS = {
	"qa": "qa@yam-demo.example",
	"silo": "silo.taiz@yam-demo.example",
	"auditor": "auditor@yam-demo.example",
	"nogrant": "nogrant@yam-demo.example",
}
#: the desk user with no site grant: a QA manager's roles, so only the missing grant keeps data away
NO_GRANT_PROFILE = "YAM QA Manager"


def prepare(password: str | None = None) -> dict:
	"""Make the demo data, the no-grant user and the persona passwords; return each persona's sites."""
	frappe.only_for("System Manager")
	from yam_agri_core.demo import make_demo_data

	make_demo_data()
	_ensure_no_grant_user()
	_mark_setup_complete()
	for email in PERSONAS.values():
		update_password(email, password or DEFAULT_PASSWORD)
	return {key: _granted_sites(email) for key, email in PERSONAS.items()}


def _ensure_no_grant_user() -> None:
	email = PERSONAS["nogrant"]
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": "No Grant",
				"send_welcome_email": 0,
				"role_profile_name": NO_GRANT_PROFILE,
				"language": "en",
			}
		).insert()
	for name in frappe.get_all("User Permission", {"user": email, "allow": "Site"}, pluck="name"):
		frappe.delete_doc("User Permission", name)


def _mark_setup_complete() -> None:
	"""A bench site made for tests skips the ERPNext wizard; without this flag Desk asks for it."""
	frappe.db.set_value(
		"Installed Application", {"app_name": ("in", ["frappe", "erpnext"])}, "is_setup_complete", 1
	)
	frappe.db.set_single_value("System Settings", "setup_complete", 1)


def _granted_sites(email: str) -> list[str]:
	return sorted(frappe.get_all("User Permission", {"user": email, "allow": "Site"}, pluck="for_value"))
