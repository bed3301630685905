// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

const YAM_SOURCE_STATES = ["Received", "In Storage", "Released"];
const YAM_DESTINATION_STATES = ["Received", "In Storage"];

frappe.ui.form.on("Lot Transfer", {
	setup(frm) {
		frm.set_query("lot", "source_lots", () => ({
			filters: { site: frm.doc.site, status: ["in", YAM_SOURCE_STATES] },
		}));
		frm.set_query("lot", "destination_lots", () => ({
			filters: { status: ["in", YAM_DESTINATION_STATES] },
		}));
		frm.set_query("storage_bin", "destination_lots", (doc, cdt, cdn) => {
			const row = locals[cdt][cdn];
			return { filters: { site: row.new_lot_site || frm.doc.site } };
		});
	},

	refresh(frm) {
		yam_transfer_headline(frm);
		if (frm.doc.docstatus === 1) {
			frm.add_custom_button(__("Mock Recall"), () => {
				const first = (frm.doc.source_lots || [])[0];
				if (first) frappe.set_route("query-report", "Mock Recall", { lot: first.lot });
			});
		}
	},

	process_loss_kg(frm) {
		yam_transfer_totals(frm);
	},

	transfer_type(frm) {
		yam_transfer_totals(frm);
	},
});

frappe.ui.form.on("Lot Transfer Source", {
	qty_kg(frm) {
		yam_transfer_totals(frm);
	},
	lot(frm, cdt, cdn) {
		// what the lot has now: a split may take part of it, the rest stays in it
		const row = locals[cdt][cdn];
		if (!row.lot) return;
		frappe.db.get_value("Lot", row.lot, "available_qty_kg").then((r) => {
			frappe.model.set_value(cdt, cdn, "available_before_kg", flt((r.message || {}).available_qty_kg));
			yam_transfer_totals(frm);
		});
	},
	source_lots_remove(frm) {
		yam_transfer_totals(frm);
	},
});

frappe.ui.form.on("Lot Transfer Destination", {
	qty_kg(frm) {
		yam_transfer_totals(frm);
	},
	destination_lots_remove(frm) {
		yam_transfer_totals(frm);
	},
	destination_lots_add(frm, cdt, cdn) {
		frappe.model.set_value(cdt, cdn, "new_lot_site", frm.doc.site);
	},
});

function yam_transfer_totals(frm) {
	const sum = (rows) => (rows || []).reduce((total, row) => total + flt(row.qty_kg), 0);
	frm.set_value("total_source_kg", sum(frm.doc.source_lots));
	frm.set_value("total_destination_kg", sum(frm.doc.destination_lots));
	yam_transfer_headline(frm);
}

// The form's headline: an overdrawn source, a mass balance that is off, or what a partial split leaves.
function yam_transfer_headline(frm) {
	const gap = flt(frm.doc.total_source_kg - frm.doc.total_destination_kg - flt(frm.doc.process_loss_kg), 3);
	frm.dashboard.clear_headline(); // show_message appends: one headline at a time
	if (frm.doc.docstatus !== 0) return;
	const over = (frm.doc.source_lots || []).find(
		(row) => row.lot && row.available_before_kg != null && flt(row.qty_kg, 3) > flt(row.available_before_kg, 3)
	);
	if (over) {
		frm.dashboard.set_headline(
			__("Lot {0} has {1} kg available; {2} kg cannot be taken from it", [
				over.lot,
				format_number(over.available_before_kg, null, 3),
				format_number(over.qty_kg, null, 3),
			]),
			"red"
		);
	} else if (gap) {
		frm.dashboard.set_headline(
			__("Mass balance is off by {0} kg: sources must equal destinations plus loss", [format_number(gap, null, 3)]),
			"orange"
		);
	} else if (frm.doc.transfer_type === "Split" && (frm.doc.source_lots || []).length === 1) {
		const source = frm.doc.source_lots[0];
		const rest = flt(flt(source.available_before_kg) - flt(source.qty_kg), 3);
		if (source.lot && flt(source.qty_kg) && rest > 0) {
			frm.dashboard.set_headline(
				__("A partial split: {0} kg stay in lot {1}", [format_number(rest, null, 3), source.lot]),
				"blue"
			);
		}
	}
}
