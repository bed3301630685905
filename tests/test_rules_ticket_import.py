"""Scale ticket import: files -> rows (pure; never imports frappe)."""

import datetime as dt
import io

import pandas as pd
import pytest

from yam_agri_core.rules.messages import Kind, RuleError, RuleErrors
from yam_agri_core.rules.ticket_columns import canonical_column, parse_datetimes, parse_numbers
from yam_agri_core.rules.ticket_import import TicketRow, parse_ticket_file, ticket_values

NOW = dt.datetime(2026, 3, 1, 12, 0)
FR_SCL_01 = "ticket_no,date,operator,gross_weight_kg,tare_weight_kg,net_weight_kg,lot,device\n"
CLEAN = (
	FR_SCL_01
	+ "T-0001,2026-02-23 10:00,Ali,13000,10000,3000,LOT-2026-00001,SCL-01\n"
	+ "T-0002,2026-02-23 11:30,Ali,12200,10000,2200,LOT-2026-00001,SCL-01\n"
)


def parse(text, filename="tickets.csv", now=NOW):
	return parse_ticket_file(text.encode("utf-8") if isinstance(text, str) else text, filename, now)


def only_rejection(parsed):
	assert len(parsed.rejected) == 1, [str(r.error) for r in parsed.rejected]
	return parsed.rejected[0]


def messages(error):
	return [str(e) for e in error.errors] if isinstance(error, RuleErrors) else [str(error)]


def test_weighbridge_export_fr_scl_01():
	parsed = parse(CLEAN)
	assert parsed.rejected == [] and parsed.unknown_columns == []
	assert (parsed.encoding, parsed.file_format, parsed.delimiter) == ("utf-8", "csv", ",")
	first, second = parsed.rows
	assert first == TicketRow(
		row=1,
		ticket_no="T-0001",
		ticket_datetime=dt.datetime(2026, 2, 23, 10, 0),
		direction="Inbound",
		gross_kg=13000.0,
		tare_kg=10000.0,
		net_kg=3000.0,
		lot="LOT-2026-00001",
		device="SCL-01",
		operator="Ali",
	)
	assert (second.row, second.net_kg) == (2, 2200.0)


def test_ticket_values_are_scale_ticket_fields():
	values = ticket_values(parse(CLEAN).rows[0], "YEM-A")
	assert values == {
		"ticket_no": "T-0001",
		"site": "YEM-A",
		"ticket_datetime": dt.datetime(2026, 2, 23, 10, 0),
		"direction": "Inbound",
		"gross_kg": 13000.0,
		"tare_kg": 10000.0,
		"net_kg": 3000.0,
		"expected_net_kg": None,
		"lot": "LOT-2026-00001",
		"device": "SCL-01",
		"vehicle": None,
		"driver": None,
		"operator": "Ali",
	}


def test_utf8_with_bom():
	parsed = parse(b"\xef\xbb\xbf" + CLEAN.encode("utf-8"))
	assert parsed.encoding == "utf-8-sig"
	assert [row.ticket_no for row in parsed.rows] == ["T-0001", "T-0002"]


def test_text_content_is_accepted():
	parsed = parse_ticket_file("\ufeff" + CLEAN, "tickets.csv", NOW)
	assert parsed.encoding == "text" and len(parsed.rows) == 2


def test_windows_1256_with_arabic_headers_and_day_first_dates():
	text = (
		"رقم التذكرة,التاريخ,السائق,رقم اللوحة,الوزن القائم,الوزن الفارغ,الصافي,الدفعة,المشغل\n"
		"101,23/02/2026 14:05,أحمد علي,12345 صنعاء,13000,10000,3000,LOT-1,عبدالله\n"
		"102,05/02/2026,محمد صالح,,9000,4000,5000,LOT-1,عبدالله\n"
	)
	parsed = parse(text.encode("cp1256"))
	assert parsed.encoding == "cp1256" and parsed.unknown_columns == [] and parsed.rejected == []
	first, second = parsed.rows
	assert first.driver == "أحمد علي" and first.vehicle == "12345 صنعاء" and first.operator == "عبدالله"
	assert first.ticket_datetime == dt.datetime(2026, 2, 23, 14, 5)
	assert second.ticket_datetime == dt.datetime(2026, 2, 5)  # 5 February, never 2 May
	assert second.vehicle is None


def test_utf16_unicode_text_export():
	parsed = parse(CLEAN.replace(",", "\t").encode("utf-16"))
	assert (parsed.encoding, parsed.delimiter, len(parsed.rows)) == ("utf-16", "\t", 2)


