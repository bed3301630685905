// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

// Drafts and cancelled transfers keep Frappe's indicators (the title is the transfer type); a submitted
// one says whether grain was lost on the way.
frappe.listview_settings["Lot Transfer"] = {
	add_fields: ["transfer_type", "process_loss_kg"],
	formatters: {
		transfer_type(value) {
			return value ? __(value) : value;
		},
	},
	get_indicator(doc) {
		if (flt(doc.process_loss_kg) > 0) {
			return [__("Loss {0} kg", [format_number(doc.process_loss_kg, null, 0)]), "orange", "process_loss_kg,>,0"];
		}
		return [__("No Loss"), "green", "process_loss_kg,=,0"];
	},
};
