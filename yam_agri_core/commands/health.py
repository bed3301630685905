"""``yam check``, ``yam smoke``, ``yam db-size``, ``yam optimize``: is the system healthy, and keep the
database quick (runbook sections 1, 5.1, 7.2 and 9)."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import click
import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime, today

from yam_agri_core.commands.base import CommandError, Progress, print_json, say, site_command, warn, yam
from yam_agri_core.rules import admin_commands as rules
from yam_agri_core.rules.dashboards import resolve_dynamic

#: The Desk's number cards the daily check reads (the same filters as on the YAM Agri workspace).
CHECK_CARDS = (
	("open_critical_nonconformances", "Open Critical Nonconformances"),
	("certificates_expiring", "Certificates Expiring in 30 Days"),
	("certificates_expired", "Expired Certificates"),
	("quarantined_readings_24h", "Quarantined Readings (24 h)"),
	("scale_mismatches_7d", "Mismatched Tickets (7 Days)"),
)
BACKUP_DIR_ENV = "YAM_BACKUP_DIR"
BACKUP_AGE_ENV = "YAM_BACKUP_MAX_AGE_HOURS"
#: The scheduler is taken as alive when a scheduled job ran within this many minutes.
SCHEDULER_SILENT_MINUTES = 15


# --- yam check -----------------------------------------------------------------------------------


def card_filters(card) -> list[list]:
	"""A number card's filters as Desk sends them: the static ones and the dynamic ones evaluated."""
	filters = json.loads(card.filters_json or "[]")
	for row in json.loads(card.dynamic_filters_json or "[]"):
		value = resolve_dynamic(row[3], frappe.utils.getdate(today()), now_datetime())
		filters.append([row[0], row[1], row[2], str(value)])
	return [row[:4] for row in filters]


def card_finding(key: str, card_name: str) -> rules.Finding:
	"""What a Number Card counts and the first records it counts (Desk's own query, all sites)."""
	from frappe.desk.doctype.number_card.number_card import get_result

	card = frappe.get_doc("Number Card", card_name)
	filters = card_filters(card)
	count = int(get_result(card.as_json(), [list(f) for f in filters]))
	names = frappe.get_list(
		card.document_type, filters=filters, pluck="name", order_by="creation desc", limit_page_length=5
	)
	return rules.count_finding(key, _(card.label), count, names)


def silent_devices_finding() -> rules.Finding:
	from yam_agri_core.desk.cards import silent_devices

	names = sorted(row.name for row in silent_devices())
	return rules.count_finding("silent_devices", _("Silent Devices"), len(names), names)


def backup_places(backups_dir: str | None) -> tuple[Path | None, Path]:
	"""run.sh's backups folder (when given or visible here) and the site's own private/backups."""
	root = backups_dir or os.environ.get(BACKUP_DIR_ENV)
	return (Path(root) if root else None), Path(frappe.get_site_path("private", "backups")).resolve()


@yam.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option(
	"--backups",
	"backups_dir",
	default=None,
	help="run.sh's backups folder (default $YAM_BACKUP_DIR); the site's private/backups is always read.",
)
@click.option(
	"--max-backup-age",
	type=int,
	default=None,
	help="Hours after which the newest backup is too old (default $YAM_BACKUP_MAX_AGE_HOURS or 26).",
)
@click.option(
	"--skip-backup",
	is_flag=True,
	help="Leave the backup out (in the Docker stack run.sh's backups are on the host: bash run.sh status).",
)
@site_command(writes=False)
def check(as_json, backups_dir, max_backup_age, skip_backup):
	"""The daily checklist (runbook section 1) in the terminal, over every site: open critical
	nonconformances, certificates expiring within 30 days or expired, quarantined readings of the last
	24 h, silent devices, scale ticket mismatches of the last 7 days, the newest backup.
	Exit status 4 when something needs attention (for cron and run.sh watch), else 0.

	\b
	Examples:
	  bench --site SITE yam check
	  bench --site SITE yam check --json --backups /opt/yam-agri/backups
	  bench --site SITE yam check --skip-backup
	"""
	if max_backup_age is None:
		max_backup_age = int(os.environ.get(BACKUP_AGE_ENV) or rules.BACKUP_MAX_AGE_HOURS)
	max_age = max_backup_age
	if max_age <= 0:
		raise CommandError(_("--max-backup-age must be a number of hours above 0"))
	now = now_datetime()
	findings = [card_finding(key, name) for key, name in CHECK_CARDS]
	findings.insert(4, silent_devices_finding())
	if not skip_backup:
		findings.append(rules.backup_finding(rules.find_backups(*backup_places(backups_dir)), now, max_age))
	status = rules.exit_status(findings)
	if as_json:
		print_json(rules.findings_json(findings, now, frappe.local.site))
		return status
	say(_("Daily check of {0} at {1}").format(frappe.local.site, frappe.utils.format_datetime(now)))
	for finding in findings:
		mark = "!!" if finding.attention else "ok"
		if finding.key == "backup":
			value = (
				_("{0} h old: {1}").format(finding.count, finding.detail)
				if finding.count is not None
				else finding.detail
			)
		else:
			value = str(finding.count) + (f"  ({', '.join(finding.items)})" if finding.items else "")
		say(f"  [{mark}] {finding.label}: {value}")
	if status:
		warn(_("Something needs attention"))
	else:
		say(_("All clear"))
	return status


