"""Benchmark of what Desk shows: every number card, dashboard chart, report and list view of the app.

The site holds 1,000,000 readings and 100,000 lots (the original system's scale). Run it with the bench's
Python from the bench's ``sites`` folder, on a site kept for benchmarks (it adds data under sites coded
``BENCH-…``, idempotently; bench_alerts.py seeds the readings and certificates first):

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/benchmarks/bench_alerts.py --site bench.test
    cd ~/frappe-bench/sites && ../env/bin/python /path/to/benchmarks/bench_desk.py --site bench.test

It discovers the app's standard Number Cards, Dashboard Charts and Reports from their JSON in the
repository, so a new one is measured without editing this script, and times each one twice: as
Administrator (every site: the worst case) and as a user granted one site (what a silo operator waits
for). List views are timed as Desk asks for them (``frappe.desk.reportview.get`` with the list's
fields, 20 rows, newest first) and with their count. For anything slower than the target it prints
the query plan of the statement behind it (``EXPLAIN``).

Targets (the original system's): each card, chart and report well under a second; each list view under 3 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import time
from pathlib import Path

import frappe
from frappe.utils import add_days, getdate, now_datetime

APP = Path(__file__).resolve().parents[1] / "yam_agri_core"
SITES = [f"BENCH-{i:02d}" for i in range(20)]
LOTS = 100_000
TICKETS = 20_000
NCS = 5_000
BINS_PER_SITE = 10
BATCH = 5_000
CARD_TARGET = 1.0
LIST_TARGET = 3.0
BENCH_USER = "bench.operator@yam-bench.example"
LIST_DOCTYPES = (
	"Lot",
	"Scale Ticket",
	"Observation",
	"Certificate",
	"Nonconformance",
	"Device",
	"QC Test",
	"Lot Transfer",
)
BASE = ["name", "creation", "modified", "owner", "modified_by", "docstatus"]


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("--site", required=True)
	parser.add_argument("--sites-path", default=".")
	parser.add_argument("--seed-only", action="store_true")
	parser.add_argument("--repeat", type=int, default=3, help="timed runs per item (the best is printed)")
	args = parser.parse_args()
	frappe.init(site=args.site, sites_path=args.sites_path)
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		seed()
		if not args.seed_only:
			report(args.repeat)
	finally:
		frappe.destroy()


# --- data -----------------------------------------------------------------------------------------


def row(now: dt.datetime, name: str) -> list:
	return [name, now, now, "Administrator", "Administrator", 0]


def seed() -> None:
	rng = random.Random(20261201)
	missing = [s for s in SITES if not frappe.db.exists("Site", s)]
	if missing:
		raise SystemExit(f"run bench_alerts.py on this site first (sites {missing[0]}… are missing)")
	bins = seed_bins()
	seed_device_bins(bins)
	have = frappe.db.count("Lot", {"site": ("like", "BENCH-%")})
	if have < LOTS:
		seed_lots(rng, bins, LOTS - have)
	if frappe.db.count("Scale Ticket", {"site": ("like", "BENCH-%")}) < TICKETS:
		seed_tickets(rng)
	if frappe.db.count("Nonconformance", {"site": ("like", "BENCH-%")}) < NCS:
		seed_ncs(rng)
	seed_user()


def seed_bins() -> list[tuple[str, str]]:
	now = now_datetime()
	fields = [*BASE, "site", "bin_code", "bin_type", "status", "capacity_kg"]
	bins, rows = [], []
	for site in SITES:
		for b in range(BINS_PER_SITE):
			name = f"{site}-B{b:02d}"
			bins.append((site, name))
			if not frappe.db.exists("Storage Bin", name):
				rows.append([*row(now, name), site, f"B{b:02d}", "Silo", "In Use", 500_000])
	if rows:
		frappe.db.bulk_insert("Storage Bin", fields, rows)
		frappe.db.commit()
	return bins


def seed_device_bins(bins: list[tuple[str, str]]) -> None:
	"""Each bench device sits in a bin of its site, and its readings carry that bin (as ingest sets them)."""
	if not frappe.db.sql(
		"select 1 from `tabDevice` where site like 'BENCH-%%' and storage_bin is null limit 1"
	):
		return
	by_site: dict[str, list[str]] = {}
	for site, name in bins:
		by_site.setdefault(site, []).append(name)
	devices = frappe.db.sql("select name, site from `tabDevice` where site like 'BENCH-%%' order by name")
	rng = random.Random(7)
	today = getdate()
	for i, (device, site) in enumerate(devices):
		calibrated = add_days(today, -rng.randint(0, 400))
		frappe.db.sql(
			"update `tabDevice` set storage_bin=%s, last_calibration_date=%s, calibration_due_date=%s "
			"where name=%s",
			(rng.choice(by_site[site]), calibrated, add_days(calibrated, 365), device),
		)
		if i % 200 == 0:
			frappe.db.commit()
	frappe.db.sql(
		"update `tabObservation` o join `tabDevice` d on d.name = o.device "
		"set o.storage_bin = d.storage_bin where o.site like 'BENCH-%%' and o.storage_bin is null"
	)
	frappe.db.commit()


def seed_lots(rng: random.Random, bins: list[tuple[str, str]], count: int) -> None:
	now = now_datetime()
	today = getdate()
	fields = [
		*BASE,
		"naming_series",
		"lot_type",
		"status",
		"site",
		"storage_bin",
		"crop",
		"variety",
		"season",
		"declared_qty_kg",
		"weighed_qty_kg",
		"available_qty_kg",
		"harvest_date",
		"receipt_date",
	]
	crops = frappe.get_all("Crop", pluck="name") or ["Wheat"]
	statuses = [
		"Draft",
		"Received",
		"In Storage",
		"In Storage",
		"In Storage",
		"Released",
		"Shipped",
		"Rejected",
	]
	rows = []
	for _ in range(count):
		site, storage_bin = rng.choice(bins)
		declared = rng.randint(2, 40) * 1000
		weighed = declared + rng.randint(-300, 300)
		status = rng.choice(statuses)
		harvest = add_days(today, -rng.randint(0, 700))
		rows.append(
			[
				*row(now, "BLOT-" + frappe.generate_hash(length=12)),
				"LOT-.YYYY.-.#####",
				rng.choice(["Harvest", "Storage", "Storage", "Shipment"]),
				status,
				site,
				storage_bin,
				rng.choice(crops),
				"Bench",
				str(harvest.year),
				declared,
				weighed,
				0 if status in ("Shipped", "Rejected") else weighed,
				harvest,
				add_days(harvest, rng.randint(1, 20)),
			]
		)
		if len(rows) == BATCH:
			frappe.db.bulk_insert("Lot", fields, rows)
			frappe.db.commit()
			rows = []
	if rows:
		frappe.db.bulk_insert("Lot", fields, rows)
		frappe.db.commit()


def seed_tickets(rng: random.Random) -> None:
	now = now_datetime()
	lots = frappe.db.sql("select name, site from `tabLot` where site like 'BENCH-%%' limit %s", TICKETS)
	fields = [
		*BASE,
		"naming_series",
		"ticket_no",
		"site",
		"lot",
		"ticket_datetime",
		"direction",
		"vehicle",
		"gross_kg",
		"tare_kg",
		"net_kg",
		"expected_net_kg",
		"tolerance_pct",
		"deviation_pct",
		"mismatch_flag",
	]
	rows = []
	for i, (lot, site) in enumerate(lots):
		expected = rng.randint(5, 30) * 1000
		net = expected + rng.randint(-900, 900)
		deviation = round(abs(net - expected) / expected * 100, 3)
		at = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 90))
		rows.append(
			[
				*row(at, "BSCL-" + frappe.generate_hash(length=12)),
				"SCL-.YYYY.-.#####",
				f"B{i:07d}",
				site,
				lot,
				at,
				rng.choice(["Inbound", "Inbound", "Outbound"]),
				f"TRK-{rng.randint(100, 999)}",
				net + 9000,
				9000,
				net,
				expected,
				2.0,
				deviation,
				int(deviation > 2.0),
			]
		)
		rows[-1][5] = 1  # submitted
		if len(rows) == BATCH:
			frappe.db.bulk_insert("Scale Ticket", fields, rows)
			frappe.db.commit()
			rows = []
	if rows:
		frappe.db.bulk_insert("Scale Ticket", fields, rows)
		frappe.db.commit()


def seed_ncs(rng: random.Random) -> None:
	now = now_datetime()
	today = getdate()
	fields = [*BASE, "naming_series", "nc_type", "severity", "site", "status", "due_date", "description"]
	types = ["Weight Mismatch", "Test Failure", "Sensor Alert", "Certificate Issue"]
	statuses = ["Open", "Under Investigation", "Corrective Action", "Verification", "Closed", "Closed"]
	rows = []
	for _ in range(NCS):
		opened = now - dt.timedelta(days=rng.randint(0, 120))
		rows.append(
			[
				*row(opened, "BNC-" + frappe.generate_hash(length=12)),
				"NC-.YYYY.-.#####",
				rng.choice(types),
				rng.choice(["Critical", "Major", "Minor", "Minor"]),
				rng.choice(SITES),
				rng.choice(statuses),
				add_days(today, rng.randint(-60, 30)),
				"Bench nonconformance",
			]
		)
	frappe.db.bulk_insert("Nonconformance", fields, rows)
	frappe.db.commit()


def seed_user() -> None:
	"""A silo operator granted one bench site: what a site-restricted user waits for."""
	if not frappe.db.exists("User", BENCH_USER):
		user = frappe.get_doc(
			{"doctype": "User", "email": BENCH_USER, "first_name": "Bench Operator", "send_welcome_email": 0}
		)
		user.append("roles", {"role": "Site Operator"})
		user.insert(ignore_permissions=True)
	if not frappe.db.exists("User Permission", {"user": BENCH_USER, "allow": "Site", "for_value": SITES[3]}):
		frappe.get_doc(
			{"doctype": "User Permission", "user": BENCH_USER, "allow": "Site", "for_value": SITES[3]}
		).insert(ignore_permissions=True)
	frappe.db.commit()


# --- what Desk asks -------------------------------------------------------------------------------


def standard(kind: str) -> list[dict]:
	"""The app's standard records of one kind (``number_card``, ``dashboard_chart``, ``report``)."""
	return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(APP.glob(f"*/{kind}/*/*.json"))]


