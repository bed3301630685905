"""Identifiers, times and units of the EPCIS 2.0 export (``rules.epcis``).

Every thing an EPCIS event names is a URI. By default they live under one configurable base
(``IdScheme.base_uri``, e.g. ``https://yam-agri.example/id/``): ``…/lot/LOT-2026-00001``,
``…/site/YEM-TAI-SILO-01``, ``…/ticket/SCL-2026-00001``, ``…/transfer/…``, ``…/qc/…``,
``…/device/…``, ``…/party/…``. The app's own vocabulary (event extensions, measurement types GS1 does
not define) is ``…/voc/`` under the prefix ``yam``, declared in the document's ``@context``.

With a GS1 company prefix, lots are GS1 Digital Link URIs ``https://id.gs1.org/01/{GTIN}/10/{lot}``:
the GTIN of a lot is that of its crop, built from the company prefix and the crop's configured item
reference (``crop_item_refs``: company prefix + item reference = 12 digits, an indicator digit 0 in
front and the GS1 check digit behind). A crop without an item reference is refused with a clear error:
a GTIN per crop must be configured before lots can be exported as Digital Links. A site with a GLN is
``https://id.gs1.org/414/{GLN}`` whatever the prefix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import quote

from yam_agri_core.rules.messages import Kind, RuleError, _

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
DIGITAL_LINK_RESOLVER = "https://id.gs1.org"
#: The prefix of the app's own vocabulary in the documents' ``@context``.
NS_PREFIX = "yam"
#: Yemen's offset (Asia/Aden, no daylight saving): the default of every site.
DEFAULT_UTC_OFFSET = "+03:00"
KGM = "KGM"

_OFFSET = re.compile(r"^([+-])((0[0-9]|1[0-3]):([0-5][0-9])|14:00)$")
_DIGITS = re.compile(r"^[0-9]+$")
#: GS1 AI (10) takes up to 20 characters of GS1's character set 82.
_LOT_AI10 = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")


def gs1_check_digit(digits: str) -> str:
	"""The GS1 mod-10 check digit of ``digits`` (a GTIN or GLN without its last digit)."""
	total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
	return str((10 - total % 10) % 10)


def gtin14(company_prefix: str, item_ref: str, indicator: str = "0") -> str:
	"""The 14-digit GTIN of a trade item: indicator, company prefix, item reference, check digit."""
	body = f"{indicator}{company_prefix}{item_ref}"
	if not (_DIGITS.match(body) and len(body) == 13 and 6 <= len(company_prefix) <= 12):
		raise RuleError(
			Kind.VALIDATION,
			_("GS1 company prefix {0} and item reference {1} must be digits, 12 together"),
			company_prefix,
			item_ref,
			field="gs1_company_prefix",
		)
	return body + gs1_check_digit(body)


def check_gln(gln: str) -> str:
	"""A 13-digit GLN with its right check digit, or a RuleError naming it."""
	gln = (gln or "").strip()
	if not (_DIGITS.match(gln) and len(gln) == 13 and gs1_check_digit(gln[:12]) == gln[12]):
		raise RuleError(Kind.VALIDATION, _("GLN {0} is not a valid 13-digit GLN"), gln, field="gln")
	return gln


@dataclass(frozen=True)
class IdScheme:
	"""How the export names things (see the module docstring)."""

	base_uri: str
	gs1_company_prefix: str = ""
	#: crop -> GTIN item reference (used only with a company prefix)
	crop_item_refs: Mapping[str, str] = field(default_factory=dict)

	def __post_init__(self):
		base = (self.base_uri or "").strip()
		if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", base):
			raise RuleError(
				Kind.VALIDATION,
				_("The identifier base {0} must be an http(s) address"),
				self.base_uri,
				field="base_uri",
			)
		object.__setattr__(self, "base_uri", base if base.endswith("/") else base + "/")
		object.__setattr__(self, "gs1_company_prefix", (self.gs1_company_prefix or "").strip())

	@property
	def namespace(self) -> str:
		return f"{self.base_uri}voc/"

	def term(self, name: str) -> str:
		"""A term of the app's vocabulary as a compact IRI (``yam:qualityFlag``)."""
		return f"{NS_PREFIX}:{name}"

	def vocab_uri(self, name: str) -> str:
		return f"{self.namespace}{name}"

	def uri(self, kind: str, name: str) -> str:
		return f"{self.base_uri}{kind}/{quote(str(name), safe='')}"

	def lot(self, name: str, crop: str = "") -> str:
		if not self.gs1_company_prefix:
			return self.uri("lot", name)
		item_ref = self.crop_item_refs.get(crop)
		if not item_ref:
			raise RuleError(
				Kind.VALIDATION,
				_("Set a GTIN item reference for crop {0} to export lot {1} as a GS1 Digital Link"),
				crop,
				name,
				field="crop_item_refs",
			)
		if not _LOT_AI10.match(name):
			raise RuleError(
				Kind.VALIDATION,
				_("Lot {0} cannot be a GS1 batch number (at most 20 letters, digits or -./)"),
				name,
				field="lot",
			)
		gtin = gtin14(self.gs1_company_prefix, item_ref)
		return f"{DIGITAL_LINK_RESOLVER}/01/{gtin}/10/{quote(name, safe='')}"

	def site(self, code: str, gln: str = "") -> str:
		if gln:
			return f"{DIGITAL_LINK_RESOLVER}/414/{check_gln(gln)}"
		return self.uri("site", code)

	def event(self, kind: str, name: str) -> str:
		return f"{self.base_uri}event/{kind}/{quote(str(name), safe='')}"


