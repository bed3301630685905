"""Benchmark: the seven Desk reports (issue 10 part 2), each beside the naive way.

Run with the bench's Python from the bench's ``sites`` folder (the script connects by itself)::

    cd ~/frappe-bench/sites && ../env/bin/python ../apps/yam_agri_core/benchmarks/desk_reports.py \\
        --site bench.test [--scratch-site SITE]

``--site`` is only READ (bench.test holds 1,000,000 readings, 100,000 certificates and 1,000 devices
over 20 sites): Certificate Register, Quarantine Review, Device Health and User Access Audit are timed
there as Administrator (every site), for one site, and for a user granted two sites. Lots, scale tickets
and nonconformances are bulk-inserted on ``--scratch-site`` under a dedicated site ``BENCH-RPT``
(100,000 lots, 20,000 tickets, 5,000 nonconformances; names ``BRP-…``), timed, and deleted afterwards
(``--keep`` keeps them). Every figure is the median of ``--repeat`` runs of the report's
``execute``, in milliseconds. Figures, never assertions.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from unittest import mock

import frappe

SCRATCH_SITE = "BENCH-RPT"
PREFIX = "BRP-"


def parse_args() -> argparse.Namespace:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="bench.test", help="site read (never written)")
	parser.add_argument("--scratch-site", help="site where lots, tickets and NCs are bulk-inserted")
	parser.add_argument("--lots", type=int, default=100_000)
	parser.add_argument("--tickets", type=int, default=20_000)
	parser.add_argument("--ncs", type=int, default=5_000)
	parser.add_argument("--repeat", type=int, default=5)
	parser.add_argument("--keep", action="store_true")
	return parser.parse_args()


def timed(fn: Callable, repeat: int) -> tuple[float, object]:
	times, result = [], None
	for _ in range(repeat):
		began = time.perf_counter()
		result = fn()
		times.append((time.perf_counter() - began) * 1000)
	return statistics.median(times), result


MODULES = {
	"Certificate Register": "quality",
	"Nonconformance Ageing": "quality",
	"User Access Audit": "quality",
	"Quarantine Review": "monitoring",
	"Device Health": "monitoring",
	"Scale Ticket Mismatches": "traceability",
	"Lot Stock": "traceability",
}


def report(name: str, **filters) -> Callable[[], int]:
	"""The report's ``execute`` (the read-only site need not have the Report records migrated)."""
	scrub = name.lower().replace(" ", "_")
	execute = frappe.get_attr(f"yam_agri_core.{MODULES[name]}.report.{scrub}.{scrub}.execute")
	return lambda: len(execute(dict(filters))[1])


def as_viewer_of(sites: list[str]):
	"""The reports as a user granted ``sites`` (the permission lookup patched; nothing written)."""
	return mock.patch("yam_agri_core.report_scope.get_allowed_sites", lambda user=None, doctype=None: sites)


def line(label: str, ms: float, rows: object, naive: tuple[str, float] | None = None) -> None:
	extra = f"   naive ({naive[0]}): {naive[1]:9.1f} ms" if naive else ""
	print(f"  {label:58s} {ms:8.1f} ms  {rows!s:>7} rows{extra}")


# --- the read-only site ----------------------------------------------------------------------------


def read_only(repeat: int) -> None:
	today = frappe.utils.getdate()
	sites = sorted(frappe.get_all("Site", pluck="name"))
	one, two = sites[0], sites[:2]
	counts = {dt: frappe.db.count(dt) for dt in ("Observation", "Certificate", "Device", "User")}
	print(
		f"{frappe.local.site}: "
		+ ", ".join(f"{v:,} {k}" for k, v in counts.items())
		+ f", {len(sites)} sites"
	)
	cert = {
		"from_date": frappe.utils.add_months(today, -3),
		"to_date": frappe.utils.add_months(today, 3),
	}
	week = {"from_date": frappe.utils.add_days(today, -6), "to_date": today}

	print("Certificate Register (expiring -3 .. +3 months, the Desk default)")
	naive = timed(naive_certificates, 1)[0]
	for label, fn in scenarios("Certificate Register", cert, one, two):
		ms, rows = timed(fn, repeat)
		line(label, ms, rows, ("whole table, status in Python", naive) if label == "all sites" else None)
	year = {**cert, "to_date": frappe.utils.add_months(today, 12)}
	ms, rows = timed(report("Certificate Register", **year), repeat)
	line("all sites, expiring -3 .. +12 months", ms, rows)

	print("Quarantine Review (last 7 days)")
	naive = timed(lambda: naive_quarantine(one, week), 1)[0]
	for label, fn in scenarios("Quarantine Review", week, one, two):
		ms, rows = timed(fn, repeat)
		line(
			label,
			ms,
			rows,
			("every reading of one site, grouped in Python", naive) if label.startswith("one") else None,
		)

	print("Device Health")
	naive = timed(naive_device_health, 1)[0]
	for label, fn in scenarios("Device Health", {}, one, two):
		ms, rows = timed(fn, repeat)
		line(label, ms, rows, ("one count query per device", naive) if label == "all sites" else None)

	print("User Access Audit")
	naive = timed(naive_access, 1)[0]
	ms, rows = timed(report("User Access Audit"), repeat)
	line("all users (System Manager)", ms, rows, ("get_roles + get_user_permissions per user", naive))