def test_ragged_csv_is_a_file_error():
	with pytest.raises(RuleError, match="cannot be read as CSV"):
		parse("ticket_no,date,gross,tare\nA1,2026-02-23,5000,1000,extra,more\n")


def test_semicolon_delimiter_with_decimal_comma():
	text = "ticket_no;date;gross;tare\nA1;2026-02-23;13000,5;10000,5\nA2;2026-02-23;1.300,5;300\n"
	parsed = parse(text)
	assert parsed.delimiter == ";" and parsed.rejected == []
	assert [row.net_kg for row in parsed.rows] == [3000.0, 1000.5]


def test_tab_delimiter():
	parsed = parse("ticket\tdatetime\tgross\ttare\nA1\t2026-02-23T10:00:00\t1,300.5\t300\n")
	assert parsed.delimiter == "\t"
	assert parsed.rows[0].net_kg == 1000.5


def test_xlsx_built_with_pandas():
	frame = pd.DataFrame(
		{
			"Ticket No": ["007", "008"],
			"Ticket Date and Time": [dt.datetime(2026, 2, 23, 10, 0), dt.datetime(2026, 2, 24)],
			"Direction": ["Outbound", "in"],
			"Gross Weight (kg)": [13000, 12200.5],
			"Tare Weight (kg)": [10000, 10000],
			"Expected Net Weight (kg)": [3000, None],
		}
	)
	buffer = io.BytesIO()
	frame.to_excel(buffer, index=False, engine="openpyxl")
	parsed = parse_ticket_file(buffer.getvalue(), "upload.bin", NOW)  # told apart by its PK magic
	assert (parsed.file_format, parsed.rejected) == ("xlsx", [])
	first, second = parsed.rows
	assert (first.ticket_no, first.direction, first.expected_net_kg) == ("007", "Outbound", 3000.0)
	assert first.ticket_datetime == dt.datetime(2026, 2, 23, 10, 0)
	assert (second.direction, second.net_kg, second.expected_net_kg) == ("Inbound", 2200.5, None)


def test_damaged_xlsx_is_a_file_error():
	with pytest.raises(RuleError, match="not an Excel"):
		parse_ticket_file(b"PK\x03\x04 not really a zip", "tickets.xlsx", NOW)


def test_old_xls_is_refused():
	with pytest.raises(RuleError, match=r"\.xls"):
		parse_ticket_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "tickets.xls", NOW)


@pytest.mark.parametrize(
	"header, field",
	[
		("ticket_no", "ticket_no"),
		("Ticket Number", "ticket_no"),
		("TICKET", "ticket_no"),
		("ticket_datetime", "ticket_datetime"),
		("Date Time", "ticket_datetime"),
		("gross_weight_kg", "gross_kg"),
		("Gross (kg)", "gross_kg"),
		("الوزن القائم (كجم)", "gross_kg"),
		("TARE", "tare_kg"),
		("الفارغ", "tare_kg"),
		("net_weight_kg", "net_kg"),
		("الوزن الصافي", "net_kg"),
		("expected_net_kg", "expected_net_kg"),
		("Truck", "vehicle"),
		("Plate No", "vehicle"),
		("vehicle_no", "vehicle"),
		("المركبة", "vehicle"),
		("Driver", "driver"),
		("السائق", "driver"),
		("الدفعة", "lot"),
		("المشغل", "operator"),
		("Device", "device"),
		("colour", None),
	],
)
def test_header_aliases(header, field):
	assert canonical_column(header) == field


def test_aliases_in_a_file_and_direction_words():
	text = (
		"Ticket Number,Date,Truck,Driver,Gross,Tare,Net,Direction\n"
		"1,2026-02-20,ABC-1,Saleh,5000,1000,4000,IN\n"
		"2,2026-02-20,ABC-1,Saleh,5000,1000,4000,dispatch\n"
		"3,2026-02-20,ABC-1,Saleh,5000,1000,4000,وارد\n"
		"4,2026-02-20,ABC-1,Saleh,5000,1000,4000,صادر\n"
	)
	parsed = parse(text)
	assert [row.direction for row in parsed.rows] == ["Inbound", "Outbound", "Inbound", "Outbound"]
	assert parsed.rows[0].vehicle == "ABC-1" and parsed.rows[0].driver == "Saleh"


def test_unknown_columns_are_reported_not_fatal():
	text = "ticket_no,date,gross,tare,Colour,Remarks,\nA1,2026-02-23,5000,1000,red,,\n"
	parsed = parse(text)
	assert parsed.unknown_columns == ["Colour", "Remarks"]
	assert len(parsed.rows) == 1


