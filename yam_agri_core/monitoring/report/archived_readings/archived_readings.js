// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.query_reports["Archived Readings"] = {
	filters: [
		...yam_agri.reports.reading_filters(frappe.datetime.add_months(frappe.datetime.get_today(), -12)),
		{
			fieldname: "quality_flag",
			label: __("Quality Flag"),
			fieldtype: "Select",
			options: ["", "Valid", "Warning", "Quarantine"].map((value) => ({ value, label: __(value) })),
		},
	],
	formatter(value, row, column, data, default_formatter) {
		if (["quality_flag", "metric"].includes(column.fieldname) && data && data[column.fieldname]) {
			value = __(data[column.fieldname]);
		}
		return default_formatter(value, row, column, data);
	},
	get_datatable_options(options) {
		return yam_agri.reports.align_text_columns(options);
	},
};
