// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.query_reports["Lot Stock"] = {
	filters: [
		{ fieldname: "site", label: __("Site"), fieldtype: "Link", options: "Site" },
		{
			fieldname: "storage_bin",
			label: __("Storage Bin"),
			fieldtype: "Link",
			options: "Storage Bin",
			get_query: () => {
				const site = frappe.query_report.get_filter_value("site");
				return site ? { filters: { site } } : {};
			},
		},
		{ fieldname: "crop", label: __("Crop"), fieldtype: "Link", options: "Crop" },
		{
			fieldname: "status",
			label: __("Status"),
			fieldtype: "Select",
			options: ["", "Draft", "Received", "In Storage", "Released", "Shipped", "Rejected"].map((value) => ({
				value,
				label: __(value),
			})),
		},
		{ fieldname: "season", label: __("Season"), fieldtype: "Data" },
		{ fieldname: "include_closed", label: __("Include Shipped and Rejected"), fieldtype: "Check" },
	],
	get_datatable_options(options) {
		return yam_agri.reports.align_text_columns(options);
	},
	formatter(value, row, column, data, default_formatter) {
		if (data && column.fieldname === "status" && data.status) {
			return frappe.utils.escape_html(__(data.status));
		}
		return default_formatter(value, row, column, data);
	},
};
