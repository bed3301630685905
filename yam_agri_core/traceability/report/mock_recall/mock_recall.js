// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.query_reports["Mock Recall"] = {
	filters: [
		{
			fieldname: "lot",
			label: __("Lot"),
			fieldtype: "Link",
			options: "Lot",
			reqd: 1,
		},
	],
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		if (data && data.restricted && column.fieldname === "lot_label") {
			return `<span class="text-muted">${value}</span>`;
		}
		if (data && data.is_shipment && column.fieldname === "lot") {
			return `<b>${value}</b>`;
		}
		return value;
	},
};
