"""Scale ticket files into submitted Scale Tickets: the engine behind the ``Scale Ticket Import`` form
and ``yam_agri_core.api.import_scale_tickets``.

The pure parser (:mod:`yam_agri_core.rules.ticket_import`) reads the file and refuses the rows that
break a rule by themselves. Here each good row becomes one Scale Ticket, inserted and submitted on its
own under a savepoint, through its controller (weighing, same-site links, unique ticket number,
the mismatch nonconformance): a row refused there leaves nothing behind, the other rows are kept. A
row whose ticket number the site already has is skipped (importing a file twice adds nothing). The
Quality Managers get one mismatch digest per import.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import time
from collections.abc import Callable, Iterable

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import flt, now_datetime, strip_html

from yam_agri_core import store
from yam_agri_core.alerts.imports import alert_import_mismatches
from yam_agri_core.permissions import user_has_site
from yam_agri_core.rule_bridge import throw_rule_error, translate_rule_error
from yam_agri_core.rules import weighed, weighing
from yam_agri_core.rules.messages import RuleError, RuleErrors
from yam_agri_core.rules.ticket_import import ParsedFile, TicketRow, parse_ticket_file, ticket_values
from yam_agri_core.traceability.doctype.lot.lot import add_weighing_notes, settle_weighed_quantity

#: Files with more rows than this run as a background job (Desk) instead of within the request.
BACKGROUND_ROWS = 500
#: A background import commits after this many rows (the rows are independent; a crash keeps what is
#: done and a re-run skips it), so it never holds the naming series' lock for the whole file.
COMMIT_EVERY = 500
#: Progress is published every this many rows.
PROGRESS_EVERY = 100
SAVEPOINT = "yam_ticket_import_row"
LOOKUP_CHUNK = 1000

Progress = Callable[[int, int], None]


# --- entry points ------------------------------------------------------------------------------------


def check_import_permission(site: str | None) -> None:
	"""Only a user who may create and submit Scale Tickets of ``site`` imports into it."""
	if not site or not frappe.db.exists("Site", site):
		frappe.throw(_("Site {0} does not exist").format(site or ""), exc=frappe.ValidationError)
	if not (
		frappe.has_permission("Scale Ticket", "create")
		and frappe.has_permission("Scale Ticket", "submit")
		and user_has_site(site, doctype="Scale Ticket")
	):
		frappe.throw(
			_("You are not permitted to import Scale Tickets into site {0}").format(site),
			exc=frappe.PermissionError,
		)


def import_scale_tickets(
	site: str,
	content: bytes | str,
	filename: str = "tickets.csv",
	dry_run: bool = False,
	import_batch: str | None = None,
	progress: Progress | None = None,
	commit_every: int | None = None,
) -> dict:
	"""Import the tickets of one file into ``site``; see :func:`run_import` for the answer."""
	check_import_permission(site)
	return run_import(site, parse_file(content, filename), dry_run, import_batch, progress, commit_every)


def parse_file(content: bytes | str, filename: str) -> ParsedFile:
	"""The parsed file; a file that cannot be read at all is refused with a translated error."""
	if not content:
		frappe.throw(_("The file {0} is empty").format(filename), exc=frappe.ValidationError)
	try:
		return parse_ticket_file(content, filename, now_datetime())
	except RuleError as error:
		throw_rule_error(error)


def request_content(content: str | bytes | None, filename: str) -> tuple[bytes | str, str]:
	"""The file of an API call: ``content`` (base64 text for an Excel file) or a multipart ``file``."""
	upload = (
		frappe.request.files.get("file")
		if getattr(frappe, "request", None) and frappe.request.files
		else None
	)
	if not content and upload:
		return upload.stream.read(), upload.filename or filename
	if isinstance(content, str) and filename.strip().lower().endswith((".xlsx", ".xlsm")):
		try:
			return base64.b64decode(content, validate=True), filename
		except binascii.Error:
			frappe.throw(_("An Excel file sent as text must be base64"), exc=frappe.ValidationError)
	return content or b"", filename


# --- the import --------------------------------------------------------------------------------------


def run_import(
	site: str,
	parsed: ParsedFile,
	dry_run: bool = False,
	import_batch: str | None = None,
	progress: Progress | None = None,
	commit_every: int | None = None,
) -> dict:
	"""``{"imported": [{row, ticket, ticket_no, net_kg, mismatch_flag, nonconformance}], "skipped":
	[{row, ticket_no, ticket, reason}], "rejected": [{row, error}]}`` plus what was read of the file.

	A dry run does everything but keep it: each row is rolled back after its submit, no alert is sent
	and ``ticket`` / ``nonconformance`` are blank. ``commit_every`` (background jobs only) commits
	after that many rows.
	"""
	result = {
		"imported": [],
		"skipped": [],
		"rejected": [{"row": r.row, "error": row_error_text(r.error)} for r in parsed.rejected],
	}
	existing = existing_tickets(site, [row.ticket_no for row in parsed.rows])
	expecting = lot_expectations(
		site,
		(
			row.lot
			for row in parsed.rows
			if row.lot and row.direction == "Inbound" and not row.expected_net_kg
		),
	)
	scale = only_scale(site)
	mismatched: list[dict] = []
	weighed_lots: set[str] = set()
	total = len(parsed.rows)
	with store.memoized():
		for done, row in enumerate(parsed.rows, start=1):
			holder = existing.get(row.ticket_no.casefold())
			if holder:
				result["skipped"].append(skipped_row(row, holder))
			else:
				outcome = import_row(
					site,
					row,
					dry_run,
					import_batch,
					expecting.expected(row.lot, row.direction, row.expected_net_kg),
					scale,
				)
				result["rejected" if "error" in outcome else "imported"].append(outcome)
				if outcome.get("mismatch_flag") and not dry_run:
					mismatched.append(outcome["_doc"])
				if "error" not in outcome and outcome["_doc"].weighs_a_lot():
					weighed_lots.add(outcome["_doc"].lot)
					expecting.weighed(outcome["_doc"].lot, outcome["net_kg"])
			if commit_every and done % commit_every == 0:
				settle_lots(weighed_lots, dry_run, import_batch)
				end_chunk(dry_run)
			if progress and (done % PROGRESS_EVERY == 0 or done == total):
				progress(done, total)
	settle_lots(weighed_lots, dry_run, import_batch)
	if mismatched:
		alert_import_mismatches(site, mismatched, import_batch)
	for outcome in result["imported"]:
		outcome.pop("_doc", None)
	result["rejected"].sort(key=lambda r: r["row"])
	result.update(
		dry_run=int(bool(dry_run)),
		unknown_columns=parsed.unknown_columns,
		encoding=parsed.encoding,
		file_format=parsed.file_format,
	)
	return result


def settle_lots(lots: set[str], dry_run: bool, import_batch: str | None) -> None:
	"""Each lot the file weighed is settled once (``rules.weighed``: weighed quantity, difference,
	deduction, one timeline comment), not once per ticket; lots in name order, as transfers lock them."""
	if not dry_run:
		reason = (
			_("Scale Ticket Import {0}").format(import_batch) if import_batch else _("Scale ticket import")
		)
		notes: list[tuple[str, str]] = []
		for lot in sorted(lots):
			settle_weighed_quantity(lot, reason, notes)
		add_weighing_notes(notes)  # one insert for the file's timeline notes
	lots.clear()


def end_chunk(dry_run: bool) -> None:
	"""Background jobs only: keep a chunk of independent rows (a dry run kept nothing) and release the
	locks its rows took, the naming series' among them."""
	if dry_run:
		frappe.db.rollback()
	else:
		frappe.db.commit()  # a background job keeps each chunk; a re-run skips what it kept