# --- yam smoke -----------------------------------------------------------------------------------


@yam.command("smoke")
@site_command(writes=False)
def smoke():
	"""Is the system functional (runbook 7.2, step 6: AT-01)? Creates a site, a storage bin and a lot in
	a transaction it rolls back, reads them back, and checks that the scheduler and the background
	queues are alive. Prints OK or what is wrong; exit status 4 when something is.

	\b
	Example:
	  bench --site SITE yam smoke
	"""
	problems: list[str] = []
	try:
		made = at01_records()
		say(_("AT-01: created and read back site {0}, storage bin {1} and lot {2}").format(*made))
	except Exception as error:  # any failure here is the finding itself
		problems.append(
			_("AT-01 failed: {0}").format(frappe.utils.strip_html(str(error)) or type(error).__name__)
		)
	frappe.db.rollback()
	if problems == [] and frappe.db.exists("Site", made[0]):
		problems.append(_("AT-01: the test records were not rolled back"))
	for line, ok in (scheduler_state(), *queue_states()):
		say(f"  [{'ok' if ok else '!!'}] {line}")
		if not ok:
			problems.append(line)
	if problems:
		warn(_("NOT OK: {0}").format("; ".join(problems)))
		return rules.EXIT_ATTENTION
	say(_("OK"))
	return rules.EXIT_OK


def at01_records() -> tuple[str, str, str]:
	"""Site -> Storage Bin -> Lot as a user would make them (every controller runs), then read back."""
	code = f"SMOKE-{uuid.uuid4().hex[:8].upper()}"
	crop = frappe.db.get_value("Crop", {}, "name", order_by="name asc")
	if not crop:
		raise CommandError(_("No crop is defined; run bench migrate"), rules.EXIT_FAILED)
	site = frappe.get_doc(
		{"doctype": "Site", "site_code": code, "site_name": "Smoke test", "site_type": "Silo"}
	).insert()
	bin_ = frappe.get_doc(
		{
			"doctype": "Storage Bin",
			"site": site.name,
			"bin_code": "B1",
			"bin_type": "Silo",
			"status": "Empty",
			"capacity_kg": 1000,
		}
	).insert()
	lot = frappe.get_doc(
		{
			"doctype": "Lot",
			"lot_type": "Storage",
			"status": "Draft",
			"site": site.name,
			"storage_bin": bin_.name,
			"crop": crop,
			"declared_qty_kg": 100,
		}
	).insert()
	read = frappe.get_doc("Lot", lot.name)
	if (read.site, read.storage_bin, read.crop) != (site.name, bin_.name, crop):
		raise CommandError(_("The lot read back differs from the one written"), rules.EXIT_FAILED)
	listed = frappe.get_list("Storage Bin", filters={"site": site.name}, pluck="name")
	if listed != [bin_.name]:
		raise CommandError(_("The storage bin is not listed under its site"), rules.EXIT_FAILED)
	return site.name, bin_.name, lot.name


