frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["Nonconformances by Status and Severity"] = {
	method: "yam_agri_core.desk.charts.get_nonconformances_by_status",
	filters: [
		{
			fieldname: "site",
			label: __("Site"),
			fieldtype: "Link",
			options: "Site",
		},
		{
			fieldname: "include_closed",
			label: __("Include Closed"),
			fieldtype: "Check",
			default: 0,
		},
	],
};
