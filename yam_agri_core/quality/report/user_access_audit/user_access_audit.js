// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.query_reports["User Access Audit"] = {
	filters: [
		{ fieldname: "site", label: __("Site"), fieldtype: "Link", options: "Site" },
		{ fieldname: "role", label: __("Role"), fieldtype: "Link", options: "Role" },
		{ fieldname: "flagged_only", label: __("Flagged Only"), fieldtype: "Check" },
	],
	get_datatable_options(options) {
		return yam_agri.reports.align_text_columns(options);
	},
	formatter(value, row, column, data, default_formatter) {
		if (column.fieldname === "user_type" && data && data.user_type) {
			return frappe.utils.escape_html(__(data.user_type));
		}
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "flags" && data && data.flags) {
			return `<span class="text-danger">${value}</span>`;
		}
		return value;
	},
};
