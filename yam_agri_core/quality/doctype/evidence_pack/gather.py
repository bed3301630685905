"""What an Evidence Pack holds: the records of its site and period (optionally one lot's genealogy),
read through the user's permissions (``frappe.get_list``), and the readings' daily summary (SQL).

Every kind is restricted to the pack's site, even when a lot's genealogy reaches other sites: a pack
of site A is read by site A's auditors, so it never carries another site's records.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Avg, Count, Date, Max, Min, Sum
from frappe.utils import getdate

from yam_agri_core.monitoring import archive_read
from yam_agri_core.permissions import user_has_site
from yam_agri_core.rules import archive, evidence
from yam_agri_core.traceability.genealogy import BACKWARD, FORWARD, Genealogy, readable_list

QUARANTINE = "Quarantine"
FIELDS = {
	"qc_tests": ["name", "lot", "test_type", "test_date", "lab", "value", "unit", "result", "site"],
	"certificates": [
		"name",
		"cert_type",
		"certificate_no",
		"issuing_body",
		"lot",
		"issue_date",
		"expiry_date",
		"status",
		"site",
	],
	"scale_tickets": [
		"name",
		"ticket_no",
		"ticket_datetime",
		"direction",
		"lot",
		"vehicle",
		"net_kg",
		"expected_net_kg",
		"deviation_pct",
		"mismatch_flag",
		"nonconformance",
		"site",
	],
	"nonconformances": [
		"name",
		"nc_type",
		"severity",
		"status",
		"lot",
		"scale_ticket",
		"creation",
		"due_date",
		"root_cause",
		"corrective_action",
		"preventive_action",
		"verification_result",
		"closed_on",
		"site",
	],
	"lot_transfers": [
		"name",
		"transfer_type",
		"transfer_date",
		"total_source_kg",
		"total_destination_kg",
		"process_loss_kg",
		"site",
	],
	"quarantined_readings": [
		"name",
		"device",
		"reported_device_id",
		"metric",
		"value",
		"unit",
		"observed_at",
		"flag_reason",
		"lot",
		"site",
	],
}
#: The field that dates each kind's record (the item's ``record_date``) and gives its title.
DATE_FIELD = {
	"qc_tests": "test_date",
	"certificates": "issue_date",
	"scale_tickets": "ticket_datetime",
	"nonconformances": "creation",
	"lot_transfers": "transfer_date",
	"quarantined_readings": "observed_at",
}
TITLE_FIELDS = {
	"qc_tests": ("test_type", "result", "lot"),
	"certificates": ("cert_type", "certificate_no", "status"),
	"scale_tickets": ("ticket_no", "direction", "lot"),
	"nonconformances": ("nc_type", "severity", "status"),
	"lot_transfers": ("transfer_type", "site"),
	"quarantined_readings": ("device", "metric", "flag_reason"),
}


class Scope:
	"""The pack's site, period and (for a lot-scoped pack) lots of the lot's genealogy in that site."""

	def __init__(self, pack):
		if not user_has_site(pack.site):
			frappe.throw(_("Not permitted to read site {0}").format(pack.site), frappe.PermissionError)
		self.site = pack.site
		self.from_date, self.to_date = getdate(pack.from_date), getdate(pack.to_date)
		self.start, self.end = evidence.period_bounds(self.from_date, self.to_date)
		self.lot = pack.lot
		self.lots: list[str] | None = None
		self.transfers: list[str] | None = None
		if pack.lot:
			self.read_genealogy(pack.lot)

	def read_genealogy(self, lot: str) -> None:
		lots, transfers = {lot}, set()
		for direction in (BACKWARD, FORWARD):
			tree = Genealogy(lot, direction)
			lots |= {name for name in tree.visible if tree.lots.get(name, {}).get("site") == self.site}
			transfers |= {t for t, row in tree.transfers.items() if row.site == self.site}
		self.lots, self.transfers = sorted(lots), sorted(transfers)

	def lot_filter(self, field: str = "lot") -> dict:
		return {} if self.lots is None else {field: ["in", self.lots or [""]]}


def gather(scope: Scope) -> dict[str, list]:
	"""The records of each kind in scope, through the user's permissions."""
	site = {"site": scope.site}
	period = ["between", [scope.start, scope.end]]
	days = ["between", [scope.from_date, scope.to_date]]
	lots = scope.lot_filter()
	records = {
		"qc_tests": readable_list(
			"QC Test", FIELDS["qc_tests"], {**site, **lots, "docstatus": 1, "test_date": days}
		),
		"certificates": certificates(scope),
		"scale_tickets": [
			t
			for t in readable_list(
				"Scale Ticket",
				FIELDS["scale_tickets"],
				{**site, **lots, "docstatus": 1, "ticket_datetime": period},
			)
			if t.ticket_datetime < scope.end
		],
		"nonconformances": nonconformances(scope),
		"lot_transfers": lot_transfers(scope, days),
		"quarantined_readings": [
			r
			for r in readable_list(
				"Observation",
				FIELDS["quarantined_readings"],
				{**site, **lots, "quality_flag": QUARANTINE, "observed_at": period},
			)
			if r.observed_at < scope.end
		],
	}
	records["quarantined_readings"] = sorted(
		records["quarantined_readings"] + archived_quarantined(scope), key=lambda r: r.name
	)
	return records


