// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.query_reports["Scale Ticket Mismatches"] = {
	filters: [
		{ fieldname: "site", label: __("Site"), fieldtype: "Link", options: "Site" },
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_months(frappe.datetime.get_today(), -1),
		},
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date", default: frappe.datetime.get_today() },
		{
			fieldname: "direction",
			label: __("Direction"),
			fieldtype: "Select",
			options: ["", "Inbound", "Outbound"].map((value) => ({ value, label: __(value) })),
		},
		{ fieldname: "lot", label: __("Lot"), fieldtype: "Link", options: "Lot" },
		{ fieldname: "device", label: __("Device"), fieldtype: "Link", options: "Device" },
	],
	get_datatable_options(options) {
		return yam_agri.reports.align_text_columns(options);
	},
	formatter(value, row, column, data, default_formatter) {
		if (data && ["direction", "severity", "nc_status"].includes(column.fieldname) && data[column.fieldname]) {
			return frappe.utils.escape_html(__(data[column.fieldname]));
		}
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "difference_kg" && data && data.difference_kg < 0) {
			return `<span class="text-danger">${value}</span>`;
		}
		return value;
	},
};
