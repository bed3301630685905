// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.ui.form.on("Scale Ticket", {
	setup(frm) {
		frm.set_query("lot", () => ({ filters: { site: frm.doc.site } }));
		frm.set_query("device", () => ({ filters: { site: frm.doc.site, device_type: "Scale" } }));
	},

	refresh(frm) {
		if (frm.doc.mismatch_flag) {
			frm.dashboard.set_headline_alert(
				__("Weight mismatch: deviation {0}% beyond tolerance {1}%", [
					format_number(frm.doc.deviation_pct, null, 2),
					frm.doc.tolerance_pct,
				]),
				"red"
			);
		}
	},

	gross_kg: compute_net,
	tare_kg: compute_net,
});

function compute_net(frm) {
	if (frm.doc.gross_kg) {
		frm.set_value("net_kg", flt(frm.doc.gross_kg) - flt(frm.doc.tare_kg));
	}
}
