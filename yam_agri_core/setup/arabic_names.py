"""Record names in the reader's language, and both languages searchable in the admin's dropdowns.

Sites and crops carry their Arabic name (``site_name_ar``, ``crop_name_ar``; the print formats use it).
Desk shows a record by its name or title through ``__()`` (links, list columns, reports): each record's
English name is kept as a Frappe *Translation* to its Arabic name, so Desk shows the Arabic name to an
Arabic reader (Site and Crop are translated DocTypes). The fixed crop list is in ar.csv too.

Frappe searches a translated DocType (DocType, Role, Role Profile, Site, Crop) in the reader's language
only: in Arabic, the runbook's "Site" or "YAM Silo Operator" found nothing. ``search_both_languages`` (the
``standard_queries`` of those DocTypes) matches the typed text against the name and its translation.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import cint

#: DocType -> (English name field, Arabic name field)
ARABIC_NAME_FIELDS = {"Site": ("site_name", "site_name_ar"), "Crop": ("crop_name", "crop_name_ar")}

LANGUAGE = "ar"


def keep_arabic_name(doc, method=None) -> None:
	"""Site / Crop ``on_update``: the record's English name translates to its Arabic name."""
	english_field, arabic_field = ARABIC_NAME_FIELDS[doc.doctype]
	set_translation(doc.get(english_field), doc.get(arabic_field))


def set_translation(source: str | None, arabic: str | None) -> None:
	source, arabic = (source or "").strip(), (arabic or "").strip()
	if not source or not arabic or source == arabic:
		return
	existing = frappe.db.get_value(
		"Translation",
		{"language": LANGUAGE, "source_text": source, "context": ("in", ("", None))},
		["name", "translated_text"],
		as_dict=True,
	)
	if existing and existing.translated_text == arabic:
		return
	if existing:
		doc = frappe.get_doc("Translation", existing.name)
		doc.translated_text = arabic
		doc.save(ignore_permissions=True)
	else:
		frappe.get_doc(
			{"doctype": "Translation", "language": LANGUAGE, "source_text": source, "translated_text": arabic}
		).insert(ignore_permissions=True)


def sync_arabic_names() -> None:
	"""Every site's and crop's name translation (install and the patch for sites made before)."""
	if not frappe.db.exists("Language", LANGUAGE):
		return
	for doctype, (english_field, arabic_field) in ARABIC_NAME_FIELDS.items():
		for row in frappe.get_all(doctype, fields=[english_field, arabic_field]):
			set_translation(row.get(english_field), row.get(arabic_field))


@frappe.whitelist()
@frappe.validate_and_sanitize_search_inputs
def search_both_languages(
	doctype: str,
	txt: str,
	searchfield: str,
	start: int,
	page_len: int,
	filters: dict | list | None,
	as_dict: bool = False,
	reference_doctype: str | None = None,
	ignore_user_permissions: bool = False,
):
	"""Link search of a translated DocType matching ``txt`` in English or in the reader's language: each
	result is its name and, as description, the other language's name."""
	meta = frappe.get_meta(doctype)
	title_field = meta.title_field if meta.title_field and meta.title_field != "name" else None
	switches = [
		f for f in ("enabled", "disabled") if meta.get_field(f) and meta.get_field(f).fieldtype == "Check"
	]
	rows = frappe.get_list(
		doctype,
		filters=filters,
		fields=["name", *([title_field] if title_field else []), *switches],
		ignore_permissions=doctype == "DocType",
		reference_doctype=reference_doctype,
		order_by="name asc",
		limit_page_length=0,
	)
	needle = (txt or "").casefold().strip()
	found = []
	for row in rows:
		if ("enabled" in switches and not row.enabled) or ("disabled" in switches and row.disabled):
			continue
		english = [row.name, *([row.get(title_field)] if title_field and row.get(title_field) else [])]
		shown = [_(value) for value in english]
		if needle and not any(needle in value.casefold() for value in [*english, *shown]):
			continue
		starts = any(value.casefold().startswith(needle) for value in [*english, *shown])
		found.append((not starts, shown[-1].casefold(), row, english))
	found.sort(key=lambda item: item[:2])
	start, page_len = cint(start), cint(page_len) or 20
	out = []
	for _starts, _shown, row, english in found[start : start + page_len]:
		if meta.show_title_field_in_link and len(english) > 1:
			second = english[1]  # Frappe shows the (translated) title as the label, the name below it
		else:
			# below the (translated) name: the English name, marked left-to-right (U+200E) so that it has
			# no translation of its own
			second = f"{english[-1]}\u200e" if _(english[-1]) != english[-1] else ""
		out.append({"name": row.name, "description": second} if as_dict else (row.name, second))
	return out
