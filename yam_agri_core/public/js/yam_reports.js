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

// The filters every readings report starts with: site, the period (from `from_default` to today), a device
// of the chosen site and a metric (Quarantine Review, Archived Readings).
yam_agri.reports.reading_filters = function (from_default) {
	return [
		{ fieldname: "site", label: __("Site"), fieldtype: "Link", options: "Site" },
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date", default: from_default, reqd: 1 },
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
	];
};
