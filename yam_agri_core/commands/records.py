"""``yam import-tickets``, ``yam trace``, ``yam recall``, ``yam evidence-pack``, ``yam demo``: the
engines Desk uses, driven from the shell."""

from __future__ import annotations

import os
from pathlib import Path

import click
import frappe
from frappe import _

from yam_agri_core.commands.base import (
	CommandError,
	Progress,
	find_site,
	print_json,
	say,
	site_command,
	warn,
	yam,
)
from yam_agri_core.rules import admin_commands as rules

# --- yam import-tickets --------------------------------------------------------------------------


@yam.command("import-tickets")
@click.argument("file")
@click.option("--site", "site", required=True, help="The site the tickets belong to (code or name).")
@click.option("--dry-run", is_flag=True, help="Say what would happen to each row; write nothing.")
@site_command()
def import_tickets(file, site, dry_run):
	"""Import a weighbridge file (CSV or .xlsx) as submitted Scale Tickets: the Scale Ticket Import's
	engine. A bad row is refused with its reason and leaves nothing; a ticket number the site already
	has is skipped; the other rows are kept. Exit status 4 when rows were refused.

	\b
	Examples:
	  bench --site SITE yam import-tickets /tmp/tickets.csv --site YEM-TAI-SILO-01 --dry-run
	  bench --site SITE yam import-tickets /tmp/tickets.xlsx --site YEM-TAI-SILO-01
	"""
	from yam_agri_core.traceability import ticket_import

	path = Path(file)
	if not path.is_file():
		raise CommandError(_("The file {0} does not exist").format(file))
	site = find_site(site)
	progress = Progress(_("Rows"))
	try:
		result = ticket_import.import_scale_tickets(
			site, path.read_bytes(), path.name, dry_run=dry_run, progress=progress
		)
	finally:
		progress.close()
	rows = [
		*(
			(
				r["row"],
				_("Imported") if not dry_run else _("Would import"),
				r["ticket_no"],
				r["ticket"] or "",
				rules.kilograms(r["net_kg"]),
				_("weight mismatch, nonconformance {0}").format(r["nonconformance"] or "-")
				if r["mismatch_flag"]
				else "",
			)
			for r in result["imported"]
		),
		*((r["row"], _("Skipped"), r["ticket_no"], r["ticket"], "", r["reason"]) for r in result["skipped"]),
		*((r["row"], _("Refused"), "", "", "", r["error"]) for r in result["rejected"]),
	]
	rows.sort(key=lambda r: r[0])
	say(
		rules.format_table(
			[_("Row"), _("Outcome"), _("Ticket No"), _("Scale Ticket"), _("Net kg"), _("Note")], rows
		)
	)
	counts = ticket_import.summary(result)
	say(
		_("{0} imported, {1} skipped, {2} refused, {3} weight mismatches").format(
			counts["imported"], counts["skipped"], counts["rejected"], counts["mismatches"]
		)
	)
	if result.get("unknown_columns"):
		warn(_("Columns not understood: {0}").format(", ".join(result["unknown_columns"])))
	if dry_run:
		say(_("Dry run: nothing was written"))
	return rules.EXIT_ATTENTION if counts["rejected"] else rules.EXIT_OK


# --- yam trace / yam recall ----------------------------------------------------------------------


def lot_label(item: dict, nodes: dict) -> str:
	node = nodes.get(item["id"]) or {}
	if node.get("restricted"):
		text = _("Restricted lot")
	else:
		text = f"{item['id']}  {node.get('site') or ''} {_(node.get('crop') or '')} {_(node.get('status') or '')}"
		text += "  " + _("{0} kg available").format(rules.kilograms(node.get("available_qty_kg")))
	if item.get("qty_kg") is not None:
		text += "  " + _("({0} kg via {1})").format(
			rules.kilograms(item["qty_kg"]), item.get("transfer") or "-"
		)
	if item.get("repeat"):
		text += "  " + _("(already shown above)")
	if item.get("more"):
		text += "  " + _("(more generations: trace from this lot)")
	return text


@yam.command("trace")
@click.argument("lot")
@click.option("--forward", is_flag=True, help="Trace forward (where the grain went); default backward.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole genealogy as JSON.")
@site_command(writes=False)
def trace(lot, forward, as_json):
	"""A lot's genealogy: backward (the lots its grain came from) or forward (where it went).

	\b
	Examples:
	  bench --site SITE yam trace LOT-2026-00001
	  bench --site SITE yam trace LOT-2026-00001 --forward --json
	"""
	from yam_agri_core.traceability.genealogy import BACKWARD, FORWARD, Genealogy

	result = Genealogy(lot.strip(), FORWARD if forward else BACKWARD).as_dict()
	if as_json:
		print_json(result)
		return
	title = _("Forward trace of {0}") if forward else _("Backward trace of {0}")
	say(
		title.format(result["lot"])
		+ ": "
		+ _("{0} lots, {1} transfers").format(len(result["nodes"]), len(result["edges"]))
	)
	for line in rules.tree_lines(result["tree"], lambda item: lot_label(item, result["nodes"])):
		say(line)
	if result["truncated"]:
		warn(
			_("The genealogy is deeper than {0} generations; trace again from the lots marked").format(
				result["max_depth"]
			)
		)


