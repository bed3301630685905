"""The 24-hour sortable trace sheet: one row per tracking event, as FSMA 204's electronic sortable
spreadsheet asks.

Rows (``trace_sheet_rows``) come from the records ``rules.epcis`` exports:

- Harvest: a Harvest lot with a harvest date (its declared quantity; the lot is the reference);
- Receiving: an Inbound scale ticket (its net weight; the ticket and its number are the reference), or
  a lot with a receipt date that no inbound ticket weighed (its declared quantity; the lot);
- Transformation: a row per destination lot of a lot transfer (its quantity), the sources and what each
  gave in Source Lots, every destination in Destination Lots;
- Shipping: an Outbound scale ticket.

Rows are ordered by date, time, event (Harvest, Receiving, Transformation, Shipping) and lot code.
Dates are ``datetime.date`` and times ``datetime.time`` (blank for a date-only event), so a spreadsheet
sorts and filters them as dates. ``sheet_csv`` and ``sheet_xlsx`` write them; the caller passes the
columns with their headers translated (``TRACE_SHEET_COLUMNS`` holds them untranslated).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time

from yam_agri_core.rules.epcis import (
	HARVEST,
	INBOUND,
	OUTBOUND,
	LotRecord,
	SiteRecord,
	TicketRecord,
	TransferRecord,
)
from yam_agri_core.rules.messages import _
from yam_agri_core.rules.transfers import format_kg

EVENT_HARVEST = _("Harvest")
EVENT_RECEIVING = _("Receiving")
EVENT_TRANSFORMATION = _("Transformation")
EVENT_SHIPPING = _("Shipping")
EVENT_ORDER = (EVENT_HARVEST, EVENT_RECEIVING, EVENT_TRANSFORMATION, EVENT_SHIPPING)
DOC_LOT, DOC_TICKET, DOC_TRANSFER = _("Lot"), _("Scale Ticket"), _("Lot Transfer")
UNIT_KG = "kg"

#: (row key, untranslated header) of every column, in order.
TRACE_SHEET_COLUMNS: tuple[tuple[str, str], ...] = (
	("event", _("Tracking Event")),
	("lot_code", _("Traceability Lot Code")),
	("product", _("Product")),
	("variety", _("Variety")),
	("quantity", _("Quantity")),
	("unit", _("Unit of Measure")),
	("location_code", _("Location Code")),
	("location_name", _("Location Name")),
	("event_date", _("Event Date")),
	("event_time", _("Event Time")),
	("source_lots", _("Source Lots")),
	("destination_lots", _("Destination Lots")),
	("supplier", _("Supplier")),
	("reference_type", _("Reference Document Type")),
	("reference_no", _("Reference Document Number")),
)
#: Cell text a spreadsheet would run as a formula (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def trace_sheet_rows(
	lots: Iterable[LotRecord],
	tickets: Iterable[TicketRecord],
	transfers: Iterable[TransferRecord],
	sites: Iterable[SiteRecord],
	translate: Callable[[str], str] = str,
) -> list[dict]:
	"""The trace sheet's rows (see the module docstring). ``translate`` turns the event and document
	type names into the reader's language."""
	lots_by_name = {lot.name: lot for lot in lots}
	site_names = {site.code: site.name for site in sites}
	tickets = [ticket for ticket in tickets if ticket.lot]
	weighed_in = {ticket.lot for ticket in tickets if ticket.direction == INBOUND}

	def row(event: str, lot_name: str, qty: float, site: str, at: date | datetime, **extra) -> dict:
		lot = lots_by_name.get(lot_name)
		return {
			"event": event,
			"lot_code": lot_name,
			"product": lot.crop if lot else "",
			"variety": lot.variety if lot else "",
			"quantity": round(float(qty or 0), 3),
			"unit": UNIT_KG,
			"location_code": site,
			"location_name": site_names.get(site, ""),
			"event_date": at.date() if isinstance(at, datetime) else at,
			"event_time": at.time().replace(microsecond=0) if isinstance(at, datetime) else None,
			"source_lots": "",
			"destination_lots": "",
			"supplier": lot.supplier if lot and event != EVENT_SHIPPING else "",
			**extra,
		}

	rows = []
	for lot in lots_by_name.values():
		if lot.lot_type == HARVEST and lot.harvest_date:
			rows.append(
				row(
					EVENT_HARVEST,
					lot.name,
					lot.declared_qty_kg,
					lot.site,
					lot.harvest_date,
					**_ref(DOC_LOT, lot.name),
				)
			)
		if lot.receipt_date and lot.name not in weighed_in:
			rows.append(
				row(
					EVENT_RECEIVING,
					lot.name,
					lot.declared_qty_kg,
					lot.site,
					lot.receipt_date,
					**_ref(DOC_LOT, lot.name),
				)
			)
	for ticket in tickets:
		event = (
			EVENT_RECEIVING
			if ticket.direction == INBOUND
			else EVENT_SHIPPING
			if ticket.direction == OUTBOUND
			else ""
		)
		if event:
			reference = _ref(DOC_TICKET, ticket.ticket_no or ticket.name, ticket.name)
			rows.append(
				row(event, ticket.lot, ticket.net_kg, ticket.site, ticket.ticket_datetime, **reference)
			)
	for transfer in transfers:
		sources = "; ".join(f"{lot} ({format_kg(kg)} kg)" for lot, kg in transfer.inputs)
		destinations = "; ".join(lot for lot, _kg in transfer.outputs)
		at = transfer.posted_at or transfer.transfer_date
		for lot, kg in transfer.outputs:
			extra = {
				"source_lots": sources,
				"destination_lots": destinations,
				**_ref(DOC_TRANSFER, transfer.name),
			}
			rows.append(row(EVENT_TRANSFORMATION, lot, kg, transfer.site, at, **extra))
	rows.sort(key=_sort_key)
	for each in rows:
		each["event"] = translate(each["event"])
		each["reference_type"] = translate(each["reference_type"])
	return rows


