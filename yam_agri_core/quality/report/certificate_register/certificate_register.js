// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.query_reports["Certificate Register"] = {
	filters: [
		{ fieldname: "site", label: __("Site"), fieldtype: "Link", options: "Site" },
		{
			fieldname: "from_date",
			label: __("Expiring From"),
			fieldtype: "Date",
			default: frappe.datetime.add_months(frappe.datetime.get_today(), -3),
		},
		{
			fieldname: "to_date",
			label: __("Expiring To"),
			fieldtype: "Date",
			default: frappe.datetime.add_months(frappe.datetime.get_today(), 3),
		},
		{
			fieldname: "status",
			label: __("Status"),
			fieldtype: "Select",
			options: ["", "Active", "Expiring Soon", "Expired", "Revoked"].map((value) => ({
				value,
				label: __(value),
			})),
		},
		{
			fieldname: "cert_type",
			label: __("Certificate Type"),
			fieldtype: "Select",
			options: ["", "FAO GAP", "HACCP", "ISO 22000", "Phytosanitary", "Export", "Organic", "Other"].map(
				(value) => ({ value, label: __(value) })
			),
		},
		{ fieldname: "lot", label: __("Lot"), fieldtype: "Link", options: "Lot" },
	],
	get_datatable_options(options) {
		return yam_agri.reports.align_text_columns(options);
	},
	formatter(value, row, column, data, default_formatter) {
		if (column.fieldname === "status" && data && data.status) {
			value = __(data.status);
			const colour = { Active: "green", "Expiring Soon": "orange", Expired: "red", Revoked: "gray" };
			return `<span class="indicator-pill ${colour[data.status] || "gray"}">${frappe.utils.escape_html(value)}</span>`;
		}
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "days_left" && data && data.days_left !== null && data.days_left < 0) {
			return `<span class="text-danger">${value}</span>`;
		}
		return value;
	},
};
