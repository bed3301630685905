"""Traceability exports: a lot's genealogy, or a site's period, as an EPCIS 2.0 document
(``rules.epcis``) or as the FSMA 204-style sortable trace sheet (``rules.trace_sheet``).

Records are read through the user's permissions (``frappe.get_list``): a lot of a site the user may
not read never appears (the genealogy keeps it out), and asking for such a lot or site is refused.
"""

from __future__ import annotations

from dataclasses import MISSING

import frappe
from frappe import _
from frappe.utils import get_datetime, get_url, getdate

from yam_agri_core.monitoring import archive_read
from yam_agri_core.permissions import user_has_site
from yam_agri_core.rules import epcis, evidence, trace_sheet
from yam_agri_core.rules.epcis_ids import IdScheme
from yam_agri_core.traceability.genealogy import (
	BACKWARD,
	FORWARD,
	Genealogy,
	check_lot_readable,
	readable_list,
)

LOT_FIELDS = [
	"name",
	"crop",
	"site",
	"variety",
	"lot_type",
	"status",
	"season",
	"declared_qty_kg",
	"available_qty_kg",
	"harvest_date",
	"receipt_date",
	"supplier",
]
TICKET_FIELDS = ["name", "site", "lot", "direction", "net_kg", "ticket_datetime", "ticket_no"]
QC_FIELDS = ["name", "lot", "site", "test_type", "test_date", "result", "value", "unit"]
READING_FIELDS = ["device", "site", "metric", "value", "unit", "observed_at", "lot", "storage_bin"]
READING_FIELDS += ["quality_flag", "flag_reason"]


class ExportScope:
	"""What to export: a lot and its whole genealogy (both directions), or a site and a period."""

	def __init__(self, lot=None, site=None, from_date=None, to_date=None):
		self.lot, self.site = lot or None, site or None
		self.from_date = getdate(from_date) if from_date else None
		self.to_date = getdate(to_date) if to_date else None
		if self.from_date and self.to_date:
			from yam_agri_core.rule_bridge import rules_enforced

			with rules_enforced():
				self.start, self.end = evidence.period_bounds(self.from_date, self.to_date)
		elif self.site and not self.lot:
			frappe.throw(_("Give a From Date and a To Date to export a site"))
		else:
			self.start = self.end = None
		if self.lot:
			check_lot_readable(self.lot)
			self.lots = self.genealogy(self.lot)
		elif self.site:
			if not frappe.db.exists("Site", self.site) or not user_has_site(self.site):
				frappe.throw(_("Not permitted to read site {0}").format(self.site), frappe.PermissionError)
			self.lots = None
		else:
			frappe.throw(_("Give a lot, or a site with a period, to export"))

	@staticmethod
	def genealogy(lot: str) -> list[str]:
		lots = {lot}
		for direction in (BACKWARD, FORWARD):
			tree = Genealogy(lot, direction)
			lots |= tree.visible & set(tree.lots)
		return sorted(lots)

	def filters(self, date_field: str, datetime_field: bool = False) -> dict:
		filters = {"site": self.site} if self.site else {}
		if self.lots is not None:
			filters["lot"] = ["in", self.lots]
		if self.start:
			bounds = [self.start, self.end] if datetime_field else [self.from_date, self.to_date]
			filters[date_field] = ["between", bounds]
		return filters

	def in_period(self, value) -> bool:
		return not self.end or get_datetime(value) < self.end


def read_records(scope: ExportScope) -> dict:
	tickets = readable_list(
		"Scale Ticket", TICKET_FIELDS, {**scope.filters("ticket_datetime", True), "docstatus": 1}
	)
	tickets = [t for t in tickets if scope.in_period(t.ticket_datetime)]
	qc = readable_list("QC Test", QC_FIELDS, {**scope.filters("test_date"), "docstatus": 1})
	readings = readable_list("Observation", READING_FIELDS, scope.filters("observed_at", True))
	readings = [r for r in readings if r.device and scope.in_period(r.observed_at)]
	readings += archived_readings(scope)
	transfers = read_transfers(scope)
	lot_names = set(scope.lots or []) | {t.lot for t in tickets if t.lot} | {q.lot for q in qc}
	if scope.lots is None:
		dated = {"harvest_date": ["between", [scope.from_date, scope.to_date]]}
		dated["receipt_date"] = ["between", [scope.from_date, scope.to_date]]
		lot_names |= {x.name for x in readable_list("Lot", ["name"], {"site": scope.site}, or_filters=dated)}
	lots = readable_list("Lot", LOT_FIELDS, {"name": ["in", sorted(lot_names) or [""]]})
	sites = {lot.site for lot in lots} | {t.site for t in tickets} | ({scope.site} if scope.site else set())
	return {
		"lots": lots,
		"tickets": tickets,
		"qc": qc,
		"readings": readings,
		"transfers": transfers,
		"sites": read_sites(sites),
	}


