"""Benchmark: trace backward, trace forward and mock recall on 100,000 lots ten generations deep.

Run with the bench's Python from the bench's ``sites`` folder (the script connects by itself)::

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/yam_agri_core/benchmarks/bench_trace.py --site SITE

It bulk-inserts (no ``doc.insert`` per lot) a genealogy on a dedicated benchmark site ``BENCH-TRACE``
whose lots are named ``BTR-<generation>-<n>`` and transfers ``BTT-<generation>-<n>``, so it never mixes
with real data: generation 0 are harvest lots with an inbound scale ticket each; every later
generation is made by blends, each taking two lots of the previous generation into two new lots
(every lot has two parents and two children); half of the last generation has shipped with an
outbound ticket. It then times the set-based trace (one recursive query per direction) and mock
recall against naive loops (one query per generation, and one query per lot), prints the figures and
deletes what it made (``--keep`` keeps it; a new run starts by deleting a previous run's data).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

import frappe

SITE = "BENCH-TRACE"
LOT_PREFIX = "BTR-"
TRANSFER_PREFIX = "BTT-"
TICKET_PREFIX = "BTS-"
LOT_KG = 1000.0


def parse_args() -> argparse.Namespace:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True, help="the Frappe site (e.g. trace.test)")
	parser.add_argument("--lots", type=int, default=100_000)
	parser.add_argument("--generations", type=int, default=10)
	parser.add_argument("--repeat", type=int, default=5, help="timed runs of each method (median shown)")
	parser.add_argument("--keep", action="store_true", help="keep the benchmark data")
	parser.add_argument("--seed", type=int, default=7)
	return parser.parse_args()


# --- data ------------------------------------------------------------------------------------------


def cleanup() -> None:
	for child in ("Lot Transfer Source", "Lot Transfer Destination"):
		frappe.db.sql(f"delete from `tab{child}` where parent like %s", (TRANSFER_PREFIX + "%",))
	frappe.db.sql("delete from `tabLot Transfer` where name like %s", (TRANSFER_PREFIX + "%",))
	frappe.db.sql("delete from `tabScale Ticket` where name like %s", (TICKET_PREFIX + "%",))
	frappe.db.sql("delete from `tabLot` where name like %s", (LOT_PREFIX + "%",))
	frappe.db.sql("delete from `tabSite` where name = %s", (SITE,))
	frappe.db.commit()


def build(lots: int, generations: int, seed: int) -> list[list[str]]:
	"""Insert the genealogy; returns the lot names of each generation."""
	rng = random.Random(seed)
	per_generation = lots // generations
	per_generation -= per_generation % 2
	now = frappe.utils.now()
	today = frappe.utils.today()
	ensure_crop_and_site()
	std = {"creation": now, "modified": now, "owner": "Administrator", "modified_by": "Administrator"}

	names = [[f"{LOT_PREFIX}{g}-{i:06d}" for i in range(per_generation)] for g in range(generations)]
	lot_rows = [row for g in range(generations) for row in generation_lot_rows(names, g, std)]
	transfer_rows, source_rows, destination_rows = [], [], []
	for g in range(1, generations):
		transfers, sources, destinations = blend_rows(rng, names, g, std, today)
		transfer_rows += transfers
		source_rows += sources
		destination_rows += destinations
	insert_genealogy(std, lot_rows, transfer_rows, source_rows, destination_rows)
	insert_tickets(std, ticket_rows(names, std, now))
	frappe.db.commit()
	analyze_tables()
	return names


def ensure_crop_and_site() -> None:
	if not frappe.db.exists("Crop", "Wheat"):
		frappe.get_doc({"doctype": "Crop", "crop_name": "Wheat"}).insert(ignore_permissions=True)
	frappe.get_doc(
		{"doctype": "Site", "site_code": SITE, "site_name": "Benchmark Silo", "site_type": "Silo"}
	).insert(ignore_permissions=True)


def generation_lot_rows(names: list[list[str]], g: int, std: dict) -> list[tuple]:
	"""The Lot rows of generation ``g``: harvest lots first, blended lots after, half of the last shipped."""
	last = g == len(names) - 1
	rows = []
	for i, name in enumerate(names[g]):
		if g == 0:
			lot_type, status, source_transfer = "Harvest", "In Storage", None
		else:
			lot_type = "Shipment" if last and i % 2 == 0 else "Storage"
			status = "Shipped" if last and i % 2 == 0 else "In Storage"
			source_transfer = f"{TRANSFER_PREFIX}{g}-{i // 2:06d}"
		available = LOT_KG if last else 0.0
		rows.append(
			(
				name,
				*std.values(),
				0,
				"LOT-.YYYY.-.#####",
				lot_type,
				status,
				SITE,
				"Wheat",
				"2026-Spring",
				LOT_KG,
				available,
				source_transfer,
			)
		)
	return rows


def blend_rows(
	rng: random.Random, names: list[list[str]], g: int, std: dict, today: str
) -> tuple[list[tuple], list[tuple], list[tuple]]:
	"""Transfer, source and destination rows of the blends making generation ``g`` (``g`` >= 1): each
	takes two shuffled lots of generation ``g - 1`` into two lots of generation ``g``."""
	generation = names[g]
	parents = names[g - 1][:]
	rng.shuffle(parents)
	transfer_rows, source_rows, destination_rows = [], [], []
	for j in range(len(generation) // 2):
		transfer = f"{TRANSFER_PREFIX}{g}-{j:06d}"
		transfer_rows.append((transfer, *std.values(), 1, "Blend", today, SITE, 0.0, 2 * LOT_KG, 2 * LOT_KG))
		for k, lot in enumerate(parents[2 * j : 2 * j + 2]):
			source_rows.append(child_row(transfer, "s", "source_lots", k, std, lot, "Wheat", LOT_KG))
		for k, lot in enumerate(generation[2 * j : 2 * j + 2]):
			destination_rows.append(
				child_row(transfer, "d", "destination_lots", k, std, lot, "Storage", 1, lot)
			)
	return transfer_rows, source_rows, destination_rows


def child_row(transfer: str, tag: str, parentfield: str, k: int, std: dict, lot: str, *rest) -> tuple:
	"""A Lot Transfer Source / Destination row: name, standard fields, lot, quantity, site and ``rest``."""
	return (
		f"{transfer}-{tag}{k}",
		*std.values(),
		1,
		transfer,
		"Lot Transfer",
		parentfield,
		k + 1,
		lot,
		LOT_KG,
		SITE,
		*rest,
	)


def insert_genealogy(
	std: dict, lot_rows: list, transfer_rows: list, source_rows: list, destination_rows: list
) -> None:
	lot_fields = [
		"name",
		*std,
		"docstatus",
		"naming_series",
		"lot_type",
		"status",
		"site",
		"crop",
		"season",
		"declared_qty_kg",
		"available_qty_kg",
		"source_transfer",
	]
	transfer_fields = [
		"name",
		*std,
		"docstatus",
		"transfer_type",
		"transfer_date",
		"site",
		"process_loss_kg",
		"total_source_kg",
		"total_destination_kg",
	]
	child_std = ["name", *std, "docstatus", "parent", "parenttype", "parentfield", "idx"]
	source_fields = [*child_std, "lot", "qty_kg", "site", "crop", "available_before_kg"]
	destination_fields = [*child_std, "lot", "qty_kg", "site", "lot_type", "lot_created", "created_lot"]
	frappe.db.bulk_insert("Lot", lot_fields, lot_rows, chunk_size=5000)
	frappe.db.bulk_insert("Lot Transfer", transfer_fields, transfer_rows, chunk_size=5000)
	frappe.db.bulk_insert("Lot Transfer Source", source_fields, source_rows, chunk_size=5000)
	frappe.db.bulk_insert("Lot Transfer Destination", destination_fields, destination_rows, chunk_size=5000)


def ticket_rows(names: list[list[str]], std: dict, now: str) -> list[tuple]:
	"""An inbound ticket for every harvest lot and an outbound one for every shipped lot of the last generation."""
	inbound = [("IN", i, lot, "Inbound") for i, lot in enumerate(names[0])]
	outbound = [("OUT", i, lot, "Outbound") for i, lot in enumerate(names[-1][::2])]
	return [
		(
			f"{TICKET_PREFIX}{tag}-{i:06d}",
			*std.values(),
			1,
			f"{tag}-{i}",
			SITE,
			lot,
			now,
			direction,
			11000.0,
			10000.0,
			LOT_KG,
		)
		for tag, i, lot, direction in (*inbound, *outbound)
	]


def insert_tickets(std: dict, tickets: list[tuple]) -> None:
	fields = [
		"name",
		*std,
		"docstatus",
		"ticket_no",
		"site",
		"lot",
		"ticket_datetime",
		"direction",
		"gross_kg",
		"tare_kg",
		"net_kg",
	]
	frappe.db.bulk_insert("Scale Ticket", fields, tickets, chunk_size=5000)


def analyze_tables() -> None:
	for table in ("Lot", "Lot Transfer", "Lot Transfer Source", "Lot Transfer Destination", "Scale Ticket"):
		frappe.db.sql(f"analyze table `tab{table}`")


# --- naive reference implementations -----------------------------------------------------------------


def naive_per_generation(lot: str, backward: bool) -> dict[str, int]:
	"""One query per generation: the next generation of the whole frontier at once."""
	near, far = ("d", "s") if backward else ("s", "d")
	depth = {lot: 0}
	frontier = [lot]
	generation = 0
	while frontier:
		generation += 1
		rows = frappe.db.sql(
			f"""select distinct {far}.lot from `tabLot Transfer Destination` d
			join `tabLot Transfer Source` s on s.parent = d.parent and s.docstatus = 1
			where d.docstatus = 1 and {near}.lot in %(lots)s""",
			{"lots": frontier},
		)
		frontier = [r[0] for r in rows if r[0] not in depth]
		for name in frontier:
			depth[name] = generation
	details = frappe.get_all("Lot", filters={"name": ["in", list(depth)]}, fields=["name", "site", "status"])
	tickets = frappe.get_all("Scale Ticket", filters={"lot": ["in", list(depth)]}, fields=["name", "lot"])
	return {"lots": len(details), "tickets": len(tickets)}


def naive_per_lot(lot: str, backward: bool) -> dict[str, int]:
	"""One query per lot and relation, the way a loop over ``frappe.get_all`` reads a genealogy."""
	seen = {lot: 0}
	queue = [lot]
	tickets = 0
	while queue:
		current = queue.pop(0)
		frappe.get_value("Lot", current, ["site", "status", "declared_qty_kg", "available_qty_kg"])
		tickets += len(frappe.get_all("Scale Ticket", filters={"lot": current}, pluck="name"))
		if backward:
			parents = frappe.get_all(
				"Lot Transfer Destination", filters={"lot": current, "docstatus": 1}, pluck="parent"
			)
			step = "Lot Transfer Source"
		else:
			parents = frappe.get_all(
				"Lot Transfer Source", filters={"lot": current, "docstatus": 1}, pluck="parent"
			)
			step = "Lot Transfer Destination"
		for parent in parents:
			for name in frappe.get_all(step, filters={"parent": parent, "docstatus": 1}, pluck="lot"):
				if name not in seen:
					seen[name] = seen[current] + 1
					queue.append(name)
	return {"lots": len(seen), "tickets": tickets}


# --- timing ----------------------------------------------------------------------------------------


def timed(function: Callable, repeat: int) -> tuple[float, object]:
	times, result = [], None
	for _ in range(repeat):
		began = time.perf_counter()
		result = function()
		times.append((time.perf_counter() - began) * 1000)
	return statistics.median(times), result


def timed_trace(direction: str, lot: str, trace: Callable, sql: str, repeat: int) -> list[tuple]:
	"""Rows for the trace of ``lot`` in ``direction`` (``backward`` or ``forward``): the endpoint, its
	recursive query alone and the two naive walks."""
	backward = direction == "backward"
	ms, result = timed(lambda: trace(lot), repeat)
	ms_q, r = timed(lambda: frappe.db.sql(sql, {"lot": lot, "max_depth": 50}, as_dict=True), repeat)
	ms_g, per_generation = timed(lambda: naive_per_generation(lot, backward), repeat)
	ms_l, per_lot = timed(lambda: naive_per_lot(lot, backward), max(1, repeat // 2))
	return [
		(
			f"trace {direction} (1 recursive query + set reads)",
			ms,
			len(result["nodes"]),
			len(result["edges"]),
		),
		("  its recursive query alone (lots, edges, lot data)", ms_q, len({x.near for x in r}), len(r)),
		(f"  naive {direction}, 1 query per generation", ms_g, per_generation["lots"], None),
		(f"  naive {direction}, queries per lot", ms_l, per_lot["lots"], None),
	]


def main() -> int:
	args = parse_args()
	frappe.init(site=args.site, sites_path=os.getcwd())
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		from yam_agri_core.traceability.genealogy import _TRACE_SQL, BACKWARD, FORWARD
		from yam_agri_core.traceability.trace import get_mock_recall, trace_backward, trace_forward

		cleanup()
		began = time.perf_counter()
		names = build(args.lots, args.generations, args.seed)
		total = sum(len(g) for g in names)
		print(
			f"built {total:,} lots in {len(names)} generations, "
			f"{frappe.db.count('Lot Transfer', {'name': ['like', TRANSFER_PREFIX + '%']}):,} transfers "
			f"in {time.perf_counter() - began:.1f} s"
		)
		last, first = names[-1][1], names[0][0]

		rows = [
			*timed_trace(BACKWARD, last, trace_backward, _TRACE_SQL[BACKWARD], args.repeat),
			*timed_trace(FORWARD, first, trace_forward, _TRACE_SQL[FORWARD], args.repeat),
		]

		ms, recall = timed(lambda: get_mock_recall(first), args.repeat)
		balance = recall["mass_balance"]
		rows.append(
			("mock recall (forward tree + balance)", ms, len(recall["lots"]), len(balance["transfers"]))
		)
		ms_l, r = timed(lambda: naive_per_lot(first, False), max(1, args.repeat // 2))
		rows.append(("  naive recall walk, queries per lot", ms_l, r["lots"], None))

		print(f"\n{'method':<50} {'median ms':>10} {'lots':>7} {'edges/transfers':>16}")
		for label, ms, lots, extra in rows:
			print(f"{label:<50} {ms:>10.1f} {lots:>7} {'' if extra is None else extra:>16}")
		print(
			f"\nmock recall balance: entered {balance['entered_kg']:,.0f} kg = shipped {balance['shipped_kg']:,.0f}"
			f" + on hand {balance['on_hand_kg']:,.0f} + losses {balance['loss_kg']:,.0f}"
			f" (unaccounted {balance['unaccounted_kg']:,.3f}; {len(recall['shipments'])} shipments)"
		)
		return 0
	finally:
		if not args.keep:
			cleanup()
		frappe.destroy()


if __name__ == "__main__":
	sys.exit(main())