def scenarios(name: str, filters: dict, one: str, two: list[str]):
	yield "all sites", report(name, **filters)
	yield f"one site ({one})", report(name, site=one, **filters)

	def restricted():
		with as_viewer_of(two):
			return report(name, **filters)()

	yield "a user granted two sites", restricted


def naive_certificates() -> int:
	from yam_agri_core.rules import reporting

	today = frappe.utils.getdate()
	rows = frappe.get_all("Certificate", fields=["*"], limit=0)
	return len([reporting.shape_certificate(r, today, 30) for r in rows])


def naive_quarantine(site: str, week: dict) -> int:
	rows = frappe.get_all(
		"Observation",
		filters={"site": site, "observed_at": ["between", [week["from_date"], week["to_date"]]]},
		fields=["device", "observed_at", "metric", "value", "quality_flag", "flag_reason"],
		limit=0,
	)
	groups = defaultdict(list)
	for r in rows:
		if r.quality_flag == "Quarantine":
			groups[(r.device, r.observed_at.date())].append(r)
	return len(groups)


def naive_device_health() -> int:
	since = frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=-24)
	devices = frappe.get_all("Device", fields=["name"], limit=0)
	for d in devices:
		frappe.db.count(
			"Observation", {"device": d.name, "quality_flag": "Quarantine", "observed_at": [">=", since]}
		)
	return len(devices)


def naive_access() -> int:
	from frappe.core.doctype.user_permission.user_permission import get_user_permissions

	users = frappe.get_all("User", pluck="name", limit=0)
	for user in users:
		frappe.get_roles(user)
		get_user_permissions(user)
	return len(users)


# --- the scratch site ------------------------------------------------------------------------------


def cleanup() -> None:
	for doctype in ("Nonconformance", "Scale Ticket", "Lot", "Storage Bin"):
		frappe.db.sql(f"delete from `tab{doctype}` where name like %s", (PREFIX + "%",))
	frappe.db.sql("delete from `tabSite` where name = %s", (SCRATCH_SITE,))
	frappe.db.commit()


def build(lots: int, tickets: int, ncs: int) -> None:
	rng = random.Random(11)
	now = frappe.utils.now_datetime()
	std = {"creation": now, "modified": now, "owner": "Administrator", "modified_by": "Administrator"}
	crops = frappe.get_all("Crop", pluck="name")[:5] or ["Wheat"]
	frappe.get_doc(
		{"doctype": "Site", "site_code": SCRATCH_SITE, "site_name": "Report benchmark", "site_type": "Silo"}
	).insert(ignore_permissions=True)
	bins = [f"{PREFIX}BIN-{i:03d}" for i in range(50)]
	frappe.db.bulk_insert(
		"Storage Bin",
		[*std, "name", "site", "bin_code", "bin_type", "status", "capacity_kg"],
		[(*std.values(), b, SCRATCH_SITE, b, "Silo", "In Use", 1e6) for b in bins],
	)
	statuses = ["Received", "In Storage", "In Storage", "Released", "Shipped", "Draft"]
	lot_fields = [*std, "name", "site", "storage_bin", "crop", "status", "lot_type", "season"]
	lot_fields += ["declared_qty_kg", "weighed_qty_kg", "available_qty_kg", "weight_difference_kg"]
	lot_rows = []
	for i in range(lots):
		declared = float(rng.randint(500, 5000))
		weighed = declared + rng.choice((0, 0, 0, -50, 30))
		lot_rows.append(
			(
				*std.values(),
				*(f"{PREFIX}LOT-{i:06d}", SCRATCH_SITE, rng.choice(bins), rng.choice(crops)),
				*(rng.choice(statuses), "Harvest", "2026-Spring"),
				*(declared, weighed, min(declared, weighed), weighed - declared),
			)
		)
	frappe.db.bulk_insert("Lot", lot_fields, lot_rows, chunk_size=5000)
	ticket_fields = [*std, "name", "docstatus", "ticket_no", "site", "lot", "ticket_datetime", "direction"]
	ticket_fields += ["gross_kg", "tare_kg", "net_kg", "expected_net_kg", "tolerance_pct", "deviation_pct"]
	ticket_fields += ["mismatch_flag"]
	ticket_rows = []
	for i in range(tickets):
		expected = 3000.0
		net = expected * (0.8 if i % 10 == 0 else 1.0)
		when = frappe.utils.add_to_date(now, minutes=-rng.randint(0, 365 * 24 * 60))
		ticket_rows.append(
			(
				*std.values(),
				*(f"{PREFIX}SCL-{i:06d}", 1, f"{PREFIX}{i}", SCRATCH_SITE, f"{PREFIX}LOT-{i:06d}", when),
				*("Inbound", net + 10000, 10000.0, net, expected, 2.0, (net - expected) / expected * 100),
				int(i % 10 == 0),
			)
		)
	frappe.db.bulk_insert("Scale Ticket", ticket_fields, ticket_rows, chunk_size=5000)
	nc_fields = [*std, "name", "site", "nc_type", "severity", "status", "due_date", "description"]
	nc_rows = []
	for i in range(ncs):
		opened = frappe.utils.add_days(now, -rng.randint(0, 200))
		row = {**std, "creation": opened}
		nc_rows.append(
			(
				*row.values(),
				*(f"{PREFIX}NC-{i:05d}", SCRATCH_SITE, "Other", rng.choice(["Critical", "Major", "Minor"])),
				rng.choice(["Open", "Under Investigation", "Closed", "Closed"]),
				*(frappe.utils.add_days(opened, 14), "x"),
			)
		)
	frappe.db.bulk_insert("Nonconformance", nc_fields, nc_rows, chunk_size=5000)
	frappe.db.commit()