# --- times -----------------------------------------------------------------------------------------


def parse_offset(offset: str | None) -> timezone:
	"""``+03:00`` as a timezone; blank is Yemen's."""
	offset = (offset or DEFAULT_UTC_OFFSET).strip()
	match = _OFFSET.match(offset)
	if not match:
		raise RuleError(Kind.VALIDATION, _("Time zone offset {0} must look like +03:00"), offset)
	sign = -1 if match.group(1) == "-" else 1
	hours, minutes = (int(part) for part in offset[1:].split(":"))
	return timezone(sign * timedelta(hours=hours, minutes=minutes))


def local_time(value: date | datetime, offset: str | None) -> datetime:
	"""A stored time at a site as an aware datetime in the site's offset.

	Frappe stores naive datetimes in the system time zone, taken to be the site's; a date is the start
	of that day there. An aware datetime is moved to the site's offset."""
	tz = parse_offset(offset)
	if not isinstance(value, datetime):
		value = datetime.combine(value, time())
	if value.tzinfo is None:
		return value.replace(tzinfo=tz)
	return value.astimezone(tz)


def iso_time(value: datetime) -> str:
	"""An aware datetime in the form EPCIS documents use (``2026-03-01T08:30:00.000+03:00``)."""
	text = value.isoformat(timespec="milliseconds")
	return text.replace("+00:00", "Z") if value.utcoffset() == timedelta(0) else text


# --- units and measurement types -------------------------------------------------------------------

#: The app's units (``rules.thresholds.UNIT_ALIASES`` values) as UN/ECE Recommendation 20 codes.
UNECE_UNITS: dict[str, str] = {
	"°C": "CEL",
	"°F": "FAH",
	"K": "KEL",
	"%": "P1",
	"ppm": "59",
	"kg": "KGM",
	"g": "GRM",
	"lux": "LUX",
	"V": "VLT",
	"hPa": "A97",
}
#: Observation metric -> GS1 measurement type (None: a term of the app's vocabulary).
MEASUREMENT_TYPES: dict[str, str | None] = {
	"Temperature": "Temperature",
	"Humidity": "RelativeHumidity",
	"CO2": "VolumeFraction",
	"Grain Moisture": None,
}
#: Carbon dioxide, for the ``chemicalSubstance`` of a CO2 reading.
CO2_SUBSTANCE = "https://identifiers.org/inchikey:CURLTUGMZLYLDI-UHFFFAOYSA-N"


def measurement_type(ids: IdScheme, metric: str) -> str:
	gs1_type = MEASUREMENT_TYPES.get(metric)
	return gs1_type or ids.vocab_uri(re.sub(r"[^A-Za-z0-9]", "", metric.title()) or "Other")
