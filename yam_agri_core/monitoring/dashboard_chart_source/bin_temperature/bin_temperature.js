frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["Bin Temperature"] = {
	method: "yam_agri_core.desk.charts.get_bin_temperature",
	filters: [
		{
			fieldname: "site",
			label: __("Site"),
			fieldtype: "Link",
			options: "Site",
		},
		{
			fieldname: "storage_bin",
			label: __("Storage Bin"),
			fieldtype: "Link",
			options: "Storage Bin",
		},
		{
			fieldname: "period",
			label: __("Period"),
			fieldtype: "Select",
			options: [
				{ value: "Last 24 Hours", label: __("Last 24 Hours") },
				{ value: "Last 7 Days", label: __("Last 7 Days") },
				{ value: "Last 30 Days", label: __("Last 30 Days") },
				{ value: "Last Year", label: __("Last Year") },
			],
			default: "Last 24 Hours",
		},
		{
			fieldname: "include_quarantined",
			label: __("Include Quarantined Readings"),
			fieldtype: "Check",
			default: 0,
		},
	],
};
