"""The bridge from pure rules to Frappe: a broken rule (``RuleError``) becomes a translated
``frappe.ValidationError`` subclass; same-site link checks read linked records and ask the rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import frappe
from frappe import _
from frappe.utils import format_date, format_datetime

from yam_agri_core import store
from yam_agri_core.exceptions import ERRORS_BY_KIND
from yam_agri_core.permissions import user_has_site
from yam_agri_core.rules.messages import RuleError, RuleErrors
from yam_agri_core.rules.sites import LinkedRecord, check_same_site


@contextmanager
def rules_enforced() -> Iterator[None]:
	"""Run rule steps; a broken rule becomes a translated ``frappe.ValidationError`` subclass."""
	try:
		yield
	except RuleError as error:
		throw_rule_error(error)


def throw_rule_error(error: RuleError) -> None:
	errors = error.errors if isinstance(error, RuleErrors) else [error]
	messages = [translate_rule_error(e) for e in errors]
	message = messages[0] if len(messages) == 1 else "<br>".join(f"• {m}" for m in messages)
	frappe.throw(message, exc=ERRORS_BY_KIND[error.kind], title=_("Not Saved"))


def translate_rule_error(error: RuleError) -> str:
	return translate_template(error.template, error.params)


def translate_template(template: str, params: Iterable[object]) -> str:
	return _(template).format(*(_translate_param(p) for p in params))


def _translate_param(value: object) -> str:
	if isinstance(value, dt.datetime):
		return format_datetime(value)
	if isinstance(value, dt.date):
		return format_date(value)
	if isinstance(value, float):
		return frappe.format_value(value, {"fieldtype": "Float"})
	if isinstance(value, str):
		return _(value)
	return str(value)


def check_links_same_site(doc, fields: Iterable[tuple[str, str]]) -> None:
	"""Every filled link in ``fields`` ((fieldname, DocType) pairs) must belong to ``doc.site``.

	Sites of linked records are read without permission checks: the rule is about the data. A linked
	record of a site the user may not see is refused as not found at the record's site, naming nothing
	of it (``rules.sites.check_same_site``).
	"""
	linked = []
	for fieldname, doctype in fields:
		name = doc.get(fieldname)
		if not name:
			continue
		site = store.site_of(doctype, name)
		linked.append(
			LinkedRecord(
				fieldname=fieldname,
				label=_(doc.meta.get_label(fieldname)),
				doctype=doctype,
				name=name,
				site=site,
				visible=not site or user_has_site(site, doctype=doctype),
			)
		)
	with rules_enforced():
		check_same_site(doc.site, linked)


def session_roles() -> set[str]:
	return set(frappe.get_roles())
