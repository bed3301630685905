// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

// The CAPA step each status waits for (the server's rules in rules/capa.py decide; this only says it).
const YAM_CAPA_NEXT_STEP = {
	Open: __("Next step: start the investigation (Under Investigation)"),
	"Under Investigation": __("Next step: record the Root Cause, then move to Corrective Action"),
	"Corrective Action": __("Next step: record the Corrective Action, then move to Verification"),
	Verification: __(
		"Next step: record the Verification Result; Effective closes it, Not Effective sends it back to Corrective Action"
	),
};

frappe.ui.form.on("Nonconformance", {
	refresh(frm) {
		yam_nc_headline(frm);
	},
});

// What needs attention first: overdue or critical, when it is due and which CAPA step is next.
function yam_nc_headline(frm) {
	const doc = frm.doc;
	frm.dashboard.clear_headline();
	if (frm.is_new()) return;
	if (doc.status === "Closed") {
		frm.dashboard.set_headline(
			__("Closed on {0} by {1}", [
				frappe.datetime.str_to_user(doc.closed_on) || "-",
				frappe.utils.escape_html(doc.closed_by || "-"),
			]),
			"green"
		);
		return;
	}
	const step = YAM_CAPA_NEXT_STEP[doc.status] || "";
	const days = doc.due_date ? frappe.datetime.get_day_diff(doc.due_date, frappe.datetime.get_today()) : null;
	const due = frappe.datetime.str_to_user(doc.due_date);
	let text;
	if (days === null) {
		text = __("No due date set");
	} else if (days < 0) {
		text = __("Overdue by {0} days: was due {1}", [-days, due]);
	} else if (days === 0) {
		text = __("Due today ({0})", [due]);
	} else {
		text = __("Due {0}: {1} days left", [due, days]);
	}
	if (doc.severity === "Critical") {
		text = `${__("Critical nonconformance")}. ${text}`;
		if (doc.status === "Verification") text += `. ${__("Only a Quality Manager can close it")}`;
	}
	const color = days !== null && days < 0 ? "red" : doc.severity === "Critical" ? "red" : days !== null && days <= 2 ? "orange" : "blue";
	frm.dashboard.set_headline(`${text}. ${step}`, color);
}