def card_call(card: dict):
	from frappe.desk.doctype.number_card.number_card import get_result

	doc = frappe.get_doc("Number Card", card["name"])
	if doc.type == "Custom":
		return lambda: frappe.call(doc.method, doc=doc.as_dict(), filters=doc.filters_json)
	return lambda: get_result(doc.as_dict(), doc.filters_json)


def chart_call(chart: dict):
	"""What Desk calls: a Custom chart's source method (named in its source's .js), else ``get``."""
	from frappe.desk.doctype.dashboard_chart.dashboard_chart import get

	if chart.get("chart_type") == "Custom":
		method = source_method(chart["source"])
		return lambda: frappe.call(
			method, chart_name=chart["name"], filters=chart.get("filters_json") or "{}", refresh=1
		)
	return lambda: get(chart_name=chart["name"], filters=chart.get("filters_json"), refresh=1)


def source_method(source: str) -> str:
	folder = frappe.scrub(source)
	script = next(APP.glob(f"*/dashboard_chart_source/{folder}/{folder}.js"))
	return re.search(r'method:\s*"([^"]+)"', script.read_text(encoding="utf-8")).group(1)


def report_call(report: dict):
	from frappe.desk.query_report import run

	filters = {}
	if report["name"] == "Mock Recall":
		lot = frappe.db.get_value("Lot", {"site": SITES[3]}, "name")
		filters = {"lot": lot}
	filters.update({"from_date": str(add_days(getdate(), -30)), "to_date": str(getdate())})
	return lambda: run(report["name"], filters=filters, ignore_prepared_report=True)


