// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.query_reports["Nonconformance Ageing"] = {
	filters: [
		{ fieldname: "site", label: __("Site"), fieldtype: "Link", options: "Site" },
		{ fieldname: "from_date", label: __("Opened From"), fieldtype: "Date" },
		{ fieldname: "to_date", label: __("Opened To"), fieldtype: "Date" },
		{
			fieldname: "severity",
			label: __("Severity"),
			fieldtype: "Select",
			options: ["", "Critical", "Major", "Minor"].map((value) => ({ value, label: __(value) })),
		},
		{
			fieldname: "status",
			label: __("Status"),
			fieldtype: "Select",
			options: ["", "Open", "Under Investigation", "Corrective Action", "Verification"].map((value) => ({
				value,
				label: __(value),
			})),
		},
		{
			fieldname: "nc_type",
			label: __("NC Type"),
			fieldtype: "Select",
			options: [
				"",
				"Weight Mismatch",
				"Test Failure",
				"Sensor Alert",
				"Certificate Issue",
				"Customer Complaint",
				"Security Incident",
				"Other",
			].map((value) => ({ value, label: __(value) })),
		},
		{ fieldname: "assigned_to", label: __("Assigned To"), fieldtype: "Link", options: "User" },
		{ fieldname: "overdue_only", label: __("Overdue Only"), fieldtype: "Check" },
	],
	get_datatable_options(options) {
		return yam_agri.reports.align_text_columns(options);
	},
	formatter(value, row, column, data, default_formatter) {
		const translated = ["severity", "status", "nc_type", "age_bucket"];
		if (data && translated.includes(column.fieldname) && data[column.fieldname]) {
			value = frappe.utils.escape_html(__(data[column.fieldname]));
			if (column.fieldname === "severity" && data.severity === "Critical") {
				return `<span class="text-danger bold">${value}</span>`;
			}
			return value;
		}
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "days_overdue" && data && data.overdue) {
			return `<span class="text-danger">${value}</span>`;
		}
		return value;
	},
};
