// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.ui.form.on("Certificate", {
	refresh(frm) {
		yam_certificate_headline(frm);
	},
});

// What needs attention first: a certificate expired, about to expire or revoked, with the days left.
// The status is kept by the server from the dates (rules/certificates.py); the days come from the expiry date.
function yam_certificate_headline(frm) {
	const doc = frm.doc;
	frm.dashboard.clear_headline();
	if (frm.is_new() || !doc.expiry_date) return;
	const expiry = frappe.datetime.str_to_user(doc.expiry_date);
	const days = frappe.datetime.get_day_diff(doc.expiry_date, frappe.datetime.get_today());
	if (doc.status === "Revoked") {
		frm.dashboard.set_headline(
			__("Revoked: {0}", [frappe.utils.escape_html(doc.revocation_reason || "-")]),
			"red"
		);
	} else if (days < 0) {
		frm.dashboard.set_headline(__("Expired on {0}, {1} days ago: issue a new certificate", [expiry, -days]), "red");
	} else if (doc.status === "Expiring Soon" || days === 0) {
		frm.dashboard.set_headline(
			days === 0
				? __("Expires today ({0})", [expiry])
				: __("Expiring soon: {0} days left (expires {1})", [days, expiry]),
			"orange"
		);
	} else {
		frm.dashboard.set_headline(__("Valid: {0} days left (expires {1})", [days, expiry]), "green");
	}
}