def list_call(doctype: str):
	from frappe.desk.reportview import get_count

	meta = frappe.get_meta(doctype)
	fields = ["name", "modified", *(f.fieldname for f in meta.fields if f.in_list_view)]
	if meta.get_field("status"):
		fields.append("status")
	fields = [f"`tab{doctype}`.`{f}`" for f in dict.fromkeys(fields)]

	def rows_and_count():
		frappe.get_list(doctype, fields=fields, order_by=f"`tab{doctype}`.`modified` desc", limit=20)
		frappe.local.form_dict = frappe._dict(doctype=doctype, filters="[]", fields="[]", distinct="false")
		get_count()

	return rows_and_count


def best_of(fn, repeat: int) -> tuple[float, str | None]:
	times, error = [], None
	for attempt in range(repeat + 1):  # the first run warms the user's roles and DocType metadata
		t = time.perf_counter()
		try:
			fn()
		except Exception as e:  # a broken item is printed, the run goes on
			error = "no access" if isinstance(e, frappe.PermissionError) else f"{type(e).__name__}: {e}"[:60]
			break
		if attempt:
			times.append(time.perf_counter() - t)
		frappe.db.rollback()
	return (min(times) if times else float("nan")), error


def slow_query_plans(fn) -> list[str]:
	"""EXPLAIN of every statement ``fn`` runs that takes over 0.2 s."""
	plans, real_sql = [], frappe.db.sql

	def traced(query, values=(), *args, **kwargs):
		t = time.perf_counter()
		out = real_sql(query, values, *args, **kwargs)
		if time.perf_counter() - t > 0.2 and str(query).lstrip().lower().startswith("select"):
			plan = real_sql("explain " + str(query), values, as_dict=True)
			plans.append(
				f"{time.perf_counter() - t:.2f}s {str(query)[:160]!r}\n"
				+ "\n".join(
					f"      {p.get('table')}: type={p.get('type')} key={p.get('key')} rows={p.get('rows')}"
					f" extra={p.get('Extra')}"
					for p in plan
				)
			)
		return out

	frappe.db.sql = traced
	try:
		fn()
	except Exception:  # the plan is best effort
		pass
	finally:
		frappe.db.sql = real_sql
	return plans


