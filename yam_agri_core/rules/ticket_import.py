"""Scale ticket import: the bytes of an uploaded CSV or Excel file -> rows ready to become Scale Tickets.

:func:`parse_ticket_file` reads the file (CSV in UTF-8 with or without BOM, UTF-16 with BOM or Windows-1256,
delimited by ``,``, ``;`` or tab; or the first sheet of an ``.xlsx``), matches its columns by name (see
:mod:`yam_agri_core.rules.ticket_columns`) and checks each data row on its own. A broken file raises a
:class:`RuleError`; a broken row is returned in :attr:`ParsedFile.rejected` with every rule it breaks, the
good rows in :attr:`ParsedFile.rows`. Rows are numbered from 1 for the first data row under the header;
blank rows keep their number and are skipped.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import math
from dataclasses import dataclass, field

import pandas as pd

from yam_agri_core.rules import weighing
from yam_agri_core.rules.messages import Kind, RuleCollector, RuleError, RuleErrors, _
from yam_agri_core.rules.ticket_columns import (
	ALIASES,
	REQUIRED,
	canonical_column,
	normalise_digits,
	parse_datetimes,
	parse_directions,
	parse_numbers,
)

#: A net weight in the file may differ from gross - tare by this much (the scale rounds each weighing).
NET_TOLERANCE_KG = 1.0
DELIMITERS = (",", ";", "\t")
WEIGHTS = ("gross_kg", "tare_kg", "net_kg", "expected_net_kg")
TEXTS = ("lot", "device", "vehicle", "driver", "operator")

_MISSING = {
	"gross_kg": _("Row {0}: Gross Weight is missing"),
	"tare_kg": _("Row {0}: Tare Weight is missing"),
}
_NOT_A_NUMBER = {
	"gross_kg": _("Row {0}: Gross Weight {1} is not a number"),
	"tare_kg": _("Row {0}: Tare Weight {1} is not a number"),
	"net_kg": _("Row {0}: Net Weight {1} is not a number"),
	"expected_net_kg": _("Row {0}: Expected Net Weight {1} is not a number"),
}


@dataclass(frozen=True)
class TicketRow:
	row: int
	ticket_no: str
	ticket_datetime: dt.datetime
	direction: str
	gross_kg: float
	tare_kg: float
	net_kg: float
	expected_net_kg: float | None = None
	lot: str | None = None
	device: str | None = None
	vehicle: str | None = None
	driver: str | None = None
	operator: str | None = None


@dataclass(frozen=True)
class RejectedRow:
	row: int
	error: RuleError  # a RuleErrors when the row breaks several rules


@dataclass
class ParsedFile:
	rows: list[TicketRow] = field(default_factory=list)
	rejected: list[RejectedRow] = field(default_factory=list)
	unknown_columns: list[str] = field(default_factory=list)
	encoding: str = "utf-8"  # utf-8, utf-8-sig, utf-16, cp1256; "text" when given a str
	file_format: str = "csv"  # csv or xlsx
	delimiter: str = ","  # "" for xlsx


def parse_ticket_file(content: bytes | str, filename: str, now: dt.datetime) -> ParsedFile:
	"""The rows of a scale ticket file; ``now`` (naive, site time) bounds the ticket dates."""
	parsed = ParsedFile()
	table = _read_table(content, filename, parsed)
	header, data = _split_header(table, filename)
	columns, parsed.unknown_columns = map_columns(header, data)
	cells = pd.DataFrame({name: data.iloc[:, position] for name, position in columns.items()})
	cells = cells.apply(lambda column: column.str.strip())
	values = _parse_columns(cells)
	seen: dict[str, int] = {}
	for row, record in zip(data.index.tolist(), values.to_dict("records"), strict=True):
		if not any(record[name] for name in columns):
			continue
		result = check_row(record, row, seen, now)
		if isinstance(result, TicketRow):
			parsed.rows.append(result)
		else:
			parsed.rejected.append(RejectedRow(row, result))
	return parsed


def ticket_values(row: TicketRow, site: str) -> dict:
	"""The fields of the Scale Ticket of ``row`` on ``site`` (``operator`` is a field still to come)."""
	return {
		"ticket_no": row.ticket_no,
		"site": site,
		"ticket_datetime": row.ticket_datetime,
		"direction": row.direction,
		"gross_kg": row.gross_kg,
		"tare_kg": row.tare_kg,
		"net_kg": row.net_kg,
		"expected_net_kg": row.expected_net_kg,
		"lot": row.lot,
		"device": row.device,
		"vehicle": row.vehicle,
		"driver": row.driver,
		"operator": row.operator,
	}


# --- reading the file ---------------------------------------------------------------------------------


def _read_table(content: bytes | str, filename: str, parsed: ParsedFile) -> pd.DataFrame:
	"""Every cell of the file as text ("" when blank), no header taken yet."""
	name = (filename or "").strip().lower()
	if (isinstance(content, bytes) and content.startswith(b"\xd0\xcf\x11\xe0")) or name.endswith(".xls"):
		raise RuleError(
			Kind.VALIDATION, _("Excel 97-2003 (.xls) files cannot be read; save the file as .xlsx or CSV")
		)
	if isinstance(content, bytes) and (
		content.startswith(b"PK\x03\x04") or name.endswith((".xlsx", ".xlsm"))
	):
		parsed.file_format, parsed.encoding, parsed.delimiter = "xlsx", "utf-8", ""
		return _read_xlsx(content, filename)
	text, parsed.encoding = decode(content)
	parsed.delimiter = sniff_delimiter(text)
	try:
		table = pd.read_csv(
			io.StringIO(text),
			sep=parsed.delimiter,
			header=None,
			dtype=str,
			keep_default_na=False,
			skip_blank_lines=False,
		)
	except pd.errors.EmptyDataError:
		raise RuleError(Kind.VALIDATION, _("The file {0} is empty"), filename)
	except pd.errors.ParserError as error:
		raise RuleError(Kind.VALIDATION, _("The file {0} cannot be read as CSV: {1}"), filename, error)
	return table.fillna("")


def _read_xlsx(content: bytes, filename: str) -> pd.DataFrame:
	try:
		table = pd.read_excel(
			io.BytesIO(content),
			sheet_name=0,
			header=None,
			dtype=str,
			keep_default_na=False,
			engine="openpyxl",
		)
	except Exception:  # zipfile, openpyxl and pandas each raise their own kind for a damaged workbook
		raise RuleError(
			Kind.VALIDATION, _("The file {0} is not an Excel (.xlsx) workbook that can be read"), filename
		)
	return table.fillna("")


def decode(content: bytes | str) -> tuple[str, str]:
	"""The text of a CSV file and the encoding it was read in: UTF-8 (strictly) first, else Windows-1256."""
	if isinstance(content, str):
		return content.removeprefix("\ufeff"), "text"
	if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
		return content.decode("utf-16"), "utf-16"
	try:
		text = content.decode("utf-8-sig")
	except UnicodeDecodeError:
		return content.decode("cp1256"), "cp1256"
	return text, "utf-8-sig" if content.startswith(codecs.BOM_UTF8) else "utf-8"


def sniff_delimiter(text: str) -> str:
	"""The delimiter seen most often in the header line (``,`` when none is seen)."""
	header = next((line for line in text.splitlines() if line.strip()), "")
	counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
	best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
	return best if counts[best] else ","


def _split_header(table: pd.DataFrame, filename: str) -> tuple[list[str], pd.DataFrame]:
	"""The header (the first row that is not blank) and the data rows under it, numbered from 1."""
	table = table.astype(str)
	filled = table.apply(lambda column: column.str.strip() != "").any(axis=1)
	if not filled.any():
		raise RuleError(Kind.VALIDATION, _("The file {0} is empty"), filename)
	start = int(filled.to_numpy().argmax())
	header = [str(cell).strip() for cell in table.iloc[start]]
	data = table.iloc[start + 1 :].reset_index(drop=True)
	data.index = data.index + 1
	return header, data


def map_columns(header: list[str], data: pd.DataFrame) -> tuple[dict[str, int], list[str]]:
	"""Canonical column -> position, and the headers of the columns not understood (blank ones unnamed)."""
	columns: dict[str, int] = {}
	unknown: list[str] = []
	for position, name in enumerate(header):
		canonical = canonical_column(name) if name else None
		if canonical is None:
			if name or (data.iloc[:, position].str.strip() != "").any():
				unknown.append(name or f"#{position + 1}")
			continue
		if canonical in columns:
			raise RuleError(
				Kind.VALIDATION,
				_("Columns {0} and {1} are both read as {2}; keep only one of them"),
				header[columns[canonical]],
				name,
				canonical,
				field=canonical,
			)
		columns[canonical] = position
	missing = [name for name in REQUIRED if name not in columns]
	if missing:
		names = ", ".join(f"{name} ({ALIASES[name][1]})" if name != "ticket_no" else name for name in missing)
		raise RuleError(Kind.VALIDATION, _("The file has no column for {0}"), names, field=missing[0])
	return columns, unknown


def _parse_columns(cells: pd.DataFrame) -> pd.DataFrame:
	"""The text cells plus, under ``<column>#``, their parsed values (NaN / NaT when not understood)."""
	values = cells.copy()
	values["ticket_no"] = normalise_digits(cells["ticket_no"])
	for name in WEIGHTS:
		if name in cells:
			values[f"{name}#"] = parse_numbers(cells[name])
	values["ticket_datetime#"] = parse_datetimes(cells["ticket_datetime"])
	if "direction" in cells:
		values["direction#"] = parse_directions(cells["direction"])
	return values


