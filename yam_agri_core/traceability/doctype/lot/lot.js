// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

const LOT_NEXT_STATUS = {
	Draft: ["Received", "Rejected"],
	Received: ["In Storage", "Released", "Rejected"],
	"In Storage": ["Released", "Rejected"],
	Released: ["Shipped", "Rejected"],
};
const LOT_QUALITY_DECISIONS = ["Released", "Rejected"];

frappe.ui.form.on("Lot", {
	setup(frm) {
		frm.set_query("storage_bin", () => ({ filters: { site: frm.doc.site } }));
	},

	site(frm) {
		frm.set_value("storage_bin", null);
	},

	refresh(frm) {
		if (frm.is_new()) return;
		const is_qm = frappe.user.has_role("Quality Manager");
		(LOT_NEXT_STATUS[frm.doc.status] || []).forEach((status) => {
			if (LOT_QUALITY_DECISIONS.includes(status) && !is_qm) return;
			frm.add_custom_button(
				__(status),
				() => {
					frappe.confirm(__("Set lot {0} to {1}?", [frm.doc.name, __(status)]), () =>
						frappe
							.call("yam_agri_core.traceability.doctype.lot.lot.set_lot_status", {
								lot: frm.doc.name,
								status: status,
							})
							.then(() => frm.reload_doc())
					);
				},
				__("Set Status")
			);
		});
	},
});