@yam.command("recall")
@click.argument("lot")
@click.option("--json", "as_json", is_flag=True, help="Print the mock recall as JSON.")
@site_command(writes=False)
def recall(lot, as_json):
	"""Mock recall of a lot: every lot downstream, the shipments among them and the mass balance.
	Exit status 4 when the mass balance does not close.

	\b
	Example:
	  bench --site SITE yam recall LOT-2026-00001
	"""
	from yam_agri_core.traceability.recall import MockRecall

	result = MockRecall(lot.strip()).as_dict()
	balance = result["mass_balance"]
	status = rules.EXIT_OK if balance["balanced"] else rules.EXIT_ATTENTION
	if as_json:
		print_json(result)
		return status
	say(
		_("Mock recall of {0}: {1} lots, {2} shipments").format(
			result["lot"], len(result["lots"]), len(result["shipments"])
		)
	)
	say(
		rules.format_table(
			[
				_("Generation"),
				_("Lot"),
				_("Site"),
				_("Status"),
				_("Received kg"),
				_("Available kg"),
				_("Shipped kg"),
				_("Customer"),
			],
			[
				(
					row["depth"],
					row["lot_label"],
					row.get("site") or "",
					_(row.get("status") or ""),
					rules.kilograms(row["received_kg"]) if row["received_kg"] is not None else "",
					rules.kilograms(row["available_qty_kg"]),
					rules.kilograms(row["shipped_kg"]),
					row.get("customer") or "",
				)
				for row in result["lots"]
			],
		)
	)
	say(
		_(
			"Mass balance: entered {0} kg, shipped {1} kg, on hand {2} kg, loss {3} kg, weighing deduction {4} kg, unaccounted {5} kg"
		).format(
			*(
				rules.kilograms(balance[k])
				for k in (
					"entered_kg",
					"shipped_kg",
					"on_hand_kg",
					"loss_kg",
					"weighing_deduction_kg",
					"unaccounted_kg",
				)
			)
		)
	)
	if status:
		warn(_("The mass balance does not close"))
	else:
		say(_("The mass balance closes"))
	if result["truncated"]:
		warn(_("The genealogy was cut at its depth limit; recall again from its last lots"))
	return status


# --- yam evidence-pack ---------------------------------------------------------------------------


def file_path(file_url: str | None) -> str:
	if not file_url:
		return ""
	name = frappe.db.get_value("File", {"file_url": file_url}, "name")
	return os.path.abspath(frappe.get_doc("File", name).get_full_path()) if name else file_url


@yam.command("evidence-pack")
@click.option("--site", "site", required=True, help="The site (code or name).")
@click.option("--from", "from_date", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "to_date", required=True, help="Last day, YYYY-MM-DD.")
@click.option("--lot", default=None, help="Only this lot and its genealogy.")
@site_command()
def evidence_pack(site, from_date, to_date, lot):
	"""Make an Evidence Pack (Draft) of a site and period and generate its PDF and ZIP; prints their paths.

	\b
	Example:
	  bench --site SITE yam evidence-pack --site YEM-TAI-SILO-01 --from 2026-01-01 --to 2026-03-31
	"""
	from yam_agri_core.rules.evidence import period_bounds

	start, end = rules.parse_date(from_date, "--from"), rules.parse_date(to_date, "--to")
	period_bounds(start, end)
	site = find_site(site)
	if lot and not frappe.db.exists("Lot", lot):
		raise CommandError(_("Lot {0} not found").format(lot))
	say(_("Gathering the records of {0} from {1} to {2}...").format(site, start, end))
	pack = frappe.get_doc(
		{"doctype": "Evidence Pack", "site": site, "lot": lot, "from_date": start, "to_date": end}
	).insert()
	counts = pack.generate()
	from yam_agri_core.quality.doctype.evidence_pack.evidence_pack import COUNT_FIELDS

	listed = ", ".join(
		f"{_(pack.meta.get_label(field))} {counts.get(key, 0)}" for key, field in COUNT_FIELDS.items()
	)
	say(_("Evidence pack {0} (Draft): {1}").format(pack.name, listed))
	say(_("PDF: {0}").format(file_path(pack.pdf_file)))
	say(_("ZIP: {0}").format(file_path(pack.zip_file)))
	say(_("Manifest sha256: {0}").format(pack.manifest_sha256))


# --- yam demo ------------------------------------------------------------------------------------


@yam.command("demo")
@site_command()
def demo():
	"""Make the demo data (three Yemeni sites, bins, devices, lots, tickets, readings, certificates,
	a critical nonconformance and one user per persona); running it again adds nothing.

	\b
	Example:
	  bench --site SITE yam demo
	"""
	from yam_agri_core.demo import make_demo_data

	say(_("Making the demo data..."))
	counts = make_demo_data()
	say(rules.format_table([_("DocType"), _("Records")], [(_(k), v) for k, v in counts.items()]))
