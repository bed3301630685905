"""A setting added to YAM Agri Settings after a site was installed has no stored value (Frappe stores a
Single's defaults only when the Single is first made), and a required one then refuses every save of
the settings ("Keep Readings Live For (days)" after the readings archive came). Every setting with no
stored value gets its default; a value an admin chose is never changed."""

import frappe

from yam_agri_core.rules.settings import SETTING_DEFAULTS

SETTINGS = "YAM Agri Settings"


def execute():
	Singles = frappe.qb.Table("tabSingles")
	stored = {
		row[0]
		for row in frappe.qb.from_(Singles).select(Singles.field).where(Singles.doctype == SETTINGS).run()
	}
	for fieldname, default in SETTING_DEFAULTS.items():
		if fieldname not in stored:
			frappe.db.set_single_value(SETTINGS, fieldname, default)
