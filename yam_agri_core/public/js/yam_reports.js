// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

// What the app's Script Reports share (loaded on every Desk page by hooks.app_include_js).
frappe.provide("yam_agri.reports");

const NUMBER_TYPES = ["Int", "Float", "Currency", "Percent", "Check"];

// The datatable aligns a text column as a number when its first cell is empty: align every text column
// at the start of the line (the right in Arabic).
yam_agri.reports.align_text_columns = function (options) {
	const start = frappe.utils.is_rtl() ? "right" : "left";
	for (const column of options.columns || []) {
		if (!NUMBER_TYPES.includes(column.fieldtype)) {
			column.align = start;
		}
	}
	return options;
};