def archived_readings(scope: ExportScope) -> list:
	"""Readings of archived months in scope (DuckDB over the Parquet files of the user's sites)."""
	filters = {"registered_only": True}
	if scope.lots is not None:
		filters["lot"] = scope.lots or [""]
	if scope.start:
		filters.update({"from": scope.start, "to": scope.end})
	rows = archive_read.archived_rows(
		filters, [scope.site] if scope.site else None, ["name", *READING_FIELDS]
	)
	for row in rows:
		row.pop("name", None)
	return rows


def read_transfers(scope: ExportScope) -> list[epcis.TransferRecord]:
	filters = {"docstatus": 1, **({"site": scope.site} if scope.site else {})}
	if scope.start:
		filters["transfer_date"] = ["between", [scope.from_date, scope.to_date]]
	fields = ["name", "site", "transfer_date", "transfer_type", "process_loss_kg", "modified"]
	transfers = readable_list("Lot Transfer", fields, filters)
	names = [t.name for t in transfers]
	rows = {"Lot Transfer Source": {}, "Lot Transfer Destination": {}}
	for child in rows:
		for row in frappe.get_all(
			child,
			fields=["parent", "lot", "qty_kg"],
			filters={"parent": ["in", names or [""]]},
			order_by="idx",
		):
			rows[child].setdefault(row.parent, []).append((row.lot, row.qty_kg))
	records = []
	for t in transfers:
		inputs, outputs = (
			rows["Lot Transfer Source"].get(t.name, []),
			rows["Lot Transfer Destination"].get(t.name, []),
		)
		if scope.lots is not None and not {lot for lot, _q in inputs + outputs} & set(scope.lots):
			continue
		records.append(
			epcis.TransferRecord(
				name=t.name,
				site=t.site,
				transfer_date=getdate(t.transfer_date),
				inputs=inputs,
				outputs=outputs,
				loss_kg=t.process_loss_kg or 0.0,
				transfer_type=t.transfer_type or "",
			)
		)
	return records


def read_sites(codes: set) -> list[epcis.SiteRecord]:
	rows = frappe.get_all(
		"Site", fields=["name", "site_name", "governorate"], filters={"name": ["in", sorted(codes) or [""]]}
	)
	return [
		epcis.SiteRecord(code=r.name, name=r.site_name or "", governorate=r.governorate or "") for r in rows
	]


def plain(cls, row, fields: list[str]):
	return cls(**{f: (row.get(f) if row.get(f) is not None else _default(cls, f)) for f in fields})


def _default(cls, field: str):
	value = cls.__dataclass_fields__[field].default
	return "" if value is MISSING else value


def export_epcis(lot=None, site=None, from_date=None, to_date=None) -> dict:
	scope = ExportScope(lot, site, from_date, to_date)
	r = read_records(scope)
	ids = IdScheme(frappe.conf.get("epcis_base_uri") or get_url())
	return epcis.build_epcis_document(
		ids,
		r["sites"],
		lots=[plain(epcis.LotRecord, x, LOT_FIELDS) for x in r["lots"]],
		tickets=[plain(epcis.TicketRecord, x, TICKET_FIELDS) for x in r["tickets"]],
		transfers=r["transfers"],
		qc_tests=[plain(epcis.QCRecord, x, QC_FIELDS) for x in r["qc"]],
		readings=[plain(epcis.ReadingRecord, x, READING_FIELDS) for x in r["readings"]],
		crops={x.name: x.crop for x in r["lots"]},
	)


def trace_sheet_file(lot=None, site=None, from_date=None, to_date=None, format="xlsx") -> tuple[str, bytes]:
	"""(file name, content) of the trace sheet as ``xlsx`` or ``csv``."""
	if format not in ("xlsx", "csv"):
		frappe.throw(_("Trace sheet format must be xlsx or csv, not {0}").format(format))
	scope = ExportScope(lot, site, from_date, to_date)
	r = read_records(scope)
	rows = trace_sheet.trace_sheet_rows(
		[plain(epcis.LotRecord, x, LOT_FIELDS) for x in r["lots"]],
		[plain(epcis.TicketRecord, x, TICKET_FIELDS) for x in r["tickets"]],
		r["transfers"],
		r["sites"],
		translate=_,
	)
	headers = [(key, _(label)) for key, label in trace_sheet.TRACE_SHEET_COLUMNS]
	stem = f"trace-{lot or site}"
	if format == "csv":
		return f"{stem}.csv", trace_sheet.sheet_csv(rows, headers)
	rtl = frappe.local.lang == "ar"
	return f"{stem}.xlsx", trace_sheet.sheet_xlsx(rows, headers, title=_("Trace"), right_to_left=rtl)
