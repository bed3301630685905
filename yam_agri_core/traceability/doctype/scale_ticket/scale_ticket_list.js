// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

// Drafts and cancelled tickets keep Frappe's indicators; a submitted one says whether it weighed true.
frappe.listview_settings["Scale Ticket"] = {
	add_fields: ["mismatch_flag", "deviation_pct", "tolerance_pct", "nonconformance"],
	get_indicator(doc) {
		if (doc.mismatch_flag) return [__("Mismatch"), "red", "mismatch_flag,=,1"];
		return [__("Within Tolerance"), "green", "mismatch_flag,=,0"];
	},
};
