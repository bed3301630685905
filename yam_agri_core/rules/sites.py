"""Sites: codes, and the rule that a record only links records of its own site."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from yam_agri_core.rules.messages import Kind, RuleError, _

#: DocTypes that carry a mandatory ``site`` field; each is isolated per site (hooks.py wires them).
SITE_DOCTYPES = (
	"Storage Bin",
	"Device",
	"Lot",
	"Scale Ticket",
	"Observation",
	"Observation Hourly",
	"Observation Archive",
	"Certificate",
	"Nonconformance",
	"Lot Transfer",
	"QC Test",
	"YAM Alert Log",
	"Scale Ticket Import",
	"Evidence Pack",
)
#: Every DocType whose records belong to a site (a Site belongs to itself).
ISOLATED_DOCTYPES = ("Site", *SITE_DOCTYPES)

SITE_CODE_PATTERN = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
MAX_SITE_CODE_LENGTH = 40


def normalize_site_code(code: str | None) -> str:
	"""Site codes are upper case, trimmed, with single hyphens (``yem-tai-silo-01`` -> ``YEM-TAI-SILO-01``)."""
	normalized = re.sub(r"\s+", "-", (code or "").strip()).upper()
	if not normalized or len(normalized) > MAX_SITE_CODE_LENGTH or not SITE_CODE_PATTERN.match(normalized):
		raise RuleError(
			Kind.SITE,
			_("Site Code {0} must be letters, digits and single hyphens, for example YEM-TAI-SILO-01"),
			code or "",
			field="site_code",
		)
	return normalized


@dataclass(frozen=True)
class LinkedRecord:
	"""A record linked from another one: which field links it, its DocType, name and site, and whether
	the user may see that site (``visible``)."""

	fieldname: str
	label: str
	doctype: str
	name: str
	site: str | None
	visible: bool = True


def check_same_site(site: str, linked: Iterable[LinkedRecord]) -> None:
	"""Raise on the first linked record that belongs to another site than ``site``.

	A record of a site the user may not see is refused as not found at ``site``: the refusal names
	nothing of it (neither its name nor its site), so it tells no more than a name that does not exist.
	"""
	for record in linked:
		if record.name and record.site and record.site != site and not record.visible:
			raise RuleError(
				Kind.SITE, _("{0} not found at site {1}"), record.label, site, field=record.fieldname
			)
		if record.name and record.site and record.site != site:
			raise RuleError(
				Kind.SITE,
				_("{0} {1} belongs to site {2}; a record of site {3} may only link records of its own site"),
				record.label,
				record.name,
				record.site,
				site,
				field=record.fieldname,
			)


def site_condition(column: str, allowed_sites: list[str] | None, escape) -> str:
	"""SQL condition restricting ``column`` to ``allowed_sites``.

	``None`` means unrestricted (returns an empty condition); an empty list denies everything.
	``escape`` quotes one value for SQL (``frappe.db.escape`` on a bench).
	"""
	if allowed_sites is None:
		return ""
	if not allowed_sites:
		return "1=0"
	values = ", ".join(escape(site) for site in sorted(set(allowed_sites)))
	return f"{column} in ({values})"
