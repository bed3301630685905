// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

// The status indicator comes from the DocType's states (nonconformance.json); the due date says when
// an open nonconformance is overdue.
frappe.listview_settings["Nonconformance"] = {
	add_fields: ["status", "severity", "due_date"],
	formatters: {
		// the title is the type: in the reader's language (Frappe shows a title field as stored)
		nc_type(value) {
			return value ? __(value) : value;
		},
		due_date(value, df, doc) {
			if (!value) return "";
			const shown = frappe.datetime.str_to_user(value);
			const days = frappe.datetime.get_day_diff(value, frappe.datetime.get_today());
			if (doc.status === "Closed" || days >= 0) return shown;
			const text = __("{0} · overdue {1} days", [shown, -days]);
			return `<span class="text-danger bold" title="${text}">${text}</span>`;
		},
	},
};
