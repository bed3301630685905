"""PDFs that come back, from Desk and from background jobs, wherever the site runs.

wkhtmltopdf loads the print stylesheet from the URL Frappe gives the page (``frappe.utils.get_url``: the
``host_name`` of the site config, else the request's host, else ``http://`` + the site name). When that host
resolves nowhere -- a bench whose site is ``yam.test``, a background job in a container where the site name is
nobody's address -- wkhtmltopdf stops with ``HostNotFoundError`` and the user gets an error or, from Frappe's
"PDF in background", an empty file.

- :func:`use_reachable_host` (the ``on_print_pdf`` hook, run just before every ``frappe.get_print`` PDF) points
  the page's URLs, for the rest of this request or job, at a static server of the process itself on 127.0.0.1
  (the bench's assets and the site's public files only) when the site's host does not resolve. A site whose host
  resolves (the docker stack sets ``host_name`` to its public URL, which the containers reach too) is left alone.
- :func:`download_multi_pdf_async` replaces Frappe's "PDF in background" (``override_whitelisted_methods``):
  a record that fails to print fails the whole file, the user is told which and why, and no empty or partial
  PDF is ever saved.
"""

from __future__ import annotations

import http
import http.server
import json
import os
import socket
import threading
import uuid
from io import BytesIO
from urllib.parse import unquote, urlparse

import frappe
from frappe import _
from frappe.utils import get_url
from pypdf import PdfWriter

from yam_agri_core.exceptions import YamValidationError

#: documents above which Frappe sends a background print to the long queue
LONG_QUEUE_ABOVE = 20


class PrintFailedError(YamValidationError):
	"""A record of a multi-record PDF could not be printed: no file is made."""


# --- the URL wkhtmltopdf loads the page's assets from ---------------------------------------------------


def host_resolves(host: str) -> bool:
	if not host:
		return False
	try:
		socket.getaddrinfo(host, None)
	except (OSError, UnicodeError):
		return False
	return True


class _AssetHandler(http.server.SimpleHTTPRequestHandler):
	"""GET /<site>/assets/... (sites/assets) and /<site>/files/... (the site's public files), nothing else."""

	sites_path = ""

	def translate_path(self, path: str) -> str:
		parts = unquote(urlparse(path).path).lstrip("/").split("/", 2)
		if len(parts) < 3 or parts[1] not in ("assets", "files"):
			return ""
		site, kind, rest = parts
		base = (
			os.path.join(self.sites_path, "assets")
			if kind == "assets"
			else os.path.join(self.sites_path, site, "public", "files")
		)
		# lexically, not realpath: sites/assets/frappe is the bench's link into apps/frappe; no ".." escapes
		full = os.path.normpath(os.path.join(base, rest))
		return full if full.startswith(base + os.sep) else ""

	def send_head(self):
		if not self.translate_path(self.path):
			self.send_error(404)
			return None
		return super().send_head()

	def list_directory(self, path):  # files only, never a listing
		self.send_error(404)
		return None

	def log_message(self, format, *args):  # quiet: no line per stylesheet in the worker's log
		pass


_asset_server: http.server.ThreadingHTTPServer | None = None


def asset_server_url() -> str:
	"""This process's own static server on 127.0.0.1 (a free port), started once: wkhtmltopdf loads the
	stylesheet and public images of the page from it when the site's URL leads nowhere. The site's name is the
	base path (Frappe joins the base URL and the page's paths as strings), so one server serves every site."""
	global _asset_server
	if _asset_server is None:
		handler = type(
			"AssetHandler", (_AssetHandler,), {"sites_path": os.path.abspath(frappe.local.sites_path)}
		)
		server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
		server.daemon_threads = True
		threading.Thread(target=server.serve_forever, name="yam-pdf-assets", daemon=True).start()
		_asset_server = server
	return f"http://127.0.0.1:{_asset_server.server_address[1]}/{frappe.local.site}"


