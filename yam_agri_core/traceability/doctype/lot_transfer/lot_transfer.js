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
});

frappe.ui.form.on("Lot Transfer Source", {
	qty_kg(frm) {
		yam_transfer_totals(frm);
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
	const gap = flt(frm.doc.total_source_kg - frm.doc.total_destination_kg - flt(frm.doc.process_loss_kg), 3);
	if (gap) {
		frm.dashboard.set_headline(
			__("Mass balance is off by {0} kg: sources must equal destinations plus loss", [format_number(gap, null, 3)]),
			"orange"
		);
	} else {
		frm.dashboard.clear_headline();
	}
}