def archive_filters(scope: Scope) -> dict:
	"""The pack's readings in the archive: its site and period (and lots)."""
	filters = {"site": scope.site, "from": scope.start, "to": scope.end}
	if scope.lots is not None:
		filters["lot"] = scope.lots or [""]
	return filters


def archived_quarantined(scope: Scope) -> list:
	"""Quarantined readings of archived months (read as the live ones, through the user's sites)."""
	rows = archive_read.archived_rows(
		{**archive_filters(scope), "quality_flag": QUARANTINE}, [scope.site], FIELDS["quarantined_readings"]
	)
	records = archive_read.archive_records(scope.site)
	for row in rows:  # the pack's item names the month's archive record (the reading left the database)
		row.archive_record = records.get(archive.month_of(row.observed_at))
	return rows


def certificates(scope: Scope) -> list:
	"""Valid at any time in the period; a lot-scoped pack keeps its lots' and the site's own ones."""
	rows = readable_list(
		"Certificate",
		FIELDS["certificates"],
		{"site": scope.site, "issue_date": ["<=", scope.to_date], "expiry_date": [">=", scope.from_date]},
	)
	if scope.lots is not None:
		rows = [r for r in rows if not r.lot or r.lot in scope.lots]
	return rows


def nonconformances(scope: Scope) -> list:
	"""Open at any time in the period (opened before its end, not closed before its start)."""
	rows = readable_list(
		"Nonconformance",
		FIELDS["nonconformances"],
		{"site": scope.site, **scope.lot_filter(), "creation": ["<", scope.end]},
	)
	return [
		r
		for r in rows
		if evidence.open_in_period(
			getdate(r.creation), getdate(r.closed_on) if r.closed_on else None, scope.from_date, scope.to_date
		)
	]


def lot_transfers(scope: Scope, days: list) -> list:
	filters = {"site": scope.site, "docstatus": 1, "transfer_date": days}
	if scope.transfers is not None:
		filters["name"] = ["in", scope.transfers or [""]]
	return readable_list("Lot Transfer", FIELDS["lot_transfers"], filters)


def reading_summary(scope: Scope) -> list[dict]:
	"""Per device, metric and day: count, min, mean and max of the readings that are not quarantined
	(one grouped query). The user must be able to read Observations of the pack's site."""
	if not frappe.has_permission("Observation", "read"):
		return []
	obs = frappe.qb.DocType("Observation")
	day = Date(obs.observed_at)
	query = (
		frappe.qb.from_(obs)
		.select(
			obs.device,
			obs.metric,
			obs.unit,
			day.as_("day"),
			Count("*").as_("count"),
			Min(obs.value).as_("min"),
			Avg(obs.value).as_("mean"),
			Max(obs.value).as_("max"),
		)
		.where(obs.site == scope.site)
		.where(obs.observed_at >= scope.start)
		.where(obs.observed_at < scope.end)
		.where(obs.quality_flag != QUARANTINE)
		.where(obs.device.isnotnull())
		.groupby(obs.device, obs.metric, obs.unit, day)
	)
	if scope.lots is not None:
		query = query.where(obs.lot.isin(scope.lots or [""]))
	archived = archive_read.daily_summary(
		{**archive_filters(scope), "exclude_flag": QUARANTINE, "registered_only": True}, [scope.site]
	)
	if not archived:
		return evidence.reading_summary(query.run(as_dict=True))
	live = query.select(Sum(obs.value).as_("sum")).run(as_dict=True)
	return evidence.reading_summary(archive.merge_daily_summary(live, archived))


def item_rows(records: dict[str, list]) -> list[dict]:
	"""One Evidence Pack Item per record, in the order of the pack's sections."""
	rows = []
	for key, doctype, _label in evidence.KINDS:
		for record in records[key]:
			title = " · ".join(str(record.get(f)) for f in TITLE_FIELDS[key] if record.get(f))
			reference = (doctype, record.name)
			if record.get("archive_record"):  # an archived reading: its month's archive, the reading named
				reference, title = (archive_read.RECORD, record.archive_record), f"{record.name} · {title}"
			rows.append(
				{
					"reference_doctype": reference[0],
					"reference_name": reference[1],
					"title": title[:140],
					"record_date": getdate(record.get(DATE_FIELD[key]))
					if record.get(DATE_FIELD[key])
					else None,
					"site": record.site,
				}
			)
	return rows


def attached_files(records: dict[str, list]) -> list:
	"""The File records attached to the included records, through the user's permissions."""
	files = []
	for key, doctype, _label in evidence.KINDS:
		names = [r.name for r in records[key]]
		if not names:
			continue
		files += frappe.get_list(
			"File",
			fields=["name", "file_name", "file_url", "attached_to_doctype", "attached_to_name", "is_folder"],
			filters={"attached_to_doctype": doctype, "attached_to_name": ["in", names], "is_folder": 0},
			limit_page_length=0,
			order_by="attached_to_name, name",
		)
	return files