def test_missing_required_columns_are_named():
	with pytest.raises(RuleError) as caught:
		parse("ticket_no,operator,net\nA1,Ali,3000\n")
	assert caught.value.kind is Kind.VALIDATION
	assert "ticket_datetime (date)" in str(caught.value) and "gross_kg" in str(caught.value)
	assert "tare_kg" in str(caught.value) and "ticket_no," not in str(caught.value)


def test_two_columns_for_one_field_are_refused():
	with pytest.raises(RuleError, match="gross_kg"):
		parse("ticket_no,date,gross,gross_kg,tare\nA1,2026-02-23,5000,5000,1000\n")


@pytest.mark.parametrize("content", [b"", b"\n\n", b" , ,\n"])
def test_empty_file(content):
	with pytest.raises(RuleError, match="empty"):
		parse(content)


def test_header_only_gives_no_rows():
	parsed = parse("ticket_no,date,gross,tare\n")
	assert parsed.rows == [] and parsed.rejected == []


BAD_ROWS = [
	("T-9,2026-02-23 10:00,Ali,13000,,,L,S", "Row 2: Tare Weight is missing", "tare_kg"),
	("T-9,2026-02-23 10:00,Ali,,100,,L,S", "Row 2: Gross Weight is missing", "gross_kg"),
	("T-9,2026-02-23 10:00,Ali,heavy,100,,L,S", "Row 2: Gross Weight heavy is not a number", "gross_kg"),
	(
		"T-9,2026-02-23 10:00,Ali,3000,3100,,L,S",
		"Row 2: Tare Weight 3,100 kg must be less than Gross Weight 3,000 kg",
		"tare_kg",
	),
	("T-9,2026-02-23 10:00,Ali,0,0,,L,S", "Row 2: Gross Weight 0 kg must be greater than zero", "gross_kg"),
	("T-9,2026-02-23 10:00,Ali,3000,-5,,L,S", "Row 2: Tare Weight -5 kg cannot be negative", "tare_kg"),
	(
		"T-9,2026-02-23 10:00,Ali,13000,10000,2990,L,S",
		"Row 2: Net Weight 2,990 kg is not Gross Weight minus Tare Weight (3,000 kg)",
		"net_kg",
	),
	(
		"T-9,02/23/2026,Ali,13000,10000,,L,S",
		"Row 2: Date 02/23/2026 is not a date like 2026-02-23 14:05 or 23/02/2026 14:05",
		"ticket_datetime",
	),
	("T-9,2026-03-02,Ali,13000,10000,,L,S", "Row 2: Date 2026-03-02 is in the future", "ticket_datetime"),
	("T-9,,Ali,13000,10000,,L,S", "Row 2: Date is missing", "ticket_datetime"),
	(",2026-02-23,Ali,13000,10000,,L,S", "Row 2: Ticket No is missing", "ticket_no"),
	("T-0001,2026-02-23,Ali,13000,10000,,L,S", "Row 2: Ticket No T-0001 is already on row 1", "ticket_no"),
]


@pytest.mark.parametrize("line, message, field", BAD_ROWS)
def test_each_bad_row_is_refused_with_its_row_number(line, message, field):
	good = "T-0001,2026-02-23 10:00,Ali,13000,10000,3000,L,S\n"
	last = "T-0003,2026-02-23 12:00,Ali,12200,10000,2200,L,S\n"
	parsed = parse(FR_SCL_01 + good + line + "\n" + last)
	rejected = only_rejection(parsed)
	assert (rejected.row, str(rejected.error), rejected.error.field) == (2, message, field)
	assert [row.row for row in parsed.rows] == [1, 3]


def test_net_within_one_kg_is_accepted():
	parsed = parse(FR_SCL_01 + "T-1,2026-02-23,Ali,13000.4,10000,3001,L,S\n")
	assert parsed.rejected == [] and parsed.rows[0].net_kg == 3000.4


def test_a_row_reports_every_rule_it_breaks():
	parsed = parse(FR_SCL_01 + "T-1,2026-02-23,Ali,13000,10000,3000,L,S\nT-1,someday,Ali,x,,,L,S\n")
	rejected = only_rejection(parsed)
	assert isinstance(rejected.error, RuleErrors)
	assert messages(rejected.error) == [
		"Row 2: Ticket No T-1 is already on row 1",
		"Row 2: Date someday is not a date like 2026-02-23 14:05 or 23/02/2026 14:05",
		"Row 2: Gross Weight x is not a number",
		"Row 2: Tare Weight is missing",
	]


