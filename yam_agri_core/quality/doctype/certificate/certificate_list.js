// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

// The status indicator comes from the DocType's states (certificate.json); the expiry date says how
// many days are left.
frappe.listview_settings["Certificate"] = {
	add_fields: ["status", "expiry_date"],
	formatters: {
		expiry_date(value, df, doc) {
			if (!value) return "";
			const shown = frappe.datetime.str_to_user(value);
			if (doc.status === "Revoked") return shown;
			const days = frappe.datetime.get_day_diff(value, frappe.datetime.get_today());
			const note = (text, css) => `<span class="${css}" title="${text}">${text}</span>`;
			if (days < 0) return note(__("{0} · expired {1} days ago", [shown, -days]), "text-danger");
			if (doc.status === "Expiring Soon") return note(__("{0} · {1} days left", [shown, days]), "text-warning");
			return shown;
		},
	},
};