# --- checking a row -----------------------------------------------------------------------------------


def check_row(record: dict, row: int, seen: dict[str, int], now: dt.datetime) -> TicketRow | RuleError:
	"""The ticket of one row, or the error (a RuleErrors for several) listing every rule it breaks.

	``seen`` maps the ticket numbers of earlier rows (case-folded, as the database compares them) to their
	row; this row's number is added to it when it is new.
	"""
	found = RuleCollector()
	ticket_no = _ticket_no(record, row, seen, found)
	ticket_datetime = _ticket_datetime(record, row, now, found)
	direction = _direction(record, row, found)
	weights = _weights(record, row, found)
	if found:
		return found.errors[0] if len(found) == 1 else RuleErrors(found.errors)
	return TicketRow(
		row=row,
		ticket_no=ticket_no,
		ticket_datetime=ticket_datetime,
		direction=direction,
		**weights,
		**{name: record.get(name) or None for name in TEXTS},
	)


def _ticket_no(record: dict, row: int, seen: dict[str, int], found: RuleCollector) -> str:
	ticket_no = record["ticket_no"]
	if not ticket_no:
		found.add(Kind.VALIDATION, _("Row {0}: Ticket No is missing"), row, field="ticket_no")
		return ticket_no
	first = seen.setdefault(ticket_no.casefold(), row)
	if first != row:
		found.add(
			Kind.VALIDATION,
			_("Row {0}: Ticket No {1} is already on row {2}"),
			row,
			ticket_no,
			first,
			field="ticket_no",
		)
	return ticket_no


