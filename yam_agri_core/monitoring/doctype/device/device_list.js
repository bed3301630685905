// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

// What an operator acts on first: a device switched off, out of calibration, or silent.
frappe.listview_settings["Device"] = {
	add_fields: ["is_active", "calibration_due_date", "last_seen_at", "stale_after_minutes"],
	get_indicator(doc) {
		const today = frappe.datetime.get_today();
		if (!doc.is_active) return [__("Inactive"), "gray", "is_active,=,0"];
		if (doc.calibration_due_date && doc.calibration_due_date < today) {
			return [__("Calibration Overdue"), "red", `calibration_due_date,<,${today}`];
		}
		const silent_after = cint(doc.stale_after_minutes) || 60;
		if (
			doc.last_seen_at &&
			frappe.datetime.get_minute_diff(frappe.datetime.now_datetime(), doc.last_seen_at) > silent_after
		) {
			return [__("Silent"), "orange", "is_active,=,1"];
		}
		if (!doc.last_seen_at) return [__("Never Seen"), "gray", "last_seen_at,is,not set"];
		return [__("Reporting"), "green", "is_active,=,1"];
	},
};
