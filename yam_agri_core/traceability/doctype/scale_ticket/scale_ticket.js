// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.ui.form.on("Scale Ticket", {
	setup(frm) {
		frm.set_query("lot", () => ({ filters: { site: frm.doc.site } }));
		frm.set_query("device", () => ({ filters: { site: frm.doc.site, device_type: "Scale" } }));
	},

	onload(frm) {
		if (frm.is_new()) yam_ticket_defaults(frm);
	},

	refresh(frm) {
		yam_ticket_headline(frm);
	},

	site(frm) {
		if (frm.is_new() && frm.doc.site && !frm.doc.device) yam_only_scale(frm);
	},

	gross_kg: compute_net,
	tare_kg: compute_net,
});

function compute_net(frm) {
	if (frm.doc.gross_kg) {
		frm.set_value("net_kg", flt(frm.doc.gross_kg) - flt(frm.doc.tare_kg));
	}
}

// What needs attention first: a weighing beyond tolerance and the nonconformance it opened.
function yam_ticket_headline(frm) {
	const doc = frm.doc;
	frm.dashboard.clear_headline();
	if (frm.is_new() || doc.docstatus === 2 || doc.deviation_pct === null || doc.deviation_pct === undefined) {
		return;
	}
	const figures = [
		yam_ticket_kg(doc.net_kg),
		yam_ticket_kg(doc.expected_net_kg),
		(flt(doc.deviation_pct) > 0 ? "+" : "") + format_number(doc.deviation_pct, null, 2),
		format_number(doc.tolerance_pct, null, 2),
	];
	if (!doc.mismatch_flag) {
		frm.dashboard.set_headline(
			__("Within tolerance: net {0} kg against {1} kg expected, deviation {2}% (tolerance {3}%)", figures),
			"green"
		);
		return;
	}
	const mismatch = __(
		"Weight mismatch: net {0} kg against {1} kg expected, deviation {2}% beyond tolerance {3}%",
		figures
	);
	if (!doc.nonconformance) {
		frm.dashboard.set_headline(
			doc.docstatus === 0
				? `${mismatch}. ${__("Submitting this ticket opens a Weight Mismatch nonconformance")}`
				: mismatch,
			"red"
		);
		return;
	}
	frappe.db.get_value("Nonconformance", doc.nonconformance, ["status", "severity", "due_date"]).then((r) => {
		if (frm.doc.name !== doc.name) return;
		const nc = r.message || {};
		const link = `<a href="/app/nonconformance/${encodeURIComponent(doc.nonconformance)}">${frappe.utils.escape_html(
			doc.nonconformance
		)}</a>`;
		const state = nc.status
			? __("Nonconformance {0}: {1}, {2}, due {3}", [
					link,
					__(nc.severity || ""),
					__(nc.status),
					frappe.datetime.str_to_user(nc.due_date) || "-",
			  ])
			: __("Nonconformance {0}", [link]);
		frm.dashboard.clear_headline();
		frm.dashboard.set_headline(`${mismatch}. ${state}`, "red");
	});
}

function yam_ticket_kg(value) {
	const kg = flt(value, 3);
	return format_number(kg, null, Number.isInteger(kg) ? 0 : 3);
}

// A user granted one site works at it: a new ticket starts at that site and its only active scale.
function yam_ticket_defaults(frm) {
	const site = yam_only_granted_site(frm.doctype);
	if (site && !frm.doc.site) {
		frm.set_value("site", site); // the site handler then picks the scale
	} else if (frm.doc.site && !frm.doc.device) {
		yam_only_scale(frm);
	}
}

function yam_only_granted_site(doctype) {
	const grants = (frappe.defaults.get_user_permissions() || {}).Site || [];
	const sites = [...new Set(grants.filter((g) => !g.applicable_for || g.applicable_for === doctype).map((g) => g.doc))];
	return sites.length === 1 ? sites[0] : null;
}

function yam_only_scale(frm) {
	const site = frm.doc.site;
	frappe.db
		.get_list("Device", { filters: { site: site, device_type: "Scale", is_active: 1 }, fields: ["name"], limit: 2 })
		.then((scales) => {
			if (scales.length === 1 && frm.doc.site === site && !frm.doc.device) frm.set_value("device", scales[0].name);
		});
}