def test_duplicate_ticket_numbers_ignore_case_and_name_the_first_row():
	text = "ticket_no,date,gross,tare\nab-1,2026-02-23,5000,1000\nAB-2,2026-02-23,5000,1000\nAB-1,2026-02-23,5000,1000\n"
	assert str(only_rejection(parse(text)).error) == "Row 3: Ticket No AB-1 is already on row 1"


def test_blank_rows_are_skipped_but_keep_their_numbers():
	text = "ticket_no,date,gross,tare\nA1,2026-02-23,5000,1000\n\n,,,\nA2,2026-02-23,x,1000\n"
	parsed = parse(text)
	assert [row.row for row in parsed.rows] == [1]
	assert only_rejection(parsed).row == 4


def test_direction_defaults_to_inbound_and_is_checked_when_given():
	assert parse(CLEAN).rows[0].direction == "Inbound"
	parsed = parse(
		"ticket_no,date,gross,tare,direction\nA1,2026-02-23,5000,1000,sideways\nA2,2026-02-23,5000,1000,\n"
	)
	assert [str(r.error) for r in parsed.rejected] == [
		"Row 1: Direction sideways is not Inbound or Outbound",
		"Row 2: Direction is missing",
	]


def test_arabic_indic_digits():
	text = (
		"رقم التذكرة,التاريخ,الوزن القائم,الوزن الفارغ,الصافي\n٠٠٧,٢٣/٠٢/٢٠٢٦ ١٤:٠٥,١٣٠٠٠٫٥,١٠٬٠٠٠,٣٠٠٠٫٥\n"
	)
	row = parse(text).rows[0]
	assert row.ticket_no == "007"
	assert (row.gross_kg, row.tare_kg, row.net_kg) == (13000.5, 10000.0, 3000.5)
	assert row.ticket_datetime == dt.datetime(2026, 2, 23, 14, 5)


def test_leading_zeros_of_ticket_numbers_are_kept():
	parsed = parse("ticket_no,date,gross,tare\n007,2026-02-23,5000,1000\n0008,2026-02-23,5000,1000\n")
	assert [row.ticket_no for row in parsed.rows] == ["007", "0008"]


@pytest.mark.parametrize(
	"text, value",
	[
		("1234", 1234.0),
		("1234.5", 1234.5),
		("1,234", 1234.0),
		("3,000", 3000.0),
		("1,234.5", 1234.5),
		("12,345,678.25", 12345678.25),
		("1.234,5", 1234.5),
		("1234,5", 1234.5),
		("1234,50", 1234.5),
		("٣٠٠٠٫٥", 3000.5),
		(" -5 ", -5.0),
		("1,23,4", None),
		("12,3456", None),
		("1 234", None),
		("nan", None),
		("inf", None),
		("", None),
	],
)
def test_number_formats(text, value):
	parsed = parse_numbers(pd.Series([text]))[0]
	assert (None if pd.isna(parsed) else parsed) == value


@pytest.mark.parametrize(
	"text, value",
	[
		("2026-02-23", dt.datetime(2026, 2, 23)),
		("2026-02-23 10:00", dt.datetime(2026, 2, 23, 10, 0)),
		("2026-02-23T10:00:00", dt.datetime(2026, 2, 23, 10, 0)),
		("2026-02-23 10:00:00.500000", dt.datetime(2026, 2, 23, 10, 0, 0, 500000)),
		("23/02/2026", dt.datetime(2026, 2, 23)),
		("23/02/2026 14:05", dt.datetime(2026, 2, 23, 14, 5)),
		("3.4.2026", dt.datetime(2026, 4, 3)),
		("02/23/2026", None),
		("31/02/2026", None),
		("2026-02-23 25:00", None),
		("2026-02-23T10:00:00+03:00", None),
		("yesterday", None),
	],
)
def test_date_formats(text, value):
	parsed = parse_datetimes(pd.Series([text]))[0]
	assert (None if pd.isna(parsed) else parsed.to_pydatetime()) == value


def test_ten_thousand_rows_parse():
	lines = [
		f"{n:06d},2026-02-{1 + n % 28:02d} {n % 24:02d}:00,Ali,{10000 + n % 5000},{4000 + n % 1000},,L,S"
		for n in range(10_000)
	]
	parsed = parse(FR_SCL_01 + "\n".join(lines) + "\n")
	assert len(parsed.rows) == 10_000 and parsed.rejected == []
	assert parsed.rows[-1].ticket_no == "009999"
