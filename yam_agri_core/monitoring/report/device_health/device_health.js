// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.query_reports["Device Health"] = {
	filters: [
		{ fieldname: "site", label: __("Site"), fieldtype: "Link", options: "Site" },
		{
			fieldname: "device_type",
			label: __("Device Type"),
			fieldtype: "Select",
			options: [
				"",
				"Temperature Sensor",
				"Humidity Sensor",
				"Moisture Sensor",
				"CO2 Sensor",
				"Scale",
				"Other",
			].map((value) => ({ value, label: __(value) })),
		},
		{ fieldname: "storage_bin", label: __("Storage Bin"), fieldtype: "Link", options: "Storage Bin" },
		{ fieldname: "problems_only", label: __("Problems Only"), fieldtype: "Check" },
		{ fieldname: "include_inactive", label: __("Include Inactive Devices"), fieldtype: "Check" },
	],
	get_datatable_options(options) {
		return yam_agri.reports.align_text_columns(options);
	},
	formatter(value, row, column, data, default_formatter) {
		const states = { connection: { Silent: "red", "Never Reported": "orange", Reporting: "green" },
			calibration: { Overdue: "red", "Due Soon": "orange", "Up to Date": "green", "Not Set": "gray" } };
		if (data && states[column.fieldname] && data[column.fieldname]) {
			const state = data[column.fieldname];
			const colour = states[column.fieldname][state] || "gray";
			return `<span class="indicator-pill ${colour}">${frappe.utils.escape_html(__(state))}</span>`;
		}
		if (data && column.fieldname === "device_type" && data.device_type) {
			return frappe.utils.escape_html(__(data.device_type));
		}
		return default_formatter(value, row, column, data);
	},
};
