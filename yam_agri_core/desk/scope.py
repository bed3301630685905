"""Reading for a card or chart: only what the session user may read (site isolation applies because
every read goes through ``frappe.get_list``, which adds the app's permission query conditions)."""

from __future__ import annotations

import frappe


def can_read(doctype: str) -> bool:
	"""A user without read permission on ``doctype`` sees zeros, never an error on the workspace."""
	return bool(frappe.has_permission(doctype, "read"))


def read(doctype: str, **kwargs) -> list[dict]:
	"""``frappe.get_list`` for the session user, or nothing when the user may not read ``doctype``."""
	if not can_read(doctype):
		return []
	return frappe.get_list(doctype, limit_page_length=0, **kwargs)


def parse_filters(filters) -> frappe._dict:
	"""A card's or chart's filters (JSON or dict; a list of filter rows carries none of ours)."""
	parsed = frappe.parse_json(filters) if filters else {}
	return frappe._dict(parsed if isinstance(parsed, dict) else {})


def site_filter(filters: dict) -> dict:
	"""The optional ``site`` filter of a chart (the permission layer still applies on top)."""
	return {"site": filters.site} if filters.get("site") else {}
