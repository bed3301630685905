"""Benchmark: importing a weighbridge file of 10,000 scale tickets (FR-SCL-01..02).

Run with the bench's Python from the bench's ``sites`` folder (the script connects by itself)::

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/yam_agri_core/benchmarks/bench_ticket_import.py --site SITE

On a dedicated benchmark site ``BENCH-IMPORT`` (``--lots`` lots of 3,000 kg and a scale) it builds a
CSV of ``--rows`` tickets weighing the lots in turn (every 50th weighs 2,200 kg net: a mismatch with its nonconformance) and times, side
by side, in rows per second:

- naive: the plain one-document-at-a-time path a script or the REST API takes (``insert()``, ``submit()``,
  ``commit()`` per ticket, each mismatch alerting at once), on the first ``--naive-rows`` rows;
- import: :func:`yam_agri_core.traceability.ticket_import.run_import` on the whole file as the background
  job runs it (parse, one lookup of the existing ticket numbers, per-row savepoint, insert+submit
  through the controller, a commit every 500 rows, one digest), parse time shown apart;
- floor: ``frappe.db.bulk_insert`` of the same rows, already computed (no validation at all).

It deletes what it made at the end (``--keep`` keeps it; a new run starts by deleting a previous run's
data). ``--profile N`` prints where the import of N rows spends its time instead.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import sys
import time

import frappe

SITE = "BENCH-IMPORT"
PREFIX = "BIM-"
HEADER = "ticket_no,date,operator,gross_weight_kg,tare_weight_kg,net_weight_kg,lot,device\n"


def parse_args() -> argparse.Namespace:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True, help="the Frappe site (e.g. imp.test)")
	parser.add_argument("--rows", type=int, default=10_000)
	parser.add_argument("--lots", type=int, default=1_000, help="lots the rows weigh, in turn")
	parser.add_argument("--naive-rows", type=int, default=1_000, help="rows timed on the naive path")
	parser.add_argument("--profile", type=int, default=0, help="profile the import of this many rows")
	parser.add_argument("--keep", action="store_true", help="keep the benchmark data")
	return parser.parse_args()


# --- data ------------------------------------------------------------------------------------------


def cleanup() -> None:
	tickets = frappe.get_all("Scale Ticket", filters={"site": SITE}, pluck="name")
	ncs = frappe.get_all("Nonconformance", filters={"site": SITE}, pluck="name")
	for doctype, names in (("Scale Ticket", tickets), ("Nonconformance", ncs)):
		for start in range(0, len(names), 1000):
			chunk = names[start : start + 1000]
			frappe.db.delete("Version", {"ref_doctype": doctype, "docname": ("in", chunk)})
			frappe.db.delete("Notification Log", {"document_type": doctype, "document_name": ("in", chunk)})
			frappe.db.delete(doctype, {"name": ("in", chunk)})
	frappe.db.delete("YAM Alert Log", {"site": SITE})
	frappe.db.delete("Device", {"site": SITE})
	lots = frappe.get_all("Lot", filters={"site": SITE}, pluck="name")
	for start in range(0, len(lots), 1000):
		chunk = lots[start : start + 1000]
		frappe.db.delete("Comment", {"reference_doctype": "Lot", "reference_name": ("in", chunk)})
		frappe.db.delete("Version", {"ref_doctype": "Lot", "docname": ("in", chunk)})
	frappe.db.delete("Lot", {"site": SITE})
	frappe.db.delete("Site", {"name": SITE})
	frappe.db.commit()


def fixtures(count: int) -> tuple[list[str], str]:
	"""The site, a scale and ``count`` lots of 3,000 kg (bulk-inserted: they are not what is timed)."""
	frappe.get_doc(
		{"doctype": "Site", "site_code": SITE, "site_name": "Benchmark Import", "site_type": "Silo"}
	).insert(ignore_permissions=True)
	if not frappe.db.exists("Crop", "Wheat"):
		frappe.get_doc({"doctype": "Crop", "crop_name": "Wheat"}).insert(ignore_permissions=True)
	now = frappe.utils.now_datetime()
	lots = [f"{PREFIX}LOT-{i:05d}" for i in range(count)]
	fields = ["name", "creation", "modified", "owner", "modified_by", "lot_type", "status", "site"]
	fields += ["crop", "season", "declared_qty_kg", "available_qty_kg"]
	admin = "Administrator"
	rows = [
		(n, now, now, admin, admin, "Harvest", "Received", SITE, "Wheat", "2026-Spring", 3000, 3000)
		for n in lots
	]
	frappe.db.bulk_insert("Lot", fields, rows)
	scale = frappe.get_doc(
		{"doctype": "Device", "device_id": f"{PREFIX}SCALE", "device_type": "Scale", "site": SITE}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return lots, scale.name


def make_csv(run: str, rows: int, lots: list[str], scale: str) -> str:
	start = dt.datetime(2026, 1, 1, 6, 0)
	lines = [HEADER]
	for i in range(rows):
		gross = 12200 if i % 50 == 49 else 13000
		when = (start + dt.timedelta(minutes=7 * i)).strftime("%Y-%m-%d %H:%M")
		lines.append(
			f"{PREFIX}{run}-{i:06d},{when},Ali,{gross},10000,{gross - 10000},{lots[i % len(lots)]},{scale}\n"
		)
	return "".join(lines)


# --- the three paths -------------------------------------------------------------------------------


def naive(rows, run: str) -> float:
	from yam_agri_core.rules.ticket_import import ticket_values

	started = time.perf_counter()
	for row in rows:
		doc = frappe.get_doc({"doctype": "Scale Ticket", **ticket_values(row, SITE)})
		doc.ticket_no = f"N{run}-{row.ticket_no}"
		doc.insert()
		doc.submit()
		frappe.db.commit()
	return time.perf_counter() - started


def engine(content: str) -> tuple[float, float, dict]:
	from frappe.utils import now_datetime

	from yam_agri_core.rules.ticket_import import parse_ticket_file
	from yam_agri_core.traceability import ticket_import

	started = time.perf_counter()
	parsed = parse_ticket_file(content.encode(), "tickets.csv", now_datetime())
	parsed_at = time.perf_counter()
	laps = []

	def progress(done: int, total: int) -> None:
		if done % 1000 == 0 or done == total:
			laps.append((done, time.perf_counter() - parsed_at))

	result = ticket_import.run_import(
		SITE,
		parsed,
		import_batch=f"{PREFIX}BATCH",
		progress=progress,
		commit_every=ticket_import.COMMIT_EVERY,
	)
	if laps and len(parsed.rows) > 1000:
		print("import: seconds at rows " + ", ".join(f"{done}: {seconds:.1f}" for done, seconds in laps))
	frappe.db.commit()
	return parsed_at - started, time.perf_counter() - parsed_at, result


def floor(rows, run: str) -> float:
	"""The same rows, computed beforehand, written with one bulk insert (no validation, no names)."""
	now = frappe.utils.now_datetime()
	fields = [
		"name",
		"creation",
		"modified",
		"owner",
		"modified_by",
		"docstatus",
		"naming_series",
		"ticket_no",
		"site",
		"lot",
		"device",
		"ticket_datetime",
		"direction",
		"gross_kg",
		"tare_kg",
		"net_kg",
		"expected_net_kg",
		"tolerance_pct",
		"deviation_pct",
		"mismatch_flag",
		"operator",
	]
	started = time.perf_counter()
	values = []
	for row in rows:
		deviation = (row.net_kg - 3000) / 3000 * 100
		values.append(
			(
				f"{PREFIX}F{run}-{row.row}",
				now,
				now,
				"Administrator",
				"Administrator",
				1,
				"SCL-.YYYY.-.#####",
				f"F{run}-{row.ticket_no}",
				SITE,
				row.lot,
				row.device,
				row.ticket_datetime,
				row.direction,
				row.gross_kg,
				row.tare_kg,
				row.net_kg,
				3000,
				2,
				deviation,
				int(abs(deviation) > 2),
				row.operator,
			)
		)
	frappe.db.bulk_insert("Scale Ticket", fields, values, chunk_size=1000)
	frappe.db.commit()
	return time.perf_counter() - started


def profile(content: str) -> None:
	profiler = cProfile.Profile()
	profiler.enable()
	engine(content)
	profiler.disable()
	stats = pstats.Stats(profiler).sort_stats("cumulative")
	stats.print_stats(45)
	stats.sort_stats("tottime").print_stats(25)


def main() -> None:
	args = parse_args()
	if os.path.basename(os.getcwd()) != "sites":
		sys.exit("run from the bench's sites folder")
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		cleanup()
		lots, scale = fixtures(args.lots)
		run = frappe.generate_hash(length=4).upper()
		if args.profile:
			profile(make_csv(run, args.profile, lots, scale))
			return
		from frappe.utils import now_datetime

		from yam_agri_core.rules.ticket_import import parse_ticket_file

		content = make_csv(run, args.rows, lots, scale)
		rows = parse_ticket_file(content.encode(), "tickets.csv", now_datetime()).rows
		naive_s = naive(rows[: args.naive_rows], run)
		parse_s, import_s, result = engine(content)
		_, again_s, again = engine(content)
		floor_s = floor(rows, run)
		n = len(rows)
		print(
			f"Scale ticket import on {args.site}: {n} rows, {sum(r['mismatch_flag'] for r in result['imported'])} mismatches"
		)
		print(f"{'path':<44}{'rows':>8}{'seconds':>10}{'rows/s':>10}")
		lines = [
			("naive: insert + submit + commit per ticket", min(n, args.naive_rows), naive_s),
			("import: parse the file", n, parse_s),
			("import: rows (savepoint, insert+submit each)", len(result["imported"]), import_s),
			("import: total", n, parse_s + import_s),
			("import again: every row skipped", len(again["skipped"]), again_s),
			("floor: bulk insert, no validation", n, floor_s),
		]
		for label, count, seconds in lines:
			print(f"{label:<44}{count:>8}{seconds:>10.2f}{count / seconds if seconds else 0:>10.0f}")
		print("requirement: 500 rows in 30 s (17 rows/s); aim: 10,000 rows in 10 s (1,000 rows/s)")
	finally:
		if not args.keep:
			frappe.db.rollback()
			cleanup()
		frappe.destroy()


if __name__ == "__main__":
	main()
