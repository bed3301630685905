// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

// What an operator acts on first: a device switched off or out of calibration. Whether a device is
// silent is not shown here: Frappe v15's list drops every field whose name contains "_seen" (it takes
// them for its own `_seen` column), so `last_seen_at` never reaches a list view. Silence is on the
// Silent Devices card and in the Device Health report, which read it themselves.
frappe.listview_settings["Device"] = {
	add_fields: ["is_active", "calibration_due_date"],
	get_indicator(doc) {
		const today = frappe.datetime.get_today();
		if (!doc.is_active) return [__("Inactive"), "gray", "is_active,=,0"];
		if (doc.calibration_due_date && doc.calibration_due_date < today) {
			return [__("Calibration Overdue"), "red", `calibration_due_date,<,${today}`];
		}
		return [__("Active"), "green", "is_active,=,1"];
	},
};
