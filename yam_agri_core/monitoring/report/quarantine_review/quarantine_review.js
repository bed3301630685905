// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.query_reports["Quarantine Review"] = {
	filters: [
		...yam_agri.reports.reading_filters(frappe.datetime.add_days(frappe.datetime.get_today(), -6)),
		{ fieldname: "storage_bin", label: __("Storage Bin"), fieldtype: "Link", options: "Storage Bin" },
	],
	get_datatable_options(options) {
		return yam_agri.reports.align_text_columns(options);
	},
};