def _ticket_datetime(record: dict, row: int, now: dt.datetime, found: RuleCollector) -> dt.datetime | None:
	text, value = record["ticket_datetime"], record["ticket_datetime#"]
	if not text:
		found.add(Kind.DATES, _("Row {0}: Date is missing"), row, field="ticket_datetime")
	elif pd.isna(value):
		found.add(
			Kind.DATES,
			_("Row {0}: Date {1} is not a date like 2026-02-23 14:05 or 23/02/2026 14:05"),
			row,
			text,
			field="ticket_datetime",
		)
	elif value > now:
		found.add(Kind.DATES, _("Row {0}: Date {1} is in the future"), row, text, field="ticket_datetime")
	else:
		return value.to_pydatetime()
	return None


def _direction(record: dict, row: int, found: RuleCollector) -> str | None:
	if "direction" not in record:
		return "Inbound"
	text, value = record["direction"], record["direction#"]
	if not text:
		found.add(Kind.VALIDATION, _("Row {0}: Direction is missing"), row, field="direction")
	elif pd.isna(value):
		found.add(
			Kind.VALIDATION,
			_("Row {0}: Direction {1} is not Inbound or Outbound"),
			row,
			text,
			field="direction",
		)
	else:
		return value
	return None


def _number(record: dict, name: str, row: int, found: RuleCollector) -> float | None:
	"""The number in column ``name``; None when it is blank (an error when required) or not a number."""
	text = record.get(name, "")
	if not text:
		if name in _MISSING:
			found.add(Kind.WEIGHT, _MISSING[name], row, field=name)
		return None
	value = record[f"{name}#"]
	if math.isnan(value):
		found.add(Kind.WEIGHT, _NOT_A_NUMBER[name], row, text, field=name)
		return None
	return value


def _weights(record: dict, row: int, found: RuleCollector) -> dict:
	gross, tare, net_given, expected = (_number(record, name, row, found) for name in WEIGHTS)
	if expected is not None and expected < 0:
		found.add(
			Kind.WEIGHT,
			_("Row {0}: Expected Net Weight {1} kg must be greater than zero"),
			row,
			weighing.format_kg(expected),
			field="expected_net_kg",
		)
	if gross is None or tare is None:
		return {}
	try:
		net = weighing.net_weight(gross, tare)
	except RuleError as error:
		_weight_error(error, gross, tare, row, found)
		return {}
	if net_given is not None and round(abs(net_given - net), weighing.WEIGHT_DECIMALS) > NET_TOLERANCE_KG:
		found.add(
			Kind.WEIGHT,
			_("Row {0}: Net Weight {1} kg is not Gross Weight minus Tare Weight ({2} kg)"),
			row,
			weighing.format_kg(net_given),
			weighing.format_kg(net),
			field="net_kg",
		)
	return {"gross_kg": gross, "tare_kg": tare, "net_kg": net, "expected_net_kg": expected or None}


def _weight_error(error: RuleError, gross: float, tare: float, row: int, found: RuleCollector) -> None:
	"""The refusal of :func:`weighing.validate_weights`, said for a row of the file."""
	kg = weighing.format_kg
	if error.field == "gross_kg":
		template, params = _("Row {0}: Gross Weight {1} kg must be greater than zero"), (kg(gross),)
	elif tare < 0:
		template, params = _("Row {0}: Tare Weight {1} kg cannot be negative"), (kg(tare),)
	else:
		template = _("Row {0}: Tare Weight {1} kg must be less than Gross Weight {2} kg")
		params = (kg(tare), kg(gross))
	found.add(Kind.WEIGHT, template, row, *params, field=error.field)
