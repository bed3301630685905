"""Lot genealogy: the lots reached from a lot backward (ancestors) or forward (descendants).

The genealogy's edges are the rows of submitted Lot Transfers: every source lot of a transfer is a
parent of every destination lot of it, with the quantity ``destination × source / sources' total``
(``yam_agri_core.rules.genealogy.edge_qty``). Each direction is read with ONE recursive query that
collects the lots reached (each with its generation: the shortest distance from the starting lot)
and the edges between them; the lots' data and the records that touch them (scale tickets,
QC tests, certificates, nonconformances, storage bins) are read with one set-based query each.

Cycles (grain poured back into a lot it came from) and runaway genealogies stop at
``MAX_TRACE_DEPTH`` generations: the recursion keeps one row per (lot, generation), never one per path.

Site isolation: a lot of a site the user may not read appears as a placeholder ("Restricted lot")
that keeps only its place in the tree and the quantities on its edges, never its name, data or
touching records; a transfer of such a site is not named either.
"""

from __future__ import annotations

from collections import defaultdict

import frappe
from frappe import _
from frappe.utils import flt

from yam_agri_core.permissions import get_allowed_sites
from yam_agri_core.rules.genealogy import MAX_TRACE_DEPTH
from yam_agri_core.rules.transfers import round_kg

BACKWARD, FORWARD = "backward", "forward"

LOT_FIELDS = (
	"name",
	"site",
	"lot_type",
	"status",
	"crop",
	"variety",
	"season",
	"declared_qty_kg",
	"available_qty_kg",
	"weighed_qty_kg",
	"weight_difference_kg",
	"weighing_deduction_kg",
	"supplier",
	"customer",
	"storage_bin",
)
TRANSFER_FIELDS = ("site", "transfer_type", "transfer_date", "process_loss_kg")

#: One recursive query per direction. ``reached`` walks the submitted transfers (docstatus = 1 on the
#: child rows, kept in step with the parent) one generation per iteration, one row per (lot,
#: generation); ``nodes`` keeps each lot at its nearest generation; the final select returns, per lot
#: reached, the lot's data and every edge leaving it in the direction of travel (``near`` is the lot
#: reached, ``far`` the next one) with its quantity and transfer.
_RECURSION = {
	BACKWARD: (
		"join `tabLot Transfer Destination` d on d.lot = r.lot and d.docstatus = 1 "
		"join `tabLot Transfer Source` s on s.parent = d.parent and s.docstatus = 1",
		"s.lot",
		"left join `tabLot Transfer Destination` d on d.lot = n.lot and d.docstatus = 1 "
		"left join `tabLot Transfer Source` s on s.parent = d.parent and s.docstatus = 1",
		"s.lot",
		"d.parent",
	),
	FORWARD: (
		"join `tabLot Transfer Source` s on s.lot = r.lot and s.docstatus = 1 "
		"join `tabLot Transfer Destination` d on d.parent = s.parent and d.docstatus = 1",
		"d.lot",
		"left join `tabLot Transfer Source` s on s.lot = n.lot and s.docstatus = 1 "
		"left join `tabLot Transfer Destination` d on d.parent = s.parent and d.docstatus = 1",
		"d.lot",
		"s.parent",
	),
}


def _trace_sql(direction: str) -> str:
	step, next_lot, edges, far, transfer = _RECURSION[direction]
	lot_columns = ", ".join(f"l.`{f}` as `lot_{f}`" for f in LOT_FIELDS if f != "name")
	transfer_columns = ", ".join(f"t.`{f}` as `transfer_{f}`" for f in TRANSFER_FIELDS)
	return f"""
with recursive reached (lot, depth) as (
	select name, 0 from `tabLot` where name = %(lot)s
	union
	select {next_lot}, r.depth + 1 from reached r {step}
	where r.depth < %(max_depth)s and {next_lot} is not null
),
nodes as (select lot, min(depth) as depth from reached group by lot)
select n.lot as near, n.depth, {lot_columns},
	{far} as far, {transfer} as transfer, {transfer_columns},
	d.qty_kg * s.qty_kg / nullif(t.total_source_kg, 0) as qty_kg
from nodes n
join `tabLot` l on l.name = n.lot
{edges}
left join `tabLot Transfer` t on t.name = {transfer}
"""


_TRACE_SQL = {direction: _trace_sql(direction) for direction in (BACKWARD, FORWARD)}


