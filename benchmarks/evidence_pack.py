"""Benchmark: generate an Evidence Pack for a site-month with 100,000 readings and 1,000 scale tickets,
and export EPCIS 2.0 for a 1,000-lot genealogy.

Run with the bench's Python from the bench's ``sites`` folder (the script connects by itself)::

    cd ~/frappe-bench/sites && ../env/bin/python ../apps/yam_agri_core/benchmarks/evidence_pack.py --site SITE

It bulk-inserts (no ``doc.insert`` per row) a site ``BENCH-EVP`` with one lot, ten devices, the readings
(1 % of them Quarantine) spread over the last 30 days and submitted tickets; then times the pack's
reading summary (one grouped query) against the naive way (fetch every reading, aggregate in Python),
and the whole ``generate`` (gather, PDF, ZIP, manifest). The genealogy part reuses ``bench_trace``'s
builder (1,000 lots, 10 generations, blends) and times ``export_epcis`` against its floor (the two
recursive genealogy queries alone). Everything made is deleted at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import timedelta

import frappe

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SITE = "BENCH-EVP"
PREFIX = "BEVP-"


def parse_args() -> argparse.Namespace:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--readings", type=int, default=100_000)
	parser.add_argument("--tickets", type=int, default=1_000)
	parser.add_argument("--lots", type=int, default=1_000, help="lots of the EPCIS genealogy")
	parser.add_argument("--repeat", type=int, default=3)
	parser.add_argument("--keep", action="store_true")
	return parser.parse_args()


def cleanup() -> None:
	for doctype in ("Observation", "Scale Ticket", "Device", "Lot"):
		frappe.db.sql(f"delete from `tab{doctype}` where site = %s", (SITE,))
	packs = frappe.get_all("Evidence Pack", filters={"site": SITE}, pluck="name")
	for pack in packs:
		frappe.db.sql(
			"delete from `tabFile` where attached_to_doctype = 'Evidence Pack' and attached_to_name = %s",
			pack,
		)
		frappe.db.sql("delete from `tabEvidence Pack Item` where parent = %s", pack)
		frappe.db.sql("delete from `tabEvidence Pack` where name = %s", pack)
	frappe.db.sql("delete from `tabSite` where name = %s", (SITE,))
	frappe.db.commit()


def seed(readings: int, tickets: int) -> None:
	rng = random.Random(13)
	now = frappe.utils.now_datetime()
	std = {"creation": now, "modified": now, "owner": "Administrator", "modified_by": "Administrator"}
	frappe.get_doc(
		{"doctype": "Site", "site_code": SITE, "site_name": "Benchmark Evidence", "site_type": "Silo"}
	).insert(ignore_permissions=True)
	if not frappe.db.exists("Crop", "Wheat"):
		frappe.get_doc({"doctype": "Crop", "crop_name": "Wheat"}).insert(ignore_permissions=True)
	lot = f"{PREFIX}LOT"
	frappe.db.bulk_insert(
		"Lot",
		[
			"name",
			*std,
			"naming_series",
			"lot_type",
			"status",
			"site",
			"crop",
			"season",
			"declared_qty_kg",
			"available_qty_kg",
		],
		[
			(
				lot,
				*std.values(),
				"LOT-.YYYY.-.#####",
				"Harvest",
				"In Storage",
				SITE,
				"Wheat",
				"2026-Spring",
				1e6,
				1e6,
			)
		],
	)
	devices = [f"{PREFIX}D{i}" for i in range(10)]
	frappe.db.bulk_insert(
		"Device",
		["name", *std, "device_id", "device_type", "site", "is_active"],
		[(d, *std.values(), d, "Temperature Sensor", SITE, 1) for d in devices],
	)
	rows = []
	for i in range(readings):
		at = now - timedelta(seconds=60 + i * (29 * 86400 // max(readings, 1)))
		quarantined = i % 100 == 0
		value = 42.0 if quarantined else round(rng.uniform(15, 28), 2)
		flag, reason = (
			("Quarantine", "Temperature 42 °C is above the critical limit of 35 °C")
			if quarantined
			else ("Valid", None)
		)
		rows.append(
			(
				f"{PREFIX}O{i:07d}",
				*std.values(),
				devices[i % 10],
				SITE,
				lot,
				at,
				"Temperature",
				value,
				"°C",
				flag,
				reason,
			)
		)
	fields = [
		"name",
		*std,
		"device",
		"site",
		"lot",
		"observed_at",
		"metric",
		"value",
		"unit",
		"quality_flag",
		"flag_reason",
	]
	frappe.db.bulk_insert("Observation", fields, rows, chunk_size=10000)
	ticket_rows = [
		(f"{PREFIX}T{i:05d}", *std.values(), 1, f"BT-{i}", SITE, lot, now - timedelta(hours=i % 700),
		 "Inbound", 11000.0, 10000.0, 1000.0, 1000.0, 0.0, 0)
		for i in range(tickets)
	]  # fmt: skip
	ticket_fields = [
		"name",
		*std,
		"docstatus",
		"ticket_no",
		"site",
		"lot",
		"ticket_datetime",
		"direction",
		"gross_kg",
	]
	ticket_fields += ["tare_kg", "net_kg", "expected_net_kg", "deviation_pct", "mismatch_flag"]
	frappe.db.bulk_insert("Scale Ticket", ticket_fields, ticket_rows, chunk_size=5000)
	frappe.db.commit()
	for table in ("Observation", "Scale Ticket"):
		frappe.db.sql(f"analyze table `tab{table}`")


def timed(fn, repeat: int) -> tuple[float, object]:
	runs, result = [], None
	for _ in range(repeat):
		began = time.perf_counter()
		result = fn()
		runs.append((time.perf_counter() - began) * 1000)
	return statistics.median(runs), result


def naive_summary(start, end) -> int:
	"""Every reading fetched and aggregated per device, metric and day in Python."""
	rows = frappe.get_list(
		"Observation",
		fields=["device", "metric", "unit", "observed_at", "value", "quality_flag"],
		filters={"site": SITE, "observed_at": ["between", [start, end]]},
		limit_page_length=0,
	)
	groups = defaultdict(list)
	for r in rows:
		if r.quality_flag != "Quarantine":
			groups[(r.device, r.metric, r.unit, r.observed_at.date())].append(r.value)
	return len({k: (len(v), min(v), sum(v) / len(v), max(v)) for k, v in groups.items()})


def main() -> int:
	args = parse_args()
	frappe.init(site=args.site, sites_path=os.getcwd())
	frappe.connect()
	frappe.set_user("Administrator")
	import bench_trace

	from yam_agri_core.quality.doctype.evidence_pack import gather
	from yam_agri_core.traceability import exports
	from yam_agri_core.traceability.genealogy import BACKWARD, FORWARD, Genealogy

	try:
		cleanup()
		bench_trace.cleanup()
		began = time.perf_counter()
		seed(args.readings, args.tickets)
		print(
			f"seeded {args.readings:,} readings and {args.tickets:,} tickets in {time.perf_counter() - began:.1f} s"
		)
		today = frappe.utils.getdate()
		pack = frappe.get_doc(
			{
				"doctype": "Evidence Pack",
				"site": SITE,
				"from_date": frappe.utils.add_days(today, -30),
				"to_date": today,
			}
		).insert()
		scope = gather.Scope(pack)
		rows = []
		ms, summary = timed(lambda: gather.reading_summary(scope), args.repeat)
		rows.append(("reading summary, one grouped query (floor)", ms, len(summary)))
		ms, groups = timed(lambda: naive_summary(scope.start, scope.end), args.repeat)
		rows.append(("  naive: fetch every reading, aggregate in Python", ms, groups))
		ms, counts = timed(pack.generate, args.repeat)
		rows.append(("generate (gather + PDF + ZIP + manifest)", ms, counts["scale_tickets"]))
		print(f"  pack counts: {counts}")

		names = bench_trace.build(args.lots, 10, 7)
		first = names[0][0]
		ms, doc = timed(lambda: exports.export_epcis(lot=first), args.repeat)
		rows.append(
			(
				f"EPCIS export, {sum(len(g) for g in names):,}-lot genealogy",
				ms,
				len(doc["epcisBody"]["eventList"]),
			)
		)
		ms, _n = timed(lambda: [Genealogy(first, d) for d in (BACKWARD, FORWARD)], args.repeat)
		rows.append(("  floor: the two genealogy queries alone", ms, None))
		print(f"\n{'method':<55} {'median ms':>10} {'rows':>8}")
		for label, ms, n in rows:
			print(f"{label:<55} {ms:>10.1f} {'' if n is None else n:>8}")
		return 0
	finally:
		if not args.keep:
			cleanup()
			bench_trace.cleanup()
		frappe.destroy()


if __name__ == "__main__":
	sys.exit(main())
