"""Reading YAM Agri Settings: one cached document, with the contract's defaults for a site where
nobody has opened the settings yet."""

from __future__ import annotations

import frappe

from yam_agri_core.rules.settings import SETTING_DEFAULTS, setting_or_default

SETTINGS_DOCTYPE = "YAM Agri Settings"


def get_setting(fieldname: str):
	"""The value of ``fieldname`` in YAM Agri Settings, or its default when it was never saved."""
	return setting_or_default(fieldname, frappe.get_cached_doc(SETTINGS_DOCTYPE).get(fieldname))


def ensure_settings() -> None:
	"""Save the defaults once, so that jobs and Desk read the same values (idempotent)."""
	Singles = frappe.qb.Table("tabSingles")
	saved = frappe.qb.from_(Singles).select(Singles.field).where(Singles.doctype == SETTINGS_DOCTYPE).limit(1)
	if saved.run():
		return
	doc = frappe.get_doc(SETTINGS_DOCTYPE)
	for fieldname, value in SETTING_DEFAULTS.items():
		if doc.get(fieldname) in (None, ""):
			doc.set(fieldname, value)
	doc.flags.ignore_permissions = True
	doc.save()