def use_reachable_host(doctype: str | None = None, name: str | None = None, print_format: str | None = None):
	"""``on_print_pdf`` hook: when the site's URL names a host that resolves nowhere, this request's (or
	job's) URLs point at :func:`asset_server_url`, so wkhtmltopdf can load the stylesheet."""
	host = urlparse(get_url()).hostname or ""
	if host_resolves(host):
		return
	frappe.local.conf.host_name = asset_server_url()


# --- "PDF in background" that fails loudly ---------------------------------------------------------------


def records_to_print(doctype: str | dict, name: str | list | None) -> list[tuple[str, str]]:
	"""(doctype, name) pairs of the two call styles of Frappe's multi-PDF: a dict of doctype -> names, or
	one doctype and a JSON list of names."""
	if isinstance(doctype, str) and doctype.startswith("{"):
		doctype = json.loads(doctype)
	if isinstance(doctype, dict):
		return [(dt, dn) for dt, names in doctype.items() for dn in names]
	names = json.loads(name) if isinstance(name, str) else list(name or [])
	return [(doctype, dn) for dn in names]


@frappe.whitelist()
def download_multi_pdf_async(
	doctype: str | dict,
	name: str | list | None = None,
	format: str | None = None,
	no_letterhead: bool | str = False,
	letterhead: str | None = None,
	options: str | None = None,
) -> dict:
	"""Frappe's "PDF in background" (same arguments, same answer: the task id) through :func:`make_multi_pdf`."""
	records = records_to_print(doctype, name)
	task_id = str(uuid.uuid4())
	frappe.enqueue(
		make_multi_pdf,
		queue="long" if len(records) > LONG_QUEUE_ABOVE else "short",
		records=records,
		print_format=format,
		no_letterhead=no_letterhead,
		letterhead=letterhead,
		options=options,
		task_id=task_id,
		user=frappe.session.user,
		file_stem="_".join(dict.fromkeys(dt for dt, _dn in records)),
	)
	frappe.local.response["http_status_code"] = http.HTTPStatus.CREATED
	return {"task_id": task_id}


def make_multi_pdf(
	records: list,
	print_format: str | None,
	no_letterhead,
	letterhead: str | None,
	options: str | dict | None,
	task_id: str,
	user: str,
	file_stem: str = "",
) -> str:
	"""The background job: every record printed into one PDF, saved as a private File and announced as
	Frappe announces it (``task_complete:<task_id>``). Any record that fails stops it: the user gets a message
	naming the records and the reason, the error is logged, the job fails, and no File is made."""
	if isinstance(options, str):
		options = json.loads(options) if options else None
	writer = PdfWriter()
	failed: list[str] = []
	reason = ""
	for i, (doctype, name) in enumerate(records, start=1):
		try:
			writer = frappe.get_print(
				doctype,
				name,
				print_format,
				as_pdf=True,
				output=writer,
				no_letterhead=no_letterhead,
				letterhead=letterhead,
				pdf_options=dict(options) if options else None,
			)
		except Exception as e:
			failed.append(f"{doctype} {name}")
			if not reason:
				text = str(e).strip()
				reason = text.splitlines()[-1] if text else type(e).__name__
			frappe.log_error(title=_("PDF of {0} {1} failed").format(doctype, name))
		frappe.publish_progress(
			percent=i / len(records) * 100,
			title=_("PDF Generation in Progress"),
			description=_("{0}/{1} complete | Please leave this tab open until completion.").format(
				i, len(records)
			),
			task_id=task_id,
		)
	if failed or not len(writer.pages):
		message = _(
			"The PDF was not made: {0} of {1} records could not be printed ({2}). Reason: {3}"
		).format(len(failed), len(records), ", ".join(failed[:10]), reason or _("no page was printed"))
		frappe.publish_realtime(
			"msgprint",
			{"message": message, "title": _("Bulk PDF Export"), "indicator": "red"},
			user=user,
		)
		raise PrintFailedError(message)
	with BytesIO() as merged:
		writer.write(merged)
		content = merged.getvalue()
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"{file_stem}_{task_id}.pdf" if file_stem else f"{task_id}.pdf",
			"content": content,
			"is_private": 1,
		}
	)
	file.save()
	frappe.publish_realtime(f"task_complete:{task_id}", message={"file_url": file.unique_url}, user=user)
	return file.name