def _ref(doc_type: str, number: str, name: str = "") -> dict:
	"""The reference document: its type and number (a ticket's scale number, with its record name when
	that differs)."""
	number = f"{number} ({name})" if name and name != number else number
	return {"reference_type": doc_type, "reference_no": number}


def _sort_key(row: dict) -> tuple:
	return (row["event_date"], row["event_time"] or time(), EVENT_ORDER.index(row["event"]), row["lot_code"])


# --- writing ---------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
	if value is None:
		return ""
	if isinstance(value, time):
		return value.strftime("%H:%M:%S")
	if isinstance(value, date):
		return value.isoformat()
	if isinstance(value, float):
		return f"{value:.3f}".rstrip("0").rstrip(".")
	text = str(value)
	return "'" + text if text.startswith(_FORMULA_START) else text


def sheet_csv(rows: Sequence[dict], headers: Sequence[tuple[str, str]] = TRACE_SHEET_COLUMNS) -> bytes:
	"""The rows as CSV: UTF-8 with a byte order mark (so Excel reads Arabic right), a header row of
	``headers`` ((row key, header) pairs)."""
	out = io.StringIO(newline="")
	writer = csv.writer(out, lineterminator="\r\n")
	writer.writerow([_cell_text(label) for _key, label in headers])
	for each in rows:
		writer.writerow([_cell_text(each.get(key)) for key, _label in headers])
	return out.getvalue().encode("utf-8-sig")


def sheet_xlsx(
	rows: Sequence[dict],
	headers: Sequence[tuple[str, str]] = TRACE_SHEET_COLUMNS,
	*,
	title: str = "Trace",
	right_to_left: bool = False,
) -> bytes:
	"""The rows as one XLSX sheet: bold frozen header row, auto filter over every column, widths fitted
	to the content, dates and times as real date cells. Text is never read as a formula."""
	from openpyxl import Workbook
	from openpyxl.styles import Font
	from openpyxl.utils import get_column_letter

	workbook = Workbook()
	sheet = workbook.active
	sheet.title = title[:31]
	sheet.sheet_view.rightToLeft = right_to_left
	sheet.append([label for _key, label in headers])
	for cell in sheet[1]:
		cell.font = Font(bold=True)
		cell.data_type = "s"
	for each in rows:
		sheet.append([each.get(key) for key, _label in headers])
	for column in sheet.iter_cols(min_row=2):
		for cell in column:
			_format_cell(cell)
	for index, (key, label) in enumerate(headers, start=1):
		longest = max([len(label), *(len(_cell_text(each.get(key))) for each in rows)])
		sheet.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, 8), 60)
	sheet.freeze_panes = "A2"
	sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(len(rows) + 1, 1)}"
	buffer = io.BytesIO()
	workbook.save(buffer)
	return buffer.getvalue()


def _format_cell(cell) -> None:
	value = cell.value
	if isinstance(value, datetime):
		cell.number_format = "yyyy-mm-dd hh:mm:ss"
	elif isinstance(value, date):
		cell.number_format = "yyyy-mm-dd"
	elif isinstance(value, time):
		cell.number_format = "hh:mm:ss"
	elif isinstance(value, str):
		cell.data_type = "s"
