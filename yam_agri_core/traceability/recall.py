"""Mock recall: every lot downstream of a lot, the shipments among them and the mass balance of the
tree (the data of the Mock Recall report). The tree is the forward genealogy
(``yam_agri_core.traceability.genealogy``); the arithmetic is ``yam_agri_core.rules.genealogy``'s.
"""

from __future__ import annotations

from collections import defaultdict

import frappe
from frappe import _
from frappe.utils import flt

from yam_agri_core.rules.genealogy import TreeLot, TreeMove, transfer_flows, tree_balance
from yam_agri_core.rules.lots import SHIPPED
from yam_agri_core.rules.transfers import round_kg
from yam_agri_core.traceability.genealogy import FORWARD, Genealogy


class MockRecall:
	"""Every lot downstream of ``lot``, the shipments among them and the mass balance."""

	def __init__(self, lot: str):
		self.genealogy = Genealogy(lot, FORWARD)
		self.read_transfer_rows()

	def read_transfer_rows(self) -> None:
		"""Every row of the transfers of the tree (sources outside the tree included), set-based."""
		names = sorted(self.genealogy.transfers)
		self.moves: list[TreeMove] = []
		for child, is_source in (("Lot Transfer Source", True), ("Lot Transfer Destination", False)):
			if not names:
				break
			Row = frappe.qb.DocType(child)
			rows = (
				frappe.qb.from_(Row)
				.select(Row.parent, Row.lot, Row.qty_kg)
				.where(Row.parent.isin(names) & (Row.docstatus == 1))
				.run(as_dict=True)
			)
			self.moves.extend(
				TreeMove(transfer=r.parent, lot=r.lot, qty_kg=flt(r.qty_kg), is_source=is_source)
				for r in rows
			)
		self.losses = {name: flt(row.process_loss_kg) for name, row in self.genealogy.transfers.items()}

	def rows(self) -> list[dict]:
		g = self.genealogy
		received: dict[str, float] = defaultdict(float)
		via: dict[str, set] = defaultdict(set)
		for _near, far, transfer, qty in g.edges:
			received[far] += qty
			info = g.transfers.get(transfer) or frappe._dict()
			if g.site_visible(info.site):
				via[far].add(transfer)
		outbound: dict[str, list] = defaultdict(list)
		qc_tests: dict[str, list] = defaultdict(list)
		for name, records in g.touching_records().items():
			outbound[name] = [t for t in records.get("scale_tickets", []) if t.get("direction") == "Outbound"]
			qc_tests[name] = records.get("qc_tests", [])
		rows = []
		for name in sorted(g.depth, key=lambda n: (g.depth[n], n)):
			lot = g.lots.get(name) or frappe._dict()
			shipped = lot.get("status") == SHIPPED
			row = {
				"depth": g.depth[name],
				"received_kg": round_kg(received.get(name)) if name != g.lot else None,
				"declared_qty_kg": flt(lot.get("declared_qty_kg")),
				"available_qty_kg": flt(lot.get("available_qty_kg")),
				"shipped_kg": flt(lot.get("available_qty_kg")) if shipped else 0.0,
				"is_shipment": int(shipped or lot.get("lot_type") == "Shipment"),
			}
			if name in g.visible and name in g.lots:
				tickets = outbound.get(name, [])
				row.update(
					{
						"lot": name,
						"lot_label": name,
						"restricted": 0,
						**{
							f: lot.get(f) for f in ("lot_type", "status", "site", "crop", "variety", "season")
						},
						"supplier": lot.get("supplier"),
						"customer": lot.get("customer"),
						"storage_bin": lot.get("storage_bin"),
						"via_transfers": ", ".join(sorted(via.get(name, ()))),
						"outbound_tickets": ", ".join(t["name"] for t in tickets),
						"outbound_net_kg": round_kg(sum(flt(t.get("net_kg")) for t in tickets)),
						"weighed_qty_kg": flt(lot.get("weighed_qty_kg")),
						"weight_difference_kg": flt(lot.get("weight_difference_kg")),
						"qc_tests": qc_tests.get(name, []),
						"qc_summary": qc_summary(qc_tests.get(name, [])),
					}
				)
			else:
				row.update({"lot": None, "lot_label": _("Restricted lot"), "restricted": 1})
			rows.append(row)
		return rows

	def balance(self) -> dict:
		g = self.genealogy
		lots = [
			TreeLot(
				name=name,
				declared_qty_kg=flt(row.declared_qty_kg),
				available_qty_kg=flt(row.available_qty_kg),
				shipped=row.status == SHIPPED,
				weighing_deduction_kg=flt(row.weighing_deduction_kg),
			)
			for name, row in g.lots.items()
		]
		tree = tree_balance(lots, self.moves, self.losses)
		flows = transfer_flows(self.moves, self.losses)
		return {
			"entered_kg": tree.entered_kg,
			"shipped_kg": tree.shipped_kg,
			"on_hand_kg": tree.on_hand_kg,
			"loss_kg": tree.loss_kg,
			"weighing_deduction_kg": tree.weighing_deduction_kg,
			"unaccounted_kg": tree.unaccounted_kg,
			"balanced": int(tree.balanced),
			"transfers": [
				{
					"transfer": f.name
					if g.site_visible((g.transfers.get(f.name) or {}).get("site"))
					else None,
					"source_kg": f.source_kg,
					"destination_kg": f.destination_kg,
					"loss_kg": f.loss_kg,
					"difference_kg": f.difference_kg,
					"balanced": int(f.balanced),
				}
				for f in flows
			],
		}

	def as_dict(self) -> dict:
		rows = self.rows()
		return {
			"lot": self.genealogy.lot,
			"truncated": int(self.genealogy.truncated),
			"lots": rows,
			"shipments": [row for row in rows if row["is_shipment"]],
			"mass_balance": self.balance(),
		}


def qc_summary(tests: list[dict]) -> str:
	"""A lot's QC tests in one cell of the report: type, result, value and date of each."""
	parts = []
	for test in tests:
		value = f" {flt(test.get('value')):g}{(' ' + test['unit']) if test.get('unit') else ''}"
		parts.append(
			_("{0}: {1}{2} on {3}").format(
				_(test.get("test_type") or ""),
				_(test.get("result") or "") or _("No result"),
				value if test.get("value") or test.get("unit") else "",
				test.get("test_date") or "",
			)
		)
	return "; ".join(parts)