def import_row(
	site: str,
	row: TicketRow,
	dry_run: bool,
	import_batch: str | None,
	lot_expects_kg: float | None = None,
	scale: str | None = None,
) -> dict:
	"""Insert and submit the ticket of one row under a savepoint; its outcome (``error`` when refused).

	``lot_expects_kg`` is what the row's lot still expects for a row without an expected net weight
	(``weighing.expected_of_truck``, counting the file's earlier rows of the lot, which a dry run rolls
	back before the controller could count them); ``scale`` the site's only active scale, the device of
	a row that names none."""
	frappe.db.savepoint(SAVEPOINT)
	try:
		values = ticket_values(row, site)
		values["device"] = values["device"] or scale
		if not values["expected_net_kg"] and lot_expects_kg:
			values.update(expected_net_kg=lot_expects_kg, expected_from_lot=1)
		doc = frappe.get_doc(
			{
				"doctype": "Scale Ticket",
				**values,
				"import_batch": import_batch,
				"docstatus": 1,  # inserted and submitted in one step, through every controller method
			}
		)
		doc.flags.defer_mismatch_alert = True  # one digest for the file (alerts/imports.py)
		doc.flags.defer_lot_settlement = True  # each lot settled once for the file (settle_lots)
		doc.flags.notify_update = False  # no realtime event per imported ticket
		doc.insert()
	except RuleError as error:
		frappe.db.rollback(save_point=SAVEPOINT)
		return {"row": row.row, "error": row_error_text(error)}
	except (frappe.ValidationError, frappe.PermissionError) as error:
		frappe.db.rollback(save_point=SAVEPOINT)
		return {"row": row.row, "error": row_message(row.row, error)}
	finally:
		frappe.clear_messages()
	if dry_run:
		frappe.db.rollback(save_point=SAVEPOINT)
	return {
		"row": row.row,
		"ticket": None if dry_run else doc.name,
		"ticket_no": doc.ticket_no,
		"net_kg": doc.net_kg,
		"mismatch_flag": doc.mismatch_flag,
		"nonconformance": None if dry_run else doc.nonconformance,
		"_doc": doc,
	}


