// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.listview_settings["Observation"] = {
	add_fields: ["quality_flag", "flag_reason"],
	// the title is the metric: in the reader's language (Frappe shows a title field as stored)
	formatters: {
		metric(value) {
			return value ? __(value) : value;
		},
	},
	get_indicator(doc) {
		const colors = { Valid: "green", Warning: "orange", Quarantine: "red" };
		return [__(doc.quality_flag), colors[doc.quality_flag] || "gray", `quality_flag,=,${doc.quality_flag}`];
	},
};