def report(repeat: int) -> None:
	counts = {dt_: frappe.db.count(dt_) for dt_ in ("Observation", "Lot", "Scale Ticket", "Nonconformance")}
	print("site holds: " + ", ".join(f"{n:,} {d}" for d, n in counts.items()))
	items = [("card", c["name"], card_call(c), CARD_TARGET) for c in standard("number_card")]
	items += [("chart", c["name"], chart_call(c), CARD_TARGET) for c in standard("dashboard_chart")]
	items += [("report", r["name"], report_call(r), CARD_TARGET) for r in standard("report")]
	items += [("list", d, list_call(d), LIST_TARGET) for d in LIST_DOCTYPES]
	print(f"\n{'kind':<7}{'name':<44}{'Administrator':>15}{'one-site user':>15}  target")
	slow = []
	for kind, name, fn, target in items:
		figures = []
		for user in ("Administrator", BENCH_USER):
			frappe.set_user(user)
			seconds, error = best_of(fn, repeat)
			figures.append(error or f"{seconds * 1000:,.0f} ms")
			if not error and seconds > target / 2:
				slow.append((kind, name, user, fn))
		frappe.set_user("Administrator")
		print(f"{kind:<7}{name:<44}{figures[0]:>15}{figures[1]:>15}  < {target:g} s")
	for kind, name, user, fn in slow:
		frappe.set_user(user)
		print(f"\nquery plans behind {kind} {name!r} as {user}:")
		for plan in slow_query_plans(fn) or ["  (no single statement over 0.2 s)"]:
			print("  " + plan)
	frappe.set_user("Administrator")


if __name__ == "__main__":
	main()