def skipped_row(row: TicketRow, holder: str) -> dict:
	return {
		"row": row.row,
		"ticket_no": row.ticket_no,
		"ticket": holder,
		"reason": _("Row {0}: Ticket No {1} is already imported as Scale Ticket {2}").format(
			row.row, row.ticket_no, holder
		),
	}


def existing_tickets(site: str, ticket_nos: Iterable[str]) -> dict[str, str]:
	"""Case-folded ticket number -> the Scale Ticket (not cancelled) of ``site`` that holds it, read in
	one query per thousand numbers."""
	ticket_nos = sorted({t for t in ticket_nos if t})
	Ticket = frappe.qb.DocType("Scale Ticket")
	found: dict[str, str] = {}
	for start in range(0, len(ticket_nos), LOOKUP_CHUNK):
		chunk = ticket_nos[start : start + LOOKUP_CHUNK]
		rows = (
			frappe.qb.from_(Ticket)
			.select(Ticket.ticket_no, Ticket.name)
			.where((Ticket.site == site) & (Ticket.docstatus < 2) & Ticket.ticket_no.isin(chunk))
			.run()
		)
		found.update({ticket_no.casefold(): name for ticket_no, name in rows})
	return found


def only_scale(site: str) -> str | None:
	"""The site's scale when it has exactly one active Scale device."""
	scales = frappe.get_all(
		"Device", filters={"site": site, "device_type": "Scale", "is_active": 1}, pluck="name", limit=2
	)
	return scales[0] if len(scales) == 1 else None


def lot_expectations(site: str, lots: Iterable[str]) -> weighing.LotExpectations:
	"""The named lots of ``site`` (a lot of another site is refused by the controller): declared at
	receipt and weighed so far, read in three queries per thousand lots."""
	lots = sorted(set(lots))
	Lot = frappe.qb.DocType("Lot")
	Ticket = frappe.qb.DocType("Scale Ticket")
	Row = frappe.qb.DocType("Lot Transfer Destination")
	declared: dict[str, float] = {}
	added: dict[str, float] = {}
	weighed_kg: dict[str, float] = {}
	for start in range(0, len(lots), LOOKUP_CHUNK):
		chunk = lots[start : start + LOOKUP_CHUNK]
		declared.update(
			frappe.qb.from_(Lot)
			.select(Lot.name, Lot.declared_qty_kg)
			.where(Lot.name.isin(chunk) & (Lot.site == site))
			.run()
		)
		added.update(
			frappe.qb.from_(Row)
			.select(Row.lot, Sum(Row.qty_kg))
			.where(Row.lot.isin(chunk) & (Row.docstatus == 1) & (Row.lot_created == 0))
			.groupby(Row.lot)
			.run()
		)
		weighed_kg.update(
			frappe.qb.from_(Ticket)
			.select(Ticket.lot, Sum(Ticket.net_kg))
			.where(Ticket.lot.isin(chunk) & (Ticket.direction == "Inbound") & (Ticket.docstatus == 1))
			.groupby(Ticket.lot)
			.run()
		)
	at_receipt = {lot: weighed.declared_at_receipt(qty, added.get(lot)) for lot, qty in declared.items()}
	return weighing.LotExpectations(at_receipt, {lot: flt(kg) for lot, kg in weighed_kg.items()})


