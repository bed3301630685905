"""Desk's front door (``rules.front_door``): a Module Profile per persona, and each YAM user's landing
workspace and module profile set when the user is created or given a role profile (User hooks), or by
the patch for users made before."""

from __future__ import annotations

import frappe
from frappe import _

from yam_agri_core.rules import front_door


def ensure_module_profiles() -> None:
	"""Create each persona's Module Profile once; an admin's later edits to it are kept."""
	modules = frappe.get_all("Module Def", pluck="name")
	for profile in front_door.VISIBLE_MODULES:
		if frappe.db.exists("Module Profile", profile):
			continue
		frappe.get_doc(
			{
				"doctype": "Module Profile",
				"module_profile_name": profile,
				"block_modules": [{"module": m} for m in front_door.blocked_modules(profile, modules)],
			}
		).insert(ignore_permissions=True)


def set_front_door(doc, method=None) -> None:
	"""User ``before_validate``: a new YAM user, or one given another role profile, lands on YAM Agri and
	gets the persona's module profile, unless the admin set a workspace or module profile themselves."""
	if doc.name in frappe.STANDARD_USERS or not (doc.is_new() or doc.has_value_changed("role_profile_name")):
		return
	profile = front_door.persona_profile(doc.role_profile_name, (r.role for r in doc.get("roles", [])))
	if not profile:
		return
	if not doc.default_workspace and frappe.db.exists("Workspace", front_door.HOME_WORKSPACE):
		doc.default_workspace = front_door.HOME_WORKSPACE
	if not doc.module_profile and frappe.db.exists("Module Profile", profile):
		doc.module_profile = profile  # Frappe's User.validate copies its blocked modules


def warn_without_role(doc, method=None) -> None:
	"""User ``validate``: a Desk user saved with neither a role nor a role profile cannot use Desk; say so
	(saving is not refused: the admin may add the role profile next)."""
	if doc.name in frappe.STANDARD_USERS or not doc.enabled or frappe.flags.in_install:
		return
	if doc.role_profile_name or doc.get("roles"):
		return
	frappe.msgprint(
		_(front_door.missing_role_message()).format(doc.name),
		title=_("No role"),
		indicator="orange",
	)


def apply_to_existing_users() -> int:
	"""The front door for YAM users made before it existed (the patch): only what is unset."""
	ensure_module_profiles()
	done = 0
	for name in frappe.get_all("User", filters={"user_type": "System User", "enabled": 1}, pluck="name"):
		if name in frappe.STANDARD_USERS:
			continue
		user = frappe.get_doc("User", name)
		profile = front_door.persona_profile(user.role_profile_name, (r.role for r in user.roles))
		if not profile or (user.default_workspace and user.module_profile):
			continue
		if not user.default_workspace:
			user.default_workspace = front_door.HOME_WORKSPACE
		if not user.module_profile:
			user.module_profile = profile
		user.flags.ignore_password_policy = True
		user.save(ignore_permissions=True)
		done += 1
	return done
