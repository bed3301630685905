"""What every Desk report of the app shares: the sites the user may read (site isolation), the date
filters and the first lines of a report's answer. The reports query with ``frappe.qb`` and restrict
every query to these sites (deny by default: no grant, no rows)."""

from __future__ import annotations

import datetime as dt

import frappe
from frappe import _
from frappe.utils import add_days, getdate

from yam_agri_core.permissions import get_allowed_sites
from yam_agri_core.rule_bridge import rules_enforced
from yam_agri_core.rules.reporting import check_date_order, sites_to_read


def report_filters(filters: dict | None) -> frappe._dict:
	return frappe._dict(filters or {})


def readable_sites(filters: dict, doctype: str) -> list[str] | None:
	"""The sites the report reads for the session user: ``None`` for all (System Manager, no site
	filter), else a list (empty: nothing to show)."""
	return sites_to_read(get_allowed_sites(frappe.session.user, doctype), filters.get("site"))


def restrict(query, column, sites: list[str] | None):
	"""``query`` restricted to ``sites`` (``None``: unrestricted)."""
	return query if sites is None else query.where(column.isin(sites))


def date_range(filters: dict) -> tuple[dt.date | None, dt.date | None]:
	return (
		getdate(filters.from_date) if filters.get("from_date") else None,
		getdate(filters.to_date) if filters.get("to_date") else None,
	)


def within_dates(query, column, filters: dict, datetime_column: bool = False):
	"""``query`` restricted to ``from_date``..``to_date`` inclusive; on a Datetime column the end is
	the start of the next day, so the index on the column is used."""
	start, end = date_range(filters)
	if start:
		query = query.where(column >= start)
	if end:
		query = query.where(column < add_days(end, 1)) if datetime_column else query.where(column <= end)
	return query


def check_dates(filters: dict) -> None:
	"""Refuse dates out of order (a translated ``DateRangeError``)."""
	with rules_enforced():
		check_date_order(*date_range(filters))


def no_site_message() -> str:
	return _("You have no access to the chosen site, or no site is granted to you.")


def archive_filters(filters: dict, fieldnames: tuple[str, ...]) -> dict:
	"""A report's filters as the readings archive reads them (``monitoring.archive_read``): the named
	fields that are set, and the report's period as ``[from, to)``."""
	start, end = date_range(filters)
	found = {f: filters[f] for f in fieldnames if filters.get(f)}
	if start:
		found["from"] = start
	if end:
		found["to"] = add_days(end, 1)
	return found