def check_lot_readable(lot: str) -> None:
	"""A lot the user may read; a lot of a site they may not see is refused naming nothing of it."""
	if not frappe.db.exists("Lot", lot):
		frappe.throw(_("Lot {0} not found").format(lot), exc=frappe.DoesNotExistError)
	if not frappe.has_permission("Lot", "read", lot):
		frappe.throw(_("Lot not found at your sites"), exc=frappe.PermissionError, title=_("Not Permitted"))


class Genealogy:
	"""The lots reached from ``lot`` in one direction, the edges between them and what touches them."""

	def __init__(self, lot: str, direction: str, max_depth: int = MAX_TRACE_DEPTH):
		check_lot_readable(lot)
		self.lot = lot
		self.direction = direction
		self.max_depth = max_depth
		self.allowed_sites = get_allowed_sites(doctype="Lot")
		self.read_graph()
		self.set_visibility()

	# --- reading -----------------------------------------------------------------------------------

	def read_graph(self) -> None:
		"""The lots reached, their data, the edges between them and their transfers: one query."""
		rows = frappe.db.sql(
			_TRACE_SQL[self.direction], {"lot": self.lot, "max_depth": self.max_depth}, as_dict=True
		)
		self.depth: dict[str, int] = {}
		self.lots: dict[str, frappe._dict] = {}
		self.transfers: dict[str, frappe._dict] = {}
		edges: dict[tuple[str, str, str], float] = {}
		for row in rows:
			if row.near not in self.lots:
				self.depth[row.near] = row.depth
				self.lots[row.near] = frappe._dict(
					{"name": row.near, **{f: row[f"lot_{f}"] for f in LOT_FIELDS if f != "name"}}
				)
			if row.far and row.transfer:
				key = (row.near, row.far, row.transfer)
				edges[key] = edges.get(key, 0.0) + flt(row.qty_kg)
				if row.transfer not in self.transfers:
					self.transfers[row.transfer] = frappe._dict(
						{"name": row.transfer, **{f: row[f"transfer_{f}"] for f in TRANSFER_FIELDS}}
					)
		#: Lots with edges past the depth limit: their next generations were not read.
		self.beyond = {near for near, far, _t in edges if far not in self.depth}
		self.truncated = bool(self.beyond)
		#: (near, far, transfer, qty), sorted: near is the lot closer to the start.
		self.edges = sorted(
			(near, far, t, round_kg(q)) for (near, far, t), q in edges.items() if far in self.depth
		)

	def set_visibility(self) -> None:
		self.visible = {name for name, row in self.lots.items() if self.site_visible(row.site)}
		self.visible.add(self.lot)
		self.ids: dict[str, str] = {}
		restricted = 0
		for name in sorted(self.depth, key=lambda n: (self.depth[n], n)):
			if name in self.visible:
				self.ids[name] = name
			else:
				restricted += 1
				self.ids[name] = f"restricted-{restricted}"

	def site_visible(self, site: str | None) -> bool:
		return self.allowed_sites is None or (bool(site) and site in self.allowed_sites)

	# --- touching records --------------------------------------------------------------------------

	def touching_records(self) -> dict[str, dict[str, list]]:
		"""Scale tickets, QC tests, certificates, nonconformances and storage bins of the visible lots,
		read through the user's permissions (one query each). QC tests are the submitted ones: a draft
		is not a result yet and a cancelled one was withdrawn."""
		names = sorted(self.visible & set(self.lots))
		touching: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
		if not names:
			return touching
		for key, doctype, fields, filters in (
			(
				"scale_tickets",
				"Scale Ticket",
				["name", "lot", "ticket_no", "direction", "net_kg", "ticket_datetime", "mismatch_flag"],
				{"docstatus": ["<", 2]},
			),
			(
				"qc_tests",
				"QC Test",
				["name", "lot", "test_type", "result", "value", "unit", "test_date"],
				{"docstatus": 1},
			),
			(
				"certificates",
				"Certificate",
				["name", "lot", "cert_type", "certificate_no", "status", "expiry_date"],
				{},
			),
			("nonconformances", "Nonconformance", ["name", "lot", "nc_type", "severity", "status"], {}),
		):
			for row in readable_list(doctype, fields, {"lot": ["in", names], **filters}):
				touching[row.pop("lot")][key].append(row)
		bins = {self.lots[n].storage_bin for n in names if self.lots[n].storage_bin}
		for row in readable_list(
			"Storage Bin",
			["name", "bin_code", "site", "status", "current_lot"],
			{},
			or_filters={"name": ["in", sorted(bins) or [""]], "current_lot": ["in", names]},
		):
			for name in names:
				if row.name == self.lots[name].storage_bin or row.current_lot == name:
					touching[name]["storage_bins"].append(
						{"name": row.name, "bin_code": row.bin_code, "status": row.status}
					)
		return touching

	# --- shaping -----------------------------------------------------------------------------------

	def node(self, name: str, touching: dict) -> dict:
		node = {"id": self.ids[name], "depth": self.depth[name]}
		if name not in self.visible or name not in self.lots:
			return {**node, "restricted": 1, "lot": None, "label": _("Restricted lot")}
		row = self.lots[name]
		return {
			**node,
			"restricted": 0,
			"lot": name,
			"label": name,
			**{f: row.get(f) for f in LOT_FIELDS if f != "name"},
			"scale_tickets": touching.get(name, {}).get("scale_tickets", []),
			"qc_tests": touching.get(name, {}).get("qc_tests", []),
			"certificates": touching.get(name, {}).get("certificates", []),
			"nonconformances": touching.get(name, {}).get("nonconformances", []),
			"storage_bins": touching.get(name, {}).get("storage_bins", []),
		}

	def edge(self, near: str, far: str, transfer: str, qty: float) -> dict:
		source, destination = (far, near) if self.direction == BACKWARD else (near, far)
		info = self.transfers.get(transfer) or frappe._dict()
		shown = self.site_visible(info.site)
		return {
			"source": self.ids[source],
			"destination": self.ids[destination],
			"qty_kg": qty,
			"transfer": transfer if shown else None,
			"transfer_type": info.transfer_type if shown else None,
			"transfer_date": info.transfer_date if shown else None,
		}

	def tree(self) -> dict:
		"""The genealogy as a nested tree from the starting lot; a lot reached a second time is listed
		again with ``repeat`` and without its branch (a diamond or a cycle never multiplies)."""
		following = defaultdict(list)
		for near, far, transfer, qty in self.edges:
			following[near].append((far, transfer, qty))
		expanded: set[str] = set()

		def branch(name: str, depth: int, qty: float | None, transfer: str | None) -> dict:
			info = self.transfers.get(transfer) or frappe._dict()
			item = {
				"id": self.ids[name],
				"depth": depth,
				"qty_kg": qty,
				"transfer": transfer if transfer and self.site_visible(info.site) else None,
				"children": [],
			}
			if name in expanded:
				item["repeat"] = 1
				return item
			expanded.add(name)
			if name in self.beyond:
				item["more"] = 1  # generations past the limit: trace again from this lot to see them
			for far, t, q in sorted(following.get(name, []), key=lambda e: (e[0], e[1])):
				item["children"].append(branch(far, depth + 1, q, t))
			return item

		# iterative-safe: depth is capped by the query, so recursion stays within MAX_TRACE_DEPTH
		return branch(self.lot, 0, None, None)

	def as_dict(self) -> dict:
		touching = self.touching_records()
		return {
			"lot": self.lot,
			"direction": self.direction,
			"max_depth": self.max_depth,
			"truncated": int(self.truncated),
			"nodes": {self.ids[name]: self.node(name, touching) for name in self.ids},
			"edges": [self.edge(*edge) for edge in self.edges],
			"tree": self.tree(),
		}


