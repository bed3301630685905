// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.ui.form.on("Scale Ticket Import", {
	onload(frm) {
		// a user granted one site imports into it
		if (!frm.is_new() || frm.doc.site) return;
		const grants = (frappe.defaults.get_user_permissions() || {}).Site || [];
		const sites = [...new Set(grants.filter((g) => !g.applicable_for || g.applicable_for === frm.doctype).map((g) => g.doc))];
		if (sites.length === 1) frm.set_value("site", sites[0]);
	},

	refresh(frm) {
		yam_import_buttons(frm);
		yam_import_rows(frm);
	},

	import_file(frm) {
		frm.get_field("rows_html").$wrapper.empty();
	},
});

function yam_import_buttons(frm) {
	if (frm.is_new() || frm.doc.status === "Importing" || !frm.doc.import_file) {
		if (frm.doc.status === "Importing") {
			frm.dashboard.set_headline(__("Importing in the background; this form refreshes when it is done"), "blue");
		}
		return;
	}
	const done = ["Imported", "Partially Imported"].includes(frm.doc.status);
	frm.add_custom_button(__("Preview"), () => yam_run_import(frm, "preview_import"));
	const button = frm.add_custom_button(done ? __("Import Again") : __("Import"), () =>
		frappe.confirm(__("Import the tickets of this file into site {0} and submit them?", [frm.doc.site]), () =>
			yam_run_import(frm, "start_import")
		)
	);
	if (!done) button.addClass("btn-primary");
}

async function yam_run_import(frm, method) {
	if (frm.is_dirty()) await frm.save();
	const r = await frappe.call({
		method: `yam_agri_core.traceability.doctype.scale_ticket_import.scale_ticket_import.${method}`,
		args: { name: frm.doc.name },
		freeze: true,
		freeze_message: method === "preview_import" ? __("Checking the rows...") : __("Importing the rows..."),
	});
	const result = (r && r.message) || {};
	if (result.queued) {
		frappe.show_alert({ message: __("{0} rows queued; you will be notified when done", [result.rows]), indicator: "blue" });
	} else {
		const counts = [result.imported, result.skipped, result.rejected];
		frappe.show_alert({
			message:
				method === "preview_import"
					? __("{0} would be imported, {1} skipped, {2} refused", counts)
					: __("{0} imported, {1} skipped, {2} refused", counts),
			indicator: result.rejected ? "orange" : "green",
		});
	}
	frm.reload_doc();
}

function yam_import_rows(frm) {
	const wrapper = frm.get_field("rows_html").$wrapper;
	wrapper.empty();
	if (!frm.doc.result_json) return;
	const result = JSON.parse(frm.doc.result_json);
	const esc = frappe.utils.escape_html;
	const link = (doctype, name) =>
		name ? `<a href="/app/${frappe.router.slug(doctype)}/${encodeURIComponent(name)}">${esc(name)}</a>` : "";
	const rows = [];
	for (const r of result.imported || []) {
		const outcome = r.mismatch_flag
			? `<span class="indicator-pill orange">${result.dry_run ? __("Would import: weight mismatch") : __("Imported: weight mismatch")}</span>`
			: `<span class="indicator-pill green">${result.dry_run ? __("Would import") : __("Imported")}</span>`;
		const note = r.nonconformance ? link("Nonconformance", r.nonconformance) : r.mismatch_flag ? __("Opens a Weight Mismatch nonconformance") : "";
		rows.push([r.row, esc(r.ticket_no), outcome, format_number(r.net_kg, null, 3), link("Scale Ticket", r.ticket), note]);
	}
	for (const r of result.skipped || []) {
		rows.push([r.row, esc(r.ticket_no), `<span class="indicator-pill gray">${__("Skipped")}</span>`, "", link("Scale Ticket", r.ticket), esc(r.reason)]);
	}
	for (const r of result.rejected || []) {
		rows.push([r.row, "", `<span class="indicator-pill red">${__("Refused")}</span>`, "", "", esc(r.error)]);
	}
	rows.sort((a, b) => a[0] - b[0]);
	const shown = rows.slice(0, 500);
	const headers = [__("Row"), __("Ticket No"), __("Outcome"), __("Net Weight (kg)"), __("Scale Ticket"), __("Message")];
	const head = headers.map((h) => `<th>${h}</th>`).join("");
	const body = shown.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("");
	const title = result.dry_run ? __("Preview: nothing is written until you Import") : __("Last import");
	let note = "";
	if ((result.unknown_columns || []).length) {
		note += `<p class="text-muted">${__("Columns not understood (ignored): {0}", [esc(result.unknown_columns.join(", "))])}</p>`;
	}
	const total = Math.max(rows.length, cint(frm.doc.total_rows));
	if (total > shown.length) {
		note += `<p class="text-muted">${__("Showing the first {0} of {1} rows; the error report lists every refused row", [shown.length, total])}</p>`;
	}
	wrapper.html(`<h5>${title}</h5>${note}
		<div class="table-responsive"><table class="table table-bordered table-sm">
		<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`);
}
