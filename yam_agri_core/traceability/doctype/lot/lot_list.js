// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

// The status indicator comes from the DocType's states (lot.json); the list adds what is left of the lot.
frappe.listview_settings["Lot"] = {
	add_fields: ["status", "available_qty_kg", "declared_qty_kg"],
	formatters: {
		available_qty_kg(value, df, doc) {
			const available = flt(value, 3);
			const text = format_number(available, null, Number.isInteger(available) ? 0 : 3);
			if (!available && flt(doc.declared_qty_kg)) return `<span class="text-muted">${text}</span>`;
			return text;
		},
	},
};
