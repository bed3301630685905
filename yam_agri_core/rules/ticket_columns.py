"""Column names and cell values of scale ticket files (the weighbridge export FR-SCL-01 and its kin).

Headers are matched by name, ignoring case, spaces, ``_``, ``-``, ``.``, ``/``, ``#``, brackets, Arabic
diacritics and tatweel, and a trailing unit (``kg``, ``كجم``, ``كغ``). Cell values are parsed a whole column at a
time with pandas:

Numbers
	Arabic-Indic (``٠``-``٩``) and Persian (``۰``-``۹``) digits are read as 0-9, ``٫`` as the decimal point and
	``٬`` as a thousands separator. Accepted: ``1234``, ``1234.5``, ``-5``; thousands grouped by ``,`` in threes
	(``1,234`` and ``1,234.5``, so ``3,000`` is three thousand); the European ``1.234,5``; and a decimal comma with
	one or two decimals (``1234,5``, ``1234,50``). Anything else (``1,23,4``, ``12,3456``, ``1 234``) is not a
	number: a misread weight is worse than a refused one.
Dates
	``YYYY-MM-DD`` with an optional time ``HH:MM[:SS[.ffffff]]`` after a space or ``T`` (pandas prints Excel
	date cells so), or day first ``DD/MM/YYYY`` (also with ``-`` or ``.``) with an optional time. Never month
	first: ``02/23/2026`` is refused, ``03/04/2026`` is the 3rd of April. Time zones are refused.
Direction
	Inbound or Outbound, or an alias (``in``, ``receipt``, ``وارد`` ...; ``out``, ``dispatch``, ``صادر`` ...).
"""

from __future__ import annotations

import re

import pandas as pd

#: Canonical column -> the headers accepted for it (matched after :func:`header_key`).
ALIASES: dict[str, tuple[str, ...]] = {
	"ticket_no": (
		"ticket_no",
		"ticket",
		"ticket number",
		"ticket #",
		"ticket id",
		"رقم التذكرة",
		"التذكرة",
		"رقم البطاقة",
	),
	"ticket_datetime": (
		"ticket_datetime",
		"date",
		"datetime",
		"date time",
		"date and time",
		"ticket date",
		"ticket date and time",
		"weighed at",
		"timestamp",
		"التاريخ",
		"تاريخ",
		"التاريخ والوقت",
		"تاريخ الوزن",
		"تاريخ ووقت التذكرة",
	),
	"gross_kg": (
		"gross_kg",
		"gross_weight_kg",
		"gross",
		"gross weight",
		"gross wt",
		"الوزن القائم",
		"القائم",
		"الوزن الإجمالي",
		"الإجمالي",
	),
	"tare_kg": (
		"tare_kg",
		"tare_weight_kg",
		"tare",
		"tare weight",
		"tare wt",
		"الفارغ",
		"الوزن الفارغ",
		"وزن الفارغ",
	),
	"net_kg": ("net_kg", "net_weight_kg", "net", "net weight", "net wt", "الصافي", "الوزن الصافي"),
	"expected_net_kg": (
		"expected_net_kg",
		"expected",
		"expected net",
		"expected net weight",
		"declared",
		"declared weight",
		"الوزن المتوقع",
		"الوزن الصافي المتوقع",
		"الوزن المصرح به",
	),
	"direction": ("direction", "movement", "in/out", "الاتجاه", "نوع الحركة"),
	"vehicle": (
		"vehicle",
		"vehicle_no",
		"vehicle number",
		"truck",
		"truck no",
		"plate",
		"plate no",
		"plate number",
		"المركبة",
		"رقم المركبة",
		"رقم اللوحة",
		"اللوحة",
		"الشاحنة",
		"رقم الشاحنة",
	),
	"driver": ("driver", "driver name", "السائق", "اسم السائق"),
	"lot": ("lot", "lot_no", "lot number", "الدفعة", "رقم الدفعة"),
	"device": ("device", "scale", "scale device", "weighbridge", "scale id", "الميزان", "الجهاز"),
	"operator": ("operator", "operator name", "weighed by", "المشغل", "اسم المشغل"),
}
REQUIRED = ("ticket_no", "ticket_datetime", "gross_kg", "tare_kg")

