frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["Weighed kg per Day"] = {
	method: "yam_agri_core.desk.charts.get_weighed_per_day",
	filters: [
		{
			fieldname: "site",
			label: __("Site"),
			fieldtype: "Link",
			options: "Site",
		},
		{
			fieldname: "days",
			label: __("Days"),
			fieldtype: "Int",
			default: 30,
		},
	],
};
