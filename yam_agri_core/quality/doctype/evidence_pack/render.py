"""The files of an Evidence Pack: its PDF (cover with scope and counts, one section per kind,
right-to-left in Arabic) and its ZIP (the PDF, one CSV per kind, the included records' attachments and
manifest.json with each file's size and SHA-256)."""

from __future__ import annotations

import csv
import io
import zipfile

import frappe
from frappe import _
from frappe.utils import get_fullname, now_datetime
from frappe.utils.pdf import get_pdf

from yam_agri_core.printing import site_label
from yam_agri_core.rules import evidence
from yam_agri_core.rules.printing import text_direction

from .gather import FIELDS

SUMMARY_FIELDS = ["device", "metric", "unit", "day", "count", "min", "mean", "max"]
SUMMARY_LABELS = ("Device", "Metric", "Unit", "Day", "Count", "Minimum", "Mean", "Maximum")
TEMPLATE = "yam_agri_core/templates/evidence/evidence_pack.html"


def render_pdf(pack, records: dict, summary: list, counts: dict) -> bytes:
	lang = frappe.local.lang
	context = {
		"doc": pack,
		"lang": lang,
		"dir": text_direction(lang),
		"site": site_label(pack.site),
		"counts": counts,
		"kinds": [
			{
				"key": key,
				"label": _(label),
				"columns": columns(doctype, FIELDS[key]),
				"rows": formatted(doctype, FIELDS[key], records[key]),
			}
			for key, doctype, label in evidence.KINDS
		],
		"summary": summary,
		"summary_columns": [(f, _(label)) for f, label in zip(SUMMARY_FIELDS, SUMMARY_LABELS, strict=True)],
		"printed_on": frappe.format(now_datetime(), {"fieldtype": "Datetime"}),
		"printed_by": get_fullname(frappe.session.user),
	}
	html = frappe.render_template(TEMPLATE, context)
	return get_pdf(html, {"orientation": "Landscape", "page-size": "A4"})


def columns(doctype: str, fields: list[str]) -> list[tuple[str, str]]:
	"""(fieldname, translated label) of each column (the site column is the pack's own: left out)."""
	meta = frappe.get_meta(doctype)
	return [(f, _(meta.get_label(f)) if f != "name" else _("ID")) for f in fields if f != "site"]


def formatted(doctype: str, fields: list[str], rows: list) -> list[dict]:
	"""Each row's cells as the reader reads them: dates in the user's format, options translated."""
	meta = frappe.get_meta(doctype)
	dfs = {f: meta.get_field(f) for f in fields}
	out = []
	for row in rows:
		cells = {}
		for f in fields:
			value, df = row.get(f), dfs[f]
			if value in (None, ""):
				cells[f] = ""
			elif f == "creation":
				cells[f] = frappe.format(value, {"fieldtype": "Datetime"})
			elif df and df.fieldtype == "Select":
				cells[f] = _(value)
			elif df and df.fieldtype == "Check":
				cells[f] = _("Yes") if value else _("No")
			elif df:
				cells[f] = frappe.format(value, df)
			else:
				cells[f] = value
		out.append(cells)
	return out


def csv_bytes(fields: list[str], rows: list) -> bytes:
	out = io.StringIO()
	writer = csv.writer(out, lineterminator="\r\n")
	writer.writerow(fields)
	for row in rows:
		writer.writerow(["" if row.get(f) is None else row.get(f) for f in fields])
	return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens Arabic text as UTF-8


def pack_files(pack, pdf: bytes, records: dict, summary: list, files: list) -> dict[str, bytes]:
	"""Every file of the ZIP but the manifest, by its path in the ZIP."""
	content = {f"{pack.name}.pdf": pdf}
	for key, _doctype, _label in evidence.KINDS:
		content[f"csv/{key}.csv"] = csv_bytes(FIELDS[key], records[key])
	content["csv/reading_summary.csv"] = csv_bytes(SUMMARY_FIELDS, summary)
	for row in files:
		path = evidence.safe_file_name(row.attached_to_doctype, row.attached_to_name, row.file_name)
		content[path] = frappe.get_doc("File", row.name).get_content() or b""
		if isinstance(content[path], str):
			content[path] = content[path].encode("utf-8")
	return content


def zip_bytes(files: dict[str, bytes], manifest: bytes) -> bytes:
	out = io.BytesIO()
	with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
		for path, content in sorted(files.items()):
			archive.writestr(path, content)
		archive.writestr("manifest.json", manifest)
	return out.getvalue()


def manifest_header(pack, counts: dict) -> dict:
	return {
		"pack": pack.name,
		"site": pack.site,
		"lot": pack.lot or None,
		"from_date": str(pack.from_date),
		"to_date": str(pack.to_date),
		"generated_on": str(now_datetime()),
		"generated_by": frappe.session.user,
		"counts": counts,
	}


def attach(pack, fieldname: str, file_name: str, content: bytes) -> str:
	"""Attach ``content`` privately to the pack, replacing what ``fieldname`` held before."""
	for old in frappe.get_all(
		"File",
		filters={
			"attached_to_doctype": pack.doctype,
			"attached_to_name": pack.name,
			"attached_to_field": fieldname,
		},
		pluck="name",
	):
		frappe.delete_doc("File", old, ignore_permissions=True, force=True)
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": file_name,
			"attached_to_doctype": pack.doctype,
			"attached_to_name": pack.name,
			"attached_to_field": fieldname,
			"is_private": 1,
			"content": content,
		}
	).insert(ignore_permissions=True)
	return file.file_url
