// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.query_reports["Archived Readings"] = {
	filters: [
		{ fieldname: "site", label: __("Site"), fieldtype: "Link", options: "Site" },
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_months(frappe.datetime.get_today(), -12),
			reqd: 1,
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
		{
			fieldname: "device",
			label: __("Device"),
			fieldtype: "Link",
			options: "Device",
			get_query: () => {
				const site = frappe.query_report.get_filter_value("site");
				return site ? { filters: { site } } : {};
			},
		},
		{
			fieldname: "metric",
			label: __("Metric"),
			fieldtype: "Select",
			options: ["", "Temperature", "Humidity", "Grain Moisture", "CO2", "Other"].map((value) => ({
				value,
				label: __(value),
			})),
		},
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