@frappe.whitelist()
def get_generations(lot: str, direction: str, generations: int | None = None) -> dict:
	"""The first ``generations`` generations of ``lot``'s genealogy ``direction`` (``backward`` or
	``forward``), for the Lot form's tree: an item with ``more`` has generations past them, read by
	calling again from its lot. Blank: all of them (as ``trace.trace_backward`` / ``trace_forward``)."""
	if direction not in (BACKWARD, FORWARD):
		frappe.throw(_("Trace direction must be backward or forward, not {0}").format(direction))
	return Genealogy(lot, direction, trace_depth(generations)).as_dict()


def trace_depth(generations: int | str | None) -> int:
	"""The generations to read: as asked, between 1 and ``MAX_TRACE_DEPTH`` (all of them when blank)."""
	if not generations:
		return MAX_TRACE_DEPTH
	return max(1, min(int(generations), MAX_TRACE_DEPTH))


def readable_list(doctype: str, fields: list[str], filters: dict, or_filters: dict | None = None) -> list:
	"""``frappe.get_list`` (site isolation and role permissions apply), or nothing for a user who may
	not read ``doctype`` at all."""
	if not frappe.has_permission(doctype, "read"):
		return []
	return frappe.get_list(
		doctype, fields=fields, filters=filters, or_filters=or_filters, limit_page_length=0, order_by="name"
	)
