frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["Grain on Hand by Site and Crop"] = {
	method: "yam_agri_core.desk.charts.get_grain_on_hand",
	filters: [
		{
			fieldname: "site",
			label: __("Site"),
			fieldtype: "Link",
			options: "Site",
		},
	],
};
