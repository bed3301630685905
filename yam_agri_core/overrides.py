"""Frappe whitelisted methods that skip record permissions, made to respect site isolation.

Frappe v15's ``frappe.client.get_count`` counts with ``frappe.db.count`` (no permission check at
all) and ``frappe.client.validate_link`` confirms that any name exists. For site-bearing DocTypes
both would let a user probe another site's records through REST; these overrides answer from
``frappe.get_list`` instead, so a record the user may not read is neither counted nor found.
Other DocTypes keep Frappe's behaviour.
"""

from __future__ import annotations

import frappe
from frappe import client
from frappe.model.db_query import DatabaseQuery

from yam_agri_core.permissions import ISOLATED_DOCTYPES

ISOLATED = frozenset(ISOLATED_DOCTYPES)


@frappe.whitelist()
def get_count(
	doctype: str, filters: str | dict | list | None = None, debug: bool = False, cache: bool = False
) -> int:
	if doctype not in ISOLATED:
		return client.get_count(doctype, filters, debug, cache)
	query = DatabaseQuery(doctype).execute(
		fields=[f"`tab{doctype}`.`name`"],
		filters=client.get_safe_filters(filters),
		order_by=None,
		limit_page_length=0,
		run=0,
	)
	return frappe.db.sql(f"select count(*) from ({query}) p")[0][0]


@frappe.whitelist()
def validate_link(doctype: str, docname: str, fields: str | list | None = None) -> dict:
	if doctype not in ISOLATED:
		return client.validate_link(doctype, docname, fields)
	if not frappe.get_list(doctype, filters={"name": docname}, pluck="name", limit_page_length=1):
		return frappe._dict()
	return client.validate_link(doctype, docname, fields)