def scheduler_state() -> tuple[str, bool]:
	from frappe.utils.scheduler import is_scheduler_inactive

	if is_scheduler_inactive(verbose=False):
		return _("Scheduler: disabled or paused (bench --site SITE enable-scheduler)"), False
	last = frappe.db.get_value("Scheduled Job Type", {"stopped": 0}, "max(last_execution)")
	if not last:
		return _("Scheduler: enabled, but no scheduled job has run yet"), False
	minutes = int((now_datetime() - frappe.utils.get_datetime(last)).total_seconds() // 60)
	if minutes > SCHEDULER_SILENT_MINUTES:
		return _("Scheduler: enabled, but the last scheduled job ran {0} minutes ago").format(minutes), False
	return _("Scheduler: alive, the last scheduled job ran {0} minutes ago").format(minutes), True


def queue_states() -> list[tuple[str, bool]]:
	from frappe.utils.background_jobs import get_queue, get_queue_list, get_workers

	states = []
	try:
		for queue in get_queue_list():
			workers = get_workers(get_queue(queue))
			pending = get_queue(queue).count
			if workers:
				states.append(
					(_("Queue {0}: {1} workers, {2} jobs waiting").format(queue, len(workers), pending), True)
				)
			else:
				states.append((_("Queue {0}: no worker ({1} jobs waiting)").format(queue, pending), False))
	except Exception as error:  # Redis down is the finding
		states.append((_("Background queues unreachable: {0}").format(error), False))
	return states


# --- yam db-size ---------------------------------------------------------------------------------


@yam.command("db-size")
@click.option("--limit", type=int, default=20, show_default=True, help="How many tables to list.")
@site_command(writes=False)
def db_size(limit):
	"""The site database's size per table, the Observation table and its indexes first (runbook 5.1).

	\b
	Example:
	  bench --site SITE yam db-size --limit 10
	"""
	if limit <= 0:
		raise CommandError(_("--limit must be a number above 0"))
	rows = frappe.db.sql(
		"""select table_name as `table`, table_rows as `rows`, data_length as data_bytes,
			index_length as index_bytes
		from information_schema.tables where table_schema = %s and table_type = 'BASE TABLE'""",
		frappe.conf.db_name,
		as_dict=True,
	)
	ordered = rules.order_tables(rows)
	total = sum(int(r.data_bytes or 0) + int(r.index_bytes or 0) for r in rows)
	say(_("Database {0}: {1} tables, {2} MB").format(frappe.conf.db_name, len(rows), rules.megabytes(total)))
	say(
		rules.format_table(
			[_("Table"), _("Rows (estimate)"), _("Data MB"), _("Index MB"), _("Total MB")],
			[
				(
					r.table,
					f"{int(r.rows or 0):,}",
					rules.megabytes(r.data_bytes),
					rules.megabytes(r.index_bytes),
					rules.megabytes(int(r.data_bytes or 0) + int(r.index_bytes or 0)),
				)
				for r in ordered[:limit]
			],
		)
	)
	say()
	say(_("Indexes of {0}:").format(rules.BIGGEST_TABLE))
	say(rules.format_table(*observation_indexes()))


def observation_indexes() -> tuple[list[str], list[tuple]]:
	"""The Observation table's indexes with their size when the server tells it (InnoDB statistics),
	else their columns and cardinality."""
	table = rules.BIGGEST_TABLE
	indexes: dict[str, dict] = {}
	for row in frappe.db.sql(f"show index from `{table}`", as_dict=True):
		entry = indexes.setdefault(row.Key_name, {"columns": [], "cardinality": 0})
		entry["columns"].append(row.Column_name)
		entry["cardinality"] = max(entry["cardinality"], int(row.Cardinality or 0))
	sizes: dict[str, int] = {}
	try:
		sizes = dict(
			frappe.db.sql(
				"""select index_name, stat_value * @@innodb_page_size from mysql.innodb_index_stats
				where database_name = %s and table_name = %s and stat_name = 'size'""",
				(frappe.conf.db_name, table),
			)
		)
	except Exception:  # no right to read mysql.* : sizes stay unknown
		frappe.db.rollback()
	headers = [_("Index"), _("Columns"), _("Cardinality")]
	rows = [
		(name, ", ".join(entry["columns"]), f"{entry['cardinality']:,}") for name, entry in indexes.items()
	]
	if sizes:
		headers.append(_("Size MB"))
		rows = [(*row, rules.megabytes(sizes.get(row[0]))) for row in rows]
	return headers, rows


# --- yam optimize --------------------------------------------------------------------------------

#: A typical query per DocType, timed before and after ANALYZE (what the Desk asks most often).
TIMED_QUERIES = {
	"Observation": (
		"select count(*) from `tabObservation` where quality_flag = 'Quarantine' and observed_at >= %(since)s"
	),
	"Scale Ticket": (
		"select count(*) from `tabScale Ticket` where docstatus = 1 and mismatch_flag = 1 "
		"and ticket_datetime >= %(since)s"
	),
	"Lot": "select site, sum(available_qty_kg) from `tabLot` where status not in ('Shipped', 'Rejected') group by site",
}
TIMED_RUNS = 3


def timed(doctype: str) -> float:
	"""Milliseconds of the DocType's typical query (the fastest of a few runs)."""
	query = TIMED_QUERIES.get(doctype) or f"select count(*) from `tab{doctype}` where modified >= %(since)s"
	since = add_to_date(now_datetime(), days=-7)
	best = float("inf")
	for _run in range(TIMED_RUNS):
		started = time.perf_counter()
		frappe.db.sql(query, {"since": since})
		best = min(best, time.perf_counter() - started)
	return best * 1000


@yam.command("optimize")
@click.option(
	"--doctype", "doctypes", multiple=True, help="Only these DocTypes (default: the high-traffic ones)."
)
@site_command(writes=False)
def optimize(doctypes):
	"""ANALYZE TABLE on the high-traffic DocTypes (runbook section 9), with each one's typical query timed
	before and after.

	\b
	Examples:
	  bench --site SITE yam optimize
	  bench --site SITE yam optimize --doctype Observation
	"""
	chosen = rules.pick_doctypes(doctypes)
	progress = Progress(_("Analyzing"))
	rows = []
	try:
		for done, doctype in enumerate(chosen, start=1):
			before = timed(doctype)
			started = time.perf_counter()
			result = frappe.db.sql(f"analyze table `tab{doctype}`", as_dict=True)
			analyzed = (time.perf_counter() - started) * 1000
			after = timed(doctype)
			status = "; ".join(f"{r.Msg_type}: {r.Msg_text}" for r in result)
			rows.append((doctype, f"{before:.2f}", f"{analyzed:.1f}", f"{after:.2f}", status))
			progress(done, len(chosen))
	finally:
		progress.close()
	say(
		rules.format_table(
			[_("DocType"), _("Query before (ms)"), _("ANALYZE (ms)"), _("Query after (ms)"), _("Result")],
			rows,
		)
	)


# --- yam archive ---------------------------------------------------------------------------------


@yam.command("archive")
@click.option("--dry-run", is_flag=True, help="Only say which months would move; move nothing.")
@click.option(
	"--status",
	"status_only",
	is_flag=True,
	help="Only show the live table, the archive and the oldest month.",
)
@site_command(writes=False)
def archive(dry_run, status_only):
	"""Move sensor readings older than the retention of YAM Agri Settings (Keep Readings Live For) out of
	the database into one Parquet file per site and month (runbook 8.3). Each month is its own
	transaction: a month leaves the database only after its file is written and checked; a second run
	moves nothing. Readings a nonconformance, an evidence pack or an alert names stay.

	\b
	Examples:
	  bench --site SITE yam archive --status
	  bench --site SITE yam archive --dry-run
	  bench --site SITE yam archive
	"""
	from yam_agri_core.monitoring import archive as readings_archive
	from yam_agri_core.rules.archive import human_bytes

	if not status_only:
		result = readings_archive.run_archive(dry_run=dry_run)
		for m in result["months"]:
			template = (
				_("{0} {1}: would move {2}, keep {3}") if dry_run else _("{0} {1}: moved {2}, kept {3}")
			)
			say(template.format(m["site"], m["month"], m["moved"], m["kept"]))
		template = (
			_("{0} readings older than {1} would move ({2} site-months due)")
			if dry_run
			else _("{0} readings older than {1} moved ({2} site-months due)")
		)
		say(template.format(result["moved"], result["cutoff"], len(result["months"])))
	s = readings_archive.archive_status()
	say(
		_("Readings in the database: about {0} rows, {1}; oldest live month: {2}").format(
			s["live_rows_estimate"], human_bytes(s["live_bytes"]), s["oldest_live_month"] or "-"
		)
	)
	say(
		_("Readings archive: {0} site-months, {1} rows, {2}; keep live: {3} days").format(
			s["archived_months"], s["archived_rows"], human_bytes(s["archive_bytes"]), s["retention_days"]
		)
	)