def scratch(repeat: int) -> None:
	today = frappe.utils.getdate()
	year = {"from_date": frappe.utils.add_months(today, -12), "to_date": today}
	print(
		f"{frappe.local.site} ({SCRATCH_SITE}): "
		+ ", ".join(
			f"{frappe.db.count(dt, {'site': SCRATCH_SITE}):,} {dt}"
			for dt in ("Lot", "Scale Ticket", "Nonconformance")
		)
	)
	cases = [
		("Lot Stock", {}, "every lot summed in Python", naive_stock),
		("Scale Ticket Mismatches", year, "every ticket, weighing recomputed in Python", naive_tickets),
		("Nonconformance Ageing", {}, "one get_value per open NC", naive_ncs),
	]
	for name, filters, naive_label, naive in cases:
		print(name)
		naive_ms = timed(naive, 1)[0]
		ms, rows = timed(report(name, site=SCRATCH_SITE, **filters), repeat)
		line(f"one site ({SCRATCH_SITE})", ms, rows, (naive_label, naive_ms))
		with as_viewer_of([SCRATCH_SITE, "NO-SUCH-SITE"]):
			ms, rows = timed(report(name, **filters), repeat)
		line("a user granted it and another site", ms, rows)


def naive_stock() -> int:
	groups = defaultdict(float)
	for lot in frappe.get_all("Lot", filters={"site": SCRATCH_SITE}, fields=["*"], limit=0):
		groups[(lot.storage_bin, lot.crop, lot.status)] += lot.available_qty_kg or 0
	return len(groups)


def naive_tickets() -> int:
	from yam_agri_core.rules.weighing import weigh

	found = 0
	for t in frappe.get_all("Scale Ticket", filters={"site": SCRATCH_SITE}, fields=["*"], limit=0):
		found += weigh(t.gross_kg, t.tare_kg, t.expected_net_kg, t.tolerance_pct).mismatch
	return found


def naive_ncs() -> int:
	names = frappe.get_all(
		"Nonconformance", filters={"site": SCRATCH_SITE, "status": ["!=", "Closed"]}, pluck="name", limit=0
	)
	for name in names:
		frappe.db.get_value("Nonconformance", name, ["creation", "due_date", "assigned_to", "severity"])
	return len(names)


def connect(site: str) -> None:
	frappe.init(site=site, sites_path=os.getcwd())
	frappe.connect()
	frappe.set_user("Administrator")


def main() -> int:
	args = parse_args()
	connect(args.site)
	try:
		read_only(args.repeat)
		frappe.db.rollback()
	finally:
		frappe.destroy()
	if not args.scratch_site:
		return 0
	connect(args.scratch_site)
	try:
		cleanup()
		began = time.perf_counter()
		build(args.lots, args.tickets, args.ncs)
		print(f"built in {time.perf_counter() - began:.1f} s")
		scratch(args.repeat)
	finally:
		if not args.keep:
			cleanup()
		frappe.destroy()
	return 0


if __name__ == "__main__":
	raise SystemExit(main())
