"""Site isolation: deny by default.

A user who is not a System Manager sees and touches only the Sites granted to them as User
Permissions (``allow = Site``); no grant means nothing. These hooks apply on every path that goes
through Frappe's permission layer: list, form, report view, link search, REST, ``frappe.client``,
exports and attachments (``File`` checks the permission of the record it is attached to).
"""

from __future__ import annotations

import frappe
from frappe.core.doctype.user_permission.user_permission import get_user_permissions

from yam_agri_core import store
from yam_agri_core.rules.roles import ADMINISTRATOR, SYSTEM_MANAGER
from yam_agri_core.rules.sites import ISOLATED_DOCTYPES, SITE_DOCTYPES, site_condition


def is_unrestricted(user: str) -> bool:
	return user == ADMINISTRATOR or SYSTEM_MANAGER in frappe.get_roles(user)


def get_allowed_sites(user: str | None = None, doctype: str | None = None) -> list[str] | None:
	"""Sites ``user`` may work with, or ``None`` when not restricted (System Manager).

	A grant limited to some DocTypes (``applicable_for``) counts only for that DocType.
	"""
	user = user or frappe.session.user
	if is_unrestricted(user):
		return None
	grants = get_user_permissions(user).get("Site", [])
	return sorted(
		{
			grant.get("doc")
			for grant in grants
			if not grant.get("applicable_for") or not doctype or grant.get("applicable_for") == doctype
		}
	)


def user_has_site(site: str | None, user: str | None = None, doctype: str | None = None) -> bool:
	allowed = get_allowed_sites(user, doctype)
	return allowed is None or (bool(site) and site in allowed)


def get_site_query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""``permission_query_conditions`` hook for every site-bearing DocType."""
	doctype = doctype or "Site"
	column = "`tabSite`.`name`" if doctype == "Site" else f"`tab{doctype}`.`site`"
	return site_condition(column, get_allowed_sites(user, doctype), frappe.db.escape)


def has_site_permission(doc, ptype: str | None = None, user: str | None = None) -> bool:
	"""``has_permission`` hook: the record's site must be granted to the user."""
	if doc.doctype == "Site":
		if doc.is_new():
			return is_unrestricted(user or frappe.session.user)
		return user_has_site(doc.name, user, doc.doctype)
	return user_has_site(doc.get("site") or _site_of_new_reading(doc), user, doc.doctype)


def _site_of_new_reading(doc) -> str | None:
	"""A gateway posts a reading without its site; it is the device's (set again in validate)."""
	if doc.doctype == "Observation" and doc.is_new() and doc.get("device"):
		return store.site_of_device(doc.device)
	return None


def get_file_query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""Files attached to a site-bearing record are listed only to users granted that site."""
	allowed = get_allowed_sites(user)
	if allowed is None:
		return ""
	attached_to = ", ".join(frappe.db.escape(dt) for dt in ISOLATED_DOCTYPES)
	visible = [
		"`tabFile`.`attached_to_doctype` is null",
		f"`tabFile`.`attached_to_doctype` not in ({attached_to})",
	]
	if allowed:
		sites = ", ".join(frappe.db.escape(s) for s in allowed)
		visible.append(
			f"(`tabFile`.`attached_to_doctype` = 'Site' and `tabFile`.`attached_to_name` in ({sites}))"
		)
		for dt in SITE_DOCTYPES:
			visible.append(
				f"(`tabFile`.`attached_to_doctype` = {frappe.db.escape(dt)} and `tabFile`.`attached_to_name` in "
				f"(select `name` from `tab{dt}` where `site` in ({sites})))"
			)
	return "(" + " or ".join(visible) + ")"