_ARABIC_DIACRITICS = re.compile("[\u064b-\u0652\u0670\u0640]")  # harakat, dagger alef, tatweel
_HEADER_NOISE = re.compile(r"[\s_\-./#()\[\]:]+")
_UNIT_SUFFIXES = ("kg", "kgs", "كجم", "كغ", "كيلو")
_ALEF = str.maketrans("أإآ", "ااا")

#: Arabic-Indic and Persian digits, Arabic decimal and thousands separators, minus signs.
DIGITS = str.maketrans(
	"٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬\u2212\u00a0",
	"01234567890123456789.,- ",
)

_PLAIN = r"[+-]?\d+(?:\.\d+)?"
_GROUPED = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
_EUROPEAN = r"[+-]?\d{1,3}(?:\.\d{3})+,\d+"
_DECIMAL_COMMA = r"[+-]?\d+,\d{1,2}"

_ISO = re.compile(
	r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
	r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?)?"
)
_DAY_FIRST = re.compile(
	r"(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})[/.-](?P<year>\d{4})"
	r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?)?"
)
_PARTS = ("year", "month", "day", "hour", "minute", "second", "fraction")

DIRECTIONS: dict[str, str] = {
	**dict.fromkeys(
		("inbound", "in", "receipt", "received", "receiving", "incoming", "وارد", "استلام", "دخول"),
		"Inbound",
	),
	**dict.fromkeys(
		("outbound", "out", "dispatch", "dispatched", "outgoing", "shipment", "صادر", "تسليم", "خروج"),
		"Outbound",
	),
}


def header_key(header: object) -> str:
	"""The form of a header that aliases are compared in."""
	key = _ARABIC_DIACRITICS.sub("", str(header).strip().casefold()).translate(_ALEF)
	return _HEADER_NOISE.sub("", key)


_LOOKUP: dict[str, str] = {header_key(alias): field for field, names in ALIASES.items() for alias in names}


def canonical_column(header: object) -> str | None:
	"""The canonical column a header stands for, or ``None`` when it is unknown."""
	key = header_key(header)
	if key in _LOOKUP:
		return _LOOKUP[key]
	for unit in _UNIT_SUFFIXES:
		if key.endswith(unit) and key[: -len(unit)] in _LOOKUP:
			return _LOOKUP[key[: -len(unit)]]
	return None


def normalise_digits(values: pd.Series) -> pd.Series:
	"""Stripped text with Arabic-Indic digits and separators read as ASCII."""
	return values.str.translate(DIGITS).str.strip()


def parse_numbers(values: pd.Series) -> pd.Series:
	"""Floats of a column of text cells; NaN for blank cells and for cells that are not a number.

	Tell the two apart with ``values.str.strip() == ""``.
	"""
	text = normalise_digits(values)
	plain = text.str.fullmatch(_PLAIN)
	grouped = text.str.fullmatch(_GROUPED)
	european = text.str.fullmatch(_EUROPEAN)
	decimal_comma = text.str.fullmatch(_DECIMAL_COMMA)
	cleaned = text.where(plain, "")
	cleaned = cleaned.mask(grouped, text.str.replace(",", "", regex=False))
	cleaned = cleaned.mask(
		european, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
	)
	cleaned = cleaned.mask(decimal_comma, text.str.replace(",", ".", regex=False))
	return pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce").astype(float)


def parse_datetimes(values: pd.Series) -> pd.Series:
	"""Naive timestamps of a column of text cells; NaT for blank cells and for cells that are not a date."""
	text = normalise_digits(values)
	iso = text.str.extract(f"^{_ISO.pattern}$")
	day_first = text.str.extract(f"^{_DAY_FIRST.pattern}$")
	parts = iso[list(_PARTS)].fillna(day_first[list(_PARTS)])
	numbers = (
		parts.drop(columns="fraction").apply(pd.to_numeric).fillna({"hour": 0, "minute": 0, "second": 0})
	)
	micro = parts["fraction"].fillna("0").str.ljust(6, "0").astype(int)
	# pandas adds hours and minutes as durations (25:00 would become 01:00 the next day): refuse them first
	clock = (numbers["hour"] < 24) & (numbers["minute"] < 60) & (numbers["second"] < 60)
	stamps = pd.to_datetime(numbers.assign(microsecond=micro), errors="coerce")
	return stamps.where(parts["year"].notna() & clock)


def parse_directions(values: pd.Series) -> pd.Series:
	"""``Inbound`` / ``Outbound`` for each cell; NaN for blank cells and unknown words."""
	return values.str.strip().str.casefold().map(DIRECTIONS)
