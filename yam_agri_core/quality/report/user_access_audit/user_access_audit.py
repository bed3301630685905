# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

"""User Access Audit: the monthly access review of the runbook (§1 and §9: "verify no unexpected
access"). Every enabled user, and every disabled one still holding site grants, with roles, role
profile, granted sites (User Permissions with Allow = Site) and last login, flagged for: a desk user
with no site grant, a disabled user still holding grants, System Managers (they see every site) and
API keys.

Run by the IT admin (System Manager: every user), a Quality Manager or an Auditor (only the users
granted one of their own sites, and only those grants). Other roles cannot open it."""

from __future__ import annotations

from collections import defaultdict

import frappe
from frappe import _
from frappe.permissions import AUTOMATIC_ROLES

from yam_agri_core import report_scope as scope
from yam_agri_core.rules import reporting
from yam_agri_core.rules.roles import AUDITOR, QUALITY_MANAGER, SYSTEM_MANAGER

#: Who may run the review (the report's roles say the same; checked again for API calls).
REVIEWERS = (SYSTEM_MANAGER, QUALITY_MANAGER, AUDITOR)


def execute(filters: dict | None = None):
	filters = scope.report_filters(filters)
	if not set(frappe.get_roles()) & set(REVIEWERS):
		frappe.throw(
			_("Only a System Manager, Quality Manager or Auditor can run the access review"),
			frappe.PermissionError,
		)
	sites = scope.readable_sites(filters, "Site")
	if sites == []:
		return columns(), [], scope.no_site_message(), None, summary([])
	rows = build_rows(sites, filters)
	if filters.get("flagged_only"):
		rows = [r for r in rows if r["flags"]]
	return columns(), rows, message(sites, filters), None, summary(rows)


def build_rows(sites: list[str] | None, filters: frappe._dict) -> list[dict]:
	"""Three set-based reads (grants, users, roles) joined in Python."""
	grants = site_grants(sites)
	# every user for a reviewer of every site; else only the users holding one of the sites
	users = read_users(None if sites is None else list(grants))
	roles = user_roles([u.name for u in users])
	rows = []
	for user in users:
		user_sites = sorted(grants.get(user.name, ()))
		if not reporting.is_reviewed(user.name, bool(user.enabled), user_sites):
			continue
		if filters.get("role") and filters.role not in roles.get(user.name, ()):
			continue
		flags = reporting.access_flags(
			enabled=bool(user.enabled),
			user_type=user.user_type,
			roles=roles.get(user.name, ()),
			sites=user_sites,
			has_api_key=bool(user.api_key),
		)
		rows.append(
			{
				"user": user.name,
				"full_name": user.full_name,
				"enabled": user.enabled,
				"user_type": user.user_type,
				"role_profile_name": _(user.role_profile_name) if user.role_profile_name else None,
				"roles": ", ".join(sorted(_(role) for role in roles.get(user.name, ()))),
				"sites": ", ".join(user_sites),
				"site_count": len(user_sites),
				"last_login": user.last_login,
				"last_active": user.last_active,
				"api_key": int(bool(user.api_key)),
				"flags": "; ".join(_(flag) for flag in flags),
				"flag_count": len(flags),
			}
		)
	return rows


def site_grants(sites: list[str] | None) -> dict[str, set[str]]:
	"""user -> granted sites (among ``sites`` when given)."""
	UP = frappe.qb.DocType("User Permission")
	query = frappe.qb.from_(UP).select(UP.user, UP.for_value).where(UP.allow == "Site")
	query = scope.restrict(query, UP.for_value, sites)
	grants: dict[str, set[str]] = defaultdict(set)
	for user, site in query.run():
		grants[user].add(site)
	return grants


def read_users(names: list[str] | None) -> list[dict]:
	"""Every user (``names`` None) or those named, by name."""
	User = frappe.qb.DocType("User")
	query = frappe.qb.from_(User).select(
		User.name,
		User.full_name,
		User.enabled,
		User.user_type,
		User.role_profile_name,
		User.last_login,
		User.last_active,
		User.api_key,
	)
	if names is not None:
		if not names:
			return []
		query = query.where(User.name.isin(names))
	return query.orderby(User.name).run(as_dict=True)


def user_roles(users: list[str]) -> dict[str, set[str]]:
	if not users:
		return {}
	HasRole = frappe.qb.DocType("Has Role")
	query = (
		frappe.qb.from_(HasRole)
		.select(HasRole.parent, HasRole.role)
		.where(
			(HasRole.parenttype == "User") & HasRole.parent.isin(users) & HasRole.role.notin(AUTOMATIC_ROLES)
		)
	)
	roles: dict[str, set[str]] = defaultdict(set)
	for user, role in query.run():
		roles[user].add(role)
	return roles


def message(sites: list[str] | None, filters: frappe._dict) -> str | None:
	if sites is not None and not filters.get("site"):
		return _("Only users granted one of your sites are listed, with those grants.")
	return None


def columns() -> list[dict]:
	return [
		{"fieldname": "user", "label": _("User"), "fieldtype": "Data", "width": 230},
		{"fieldname": "full_name", "label": _("Full Name"), "fieldtype": "Data", "width": 140},
		{"fieldname": "enabled", "label": _("Enabled"), "fieldtype": "Check", "width": 70},
		{"fieldname": "user_type", "label": _("User Type"), "fieldtype": "Data", "width": 100},
		{"fieldname": "role_profile_name", "label": _("Role Profile"), "fieldtype": "Data", "width": 140},
		{"fieldname": "roles", "label": _("Roles"), "fieldtype": "Data", "width": 220},
		{"fieldname": "sites", "label": _("Granted Sites"), "fieldtype": "Data", "width": 220},
		{"fieldname": "site_count", "label": _("Sites"), "fieldtype": "Int", "width": 60},
		{"fieldname": "last_login", "label": _("Last Login"), "fieldtype": "Datetime", "width": 150},
		{"fieldname": "last_active", "label": _("Last Active"), "fieldtype": "Datetime", "width": 150},
		{"fieldname": "api_key", "label": _("API Key"), "fieldtype": "Check", "width": 70},
		{"fieldname": "flags", "label": _("Flags"), "fieldtype": "Data", "width": 300},
	]


def summary(rows: list[dict]) -> list[dict]:
	def flagged(flag: str) -> int:
		return sum(1 for r in rows if _(flag) in r["flags"])

	no_grant, disabled = flagged(reporting.FLAG_NO_GRANT), flagged(reporting.FLAG_DISABLED_WITH_GRANTS)
	return [
		{"label": _("Users"), "value": len(rows), "datatype": "Int"},
		{
			"label": _(reporting.FLAG_NO_GRANT),
			"value": no_grant,
			"datatype": "Int",
			"indicator": "Orange" if no_grant else "Green",
		},
		{
			"label": _(reporting.FLAG_DISABLED_WITH_GRANTS),
			"value": disabled,
			"datatype": "Int",
			"indicator": "Red" if disabled else "Green",
		},
		{"label": _("System Managers"), "value": flagged(reporting.FLAG_SYSTEM_MANAGER), "datatype": "Int"},
		{"label": _("API Keys"), "value": flagged(reporting.FLAG_API_KEY), "datatype": "Int"},
	]
