"""The 24-hour sortable trace sheet: its rows for a known genealogy, and its CSV and XLSX files."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

import pytest
from test_rules_epcis import FARM, LOTS, SILO, SITES, TICKETS, TRANSFERS

from yam_agri_core.rules.epcis import LotRecord, SiteRecord, TicketRecord
from yam_agri_core.rules.trace_sheet import TRACE_SHEET_COLUMNS, sheet_csv, sheet_xlsx, trace_sheet_rows

KEYS = [key for key, _label in TRACE_SHEET_COLUMNS]
ARABIC = {
	"Harvest": "حصاد",
	"Receiving": "استلام",
	"Transformation": "تحويل",
	"Shipping": "شحن",
	"Lot": "دفعة",
	"Scale Ticket": "تذكرة ميزان",
	"Lot Transfer": "تحويل الدفعات",
}


def rows():
	return trace_sheet_rows(LOTS, TICKETS, TRANSFERS, SITES)


def brief(row) -> tuple:
	return (row["event"], row["lot_code"][-1], row["quantity"], row["event_date"].day, row["reference_no"])


def test_rows_of_a_known_genealogy():
	assert [brief(r) for r in rows()] == [
		("Harvest", "1", 1000.0, 1, "LOT-2026-00001"),
		("Shipping", "1", 1000.0, 2, "F-17 (SCL-2026-00001)"),
		# LOT-2's receipt is its inbound ticket (weighed), not a second row from the lot
		("Receiving", "2", 1995.0, 3, "T-901 (SCL-2026-00002)"),
		("Transformation", "3", 2990.0, 4, "LTR-2026-00001"),
		("Transformation", "4", 1500.0, 8, "LTR-2026-00002"),
		("Transformation", "5", 1490.0, 8, "LTR-2026-00002"),
		("Shipping", "4", 1500.0, 9, "T-950 (SCL-2026-00003)"),
	]


def test_every_row_has_the_key_data_elements():
	for row in rows():
		assert list(row) == KEYS
		assert row["unit"] == "kg" and row["product"] == "Wheat"
	harvest, shipped, received, blend, *_rest = rows()
	assert (harvest["location_code"], harvest["location_name"]) == (FARM, "مزرعة سنحان")
	assert (harvest["variety"], harvest["supplier"], harvest["event_time"]) == (
		"Bohoth 13",
		"Ali Farms",
		None,
	)
	assert harvest["reference_type"] == "Lot"
	assert (shipped["event_time"], shipped["supplier"], shipped["reference_type"]) == (
		time(7, 15),
		"",
		"Scale Ticket",
	)
	assert (received["location_code"], received["supplier"]) == (SILO, "Hassan Traders")
	assert blend["source_lots"] == "LOT-2026-00001 (1,000 kg); LOT-2026-00002 (2,000 kg)"
	assert (blend["destination_lots"], blend["reference_type"]) == ("LOT-2026-00003", "Lot Transfer")
	assert blend["event_time"] == time(11, 0)


def test_rows_sort_by_date_time_then_event():
	lots = [
		LotRecord(
			"LOT-B", "Sorghum", SILO, lot_type="Storage", declared_qty_kg=5, receipt_date=date(2026, 5, 1)
		),
		LotRecord(
			"LOT-A", "Sorghum", SILO, lot_type="Harvest", declared_qty_kg=7, harvest_date=date(2026, 5, 1)
		),
	]
	tickets = [
		TicketRecord("SCL-2", SILO, "LOT-A", "Outbound", 7, datetime(2026, 5, 1, 6, 0)),
		TicketRecord("SCL-1", SILO, "LOT-C", "Inbound", 3, datetime(2026, 4, 30, 23, 0)),
		TicketRecord("SCL-3", SILO, "", "Inbound", 3, datetime(2026, 4, 30, 23, 0)),  # no lot: not traced
	]
	found = trace_sheet_rows(lots, tickets, [], [SiteRecord(SILO, "Silo")])
	assert [(r["event"], r["lot_code"]) for r in found] == [
		("Receiving", "LOT-C"),
		("Harvest", "LOT-A"),
		("Receiving", "LOT-B"),
		("Shipping", "LOT-A"),
	]
	assert found[0]["product"] == ""  # a lot outside the records: its code, without product


def test_event_and_document_names_are_translated():
	found = trace_sheet_rows(LOTS, TICKETS, TRANSFERS, SITES, translate=ARABIC.get)
	assert [r["event"] for r in found][:3] == ["حصاد", "شحن", "استلام"]
	assert {r["reference_type"] for r in found} == {"دفعة", "تذكرة ميزان", "تحويل الدفعات"}


# --- files -----------------------------------------------------------------------------------------


def arabic_headers():
	return [(key, f"عمود {index}") for index, (key, _label) in enumerate(TRACE_SHEET_COLUMNS)]


def test_csv_has_a_bom_and_round_trips_arabic():
	data = sheet_csv(
		trace_sheet_rows(LOTS, TICKETS, TRANSFERS, SITES, translate=ARABIC.get), arabic_headers()
	)
	assert data.startswith(b"\xef\xbb\xbf")
	table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
	assert table[0] == [label for _key, label in arabic_headers()]
	assert len(table) == 8
	first = dict(zip(KEYS, table[1], strict=True))
	assert first["event"] == "حصاد" and first["location_name"] == "مزرعة سنحان"
	assert (first["quantity"], first["event_date"], first["event_time"]) == ("1000", "2026-03-01", "")
	assert dict(zip(KEYS, table[2], strict=True))["event_time"] == "07:15:00"


def test_csv_defaults_to_english_headers_and_defuses_formulas():
	row = {key: "" for key in KEYS} | {"lot_code": '=HYPERLINK("x")', "supplier": "@evil", "quantity": 12.5}
	table = list(csv.reader(io.StringIO(sheet_csv([row]).decode("utf-8-sig"))))
	assert table[0][:2] == ["Tracking Event", "Traceability Lot Code"]
	values = dict(zip(KEYS, table[1], strict=True))
	assert values["lot_code"] == '\'=HYPERLINK("x")' and values["supplier"] == "'@evil"
	assert values["quantity"] == "12.5"


def test_xlsx_is_a_sortable_filterable_sheet():
	openpyxl = pytest.importorskip("openpyxl")
	found = rows()
	found[0]["supplier"] = "=1+1"
	data = sheet_xlsx(found, arabic_headers(), title="تتبع", right_to_left=True)
	sheet = openpyxl.load_workbook(io.BytesIO(data)).active
	assert sheet.title == "تتبع" and sheet.sheet_view.rightToLeft
	assert [c.value for c in sheet[1]] == [label for _key, label in arabic_headers()]
	assert all(c.font.bold for c in sheet[1])
	assert sheet.freeze_panes == "A2"
	assert sheet.auto_filter.ref == f"A1:O{len(found) + 1}"
	assert sheet.max_row == len(found) + 1
	col = {key: index + 1 for index, key in enumerate(KEYS)}
	harvest = sheet.cell(2, col["event_date"])
	assert harvest.value == datetime(2026, 3, 1) and harvest.number_format == "yyyy-mm-dd"
	assert sheet.cell(3, col["event_time"]).value == time(7, 15)
	assert sheet.cell(2, col["quantity"]).value == 1000
	assert sheet.cell(2, col["location_name"]).value == "مزرعة سنحان"
	formula = sheet.cell(2, col["supplier"])
	assert (formula.value, formula.data_type) == ("=1+1", "s")  # text, never run as a formula
	assert sheet.column_dimensions["B"].width >= len("LOT-2026-00001")


def test_an_empty_sheet_still_has_its_headers():
	openpyxl = pytest.importorskip("openpyxl")
	sheet = openpyxl.load_workbook(io.BytesIO(sheet_xlsx([]))).active
	assert [c.value for c in sheet[1]][:2] == ["Tracking Event", "Traceability Lot Code"]
	assert sheet.auto_filter.ref == "A1:O1"
	assert sheet_csv([]).decode("utf-8-sig").splitlines() == [
		",".join(label for _k, label in TRACE_SHEET_COLUMNS)
	]