# --- messages ----------------------------------------------------------------------------------------


def row_error_text(error: RuleError) -> str:
	"""A parser refusal (each message already names its row), translated; several joined by ``; ``."""
	errors = error.errors if isinstance(error, RuleErrors) else [error]
	return "; ".join(translate_rule_error(e) for e in errors)


def row_message(row: int, error: Exception) -> str:
	"""A controller's refusal of a row, said for that row."""
	text = strip_html(str(error)).strip() or _(type(error).__name__)
	return _("Row {0}: {1}").format(row, text)


def summary(result: dict) -> dict[str, int]:
	return {
		"imported": len(result["imported"]),
		"skipped": len(result["skipped"]),
		"rejected": len(result["rejected"]),
		"mismatches": sum(1 for r in result["imported"] if r.get("mismatch_flag")),
	}


def error_report_csv(result: dict) -> str:
	"""The refused rows as CSV (UTF-8 with BOM, so Excel shows Arabic): row number and reason."""
	out = io.StringIO()
	writer = csv.writer(out)
	writer.writerow([_("Row"), _("Reason")])
	for rejected in result["rejected"]:
		writer.writerow([rejected["row"], rejected["error"]])
	return "\ufeff" + out.getvalue()


# --- the background job of a long file ------------------------------------------------------------


def import_job_id(name: str) -> str:
	return f"yam_scale_ticket_import::{name}"


def run_import_job(import_name: str, dry_run: bool = False) -> None:
	"""The background job of a long file: progress on the form, chunks committed, a notification at the
	end; a crash marks the import Failed with its reason (the rows already committed stay)."""
	doc = frappe.get_doc("Scale Ticket Import", import_name)
	started = time.monotonic()

	def progress(done: int, total: int) -> None:
		frappe.publish_progress(
			done * 100 / (total or 1),
			title=_("Previewing scale tickets") if dry_run else _("Importing scale tickets"),
			doctype=doc.doctype,
			docname=doc.name,
			description=_("{0} of {1} rows").format(done, total),
		)

	try:
		check_import_permission(doc.site)
		parsed = doc.parse()
		result = run_import(
			doc.site,
			parsed,
			dry_run,
			import_batch=doc.name,
			progress=progress,
			commit_every=COMMIT_EVERY,
		)
		if dry_run:
			frappe.db.rollback()  # the savepoints kept nothing; release the locks the rows took
		doc.reload()
		doc.record_result(result, len(parsed.rows) + len(parsed.rejected), time.monotonic() - started)
	except Exception as error:
		frappe.db.rollback()
		doc.reload()
		doc.add_log(_("The import stopped: {0}").format(frappe.utils.strip_html(str(error))))
		doc.db_set({"status": "Failed", "import_log": doc.import_log})
		frappe.log_error(title=_("Scale Ticket Import {0} failed").format(doc.name))
	frappe.db.commit()  # a background job keeps its result
	notify_done(doc)


def notify_done(doc) -> None:
	frappe.get_doc(
		{
			"doctype": "Notification Log",
			"for_user": frappe.session.user,
			"from_user": "Administrator",
			"type": "Alert",
			"subject": _("Scale Ticket Import {0}: {1}").format(doc.name, _(doc.status)),
			"email_content": doc.import_log,
			"document_type": doc.doctype,
			"document_name": doc.name,
		}
	).insert(ignore_permissions=True)
	doc.notify_update()
	frappe.db.commit()  # a background job keeps its notification
