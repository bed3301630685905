// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.listview_settings["QC Test"] = {
	add_fields: ["result"],
	get_indicator(doc) {
		if (doc.result === "Pass") return [__("Pass"), "green", "result,=,Pass"];
		if (doc.result === "Fail") return [__("Fail"), "red", "result,=,Fail"];
		return [__("No result"), "gray", "result,is,not set"];
	},
};
