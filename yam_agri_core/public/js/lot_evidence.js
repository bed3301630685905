// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt
// Evidence exports on the Lot form (wired by hooks.py doctype_js; lot.js stays as it is).

frappe.provide("yam_agri_core.evidence");

yam_agri_core.evidence.download_trace_sheet = function (args, format) {
	const query = $.param({ ...args, format: format || "xlsx" });
	window.open(frappe.urllib.get_full_url(`/api/method/yam_agri_core.api.download_trace_sheet?${query}`));
};

yam_agri_core.evidence.download_epcis = function (args, stem) {
	frappe
		.call({ method: "yam_agri_core.api.export_epcis", args, freeze: true, freeze_message: __("Exporting...") })
		.then((r) => {
			const blob = new Blob([JSON.stringify(r.message, null, 1)], { type: "application/ld+json" });
			const link = document.createElement("a");
			link.href = URL.createObjectURL(blob);
			link.download = `epcis-${stem}.jsonld`;
			document.body.appendChild(link);
			link.click();
			link.remove();
		});
};

frappe.ui.form.on("Lot", {
	refresh(frm) {
		if (frm.is_new()) return;
		const group = __("Evidence");
		frm.add_custom_button(
			__("Trace Sheet (XLSX)"),
			() => yam_agri_core.evidence.download_trace_sheet({ lot: frm.doc.name }, "xlsx"),
			group
		);
		frm.add_custom_button(
			__("Trace Sheet (CSV)"),
			() => yam_agri_core.evidence.download_trace_sheet({ lot: frm.doc.name }, "csv"),
			group
		);
		frm.add_custom_button(
			__("EPCIS 2.0 (JSON-LD)"),
			() => yam_agri_core.evidence.download_epcis({ lot: frm.doc.name }, frm.doc.name),
			group
		);
	},
});
