// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

const LOT_NEXT_STATUS = {
	Draft: ["Received", "Rejected"],
	Received: ["In Storage", "Released", "Rejected"],
	"In Storage": ["Released", "Rejected"],
	Released: ["Shipped", "Rejected"],
};
const LOT_QUALITY_DECISIONS = ["Released", "Rejected"];

frappe.ui.form.on("Lot", {
	setup(frm) {
		frm.set_query("storage_bin", () => ({ filters: { site: frm.doc.site } }));
	},

	site(frm) {
		frm.set_value("storage_bin", null);
	},

	refresh(frm) {
		if (frm.is_new()) return;
		yam_weighing_headline(frm);
		const is_qm = frappe.user.has_role("Quality Manager");
		(LOT_NEXT_STATUS[frm.doc.status] || []).forEach((status) => {
			if (LOT_QUALITY_DECISIONS.includes(status) && !is_qm) return;
			frm.add_custom_button(
				__(status),
				() => {
					frappe.confirm(__("Set lot {0} to {1}?", [frm.doc.name, __(status)]), () =>
						frappe
							.call("yam_agri_core.traceability.doctype.lot.lot.set_lot_status", {
								lot: frm.doc.name,
								status: status,
							})
							.then(() => frm.reload_doc())
					);
				},
				__("Set Status")
			);
		});
	},
});

// Weighed quantity: say on the form when the scale found a difference the lot could not absorb.
function yam_weighing_headline(frm) {
	const doc = frm.doc;
	frm.dashboard.clear_headline(); // show_message appends: one headline at a time
	if (!flt(doc.weighed_qty_kg)) return;
	const shortfall = Math.max(0, -flt(doc.weight_difference_kg));
	const missing = flt(shortfall - flt(doc.weighing_deduction_kg), 3);
	if (missing > 0) {
		frm.dashboard.set_headline(
			__(
				"The scale found {0} kg less than declared; {1} kg of it had already left this lot by transfers and could not be deducted",
				[format_number(shortfall, null, 3), format_number(missing, null, 3)]
			),
			"red"
		);
	} else if (flt(doc.weight_difference_kg, 3)) {
		frm.dashboard.set_headline(
			flt(doc.weight_difference_kg) < 0
				? __("The scale found {0} kg less than declared; the available quantity was lowered by as much", [
						format_number(shortfall, null, 3),
				  ])
				: __("The scale found {0} kg more than declared; the surplus is not available until the declared quantity is corrected", [
						format_number(flt(doc.weight_difference_kg), null, 3),
				  ]),
			"orange"
		);
	}
}

// Traceability: backward and forward genealogy of the lot, and the mock recall report.
frappe.ui.form.on("Lot", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Trace Backward"), () => yam_show_trace(frm, "backward"), __("Trace"));
		frm.add_custom_button(__("Trace Forward"), () => yam_show_trace(frm, "forward"), __("Trace"));
		frm.add_custom_button(
			__("Mock Recall"),
			() => frappe.set_route("query-report", "Mock Recall", { lot: frm.doc.name }),
			__("Trace")
		);
	},
});

function yam_show_trace(frm, direction) {
	const method =
		direction === "backward"
			? "yam_agri_core.traceability.trace.trace_backward"
			: "yam_agri_core.traceability.trace.trace_forward";
	frappe.call({ method, args: { lot: frm.doc.name }, freeze: true }).then((r) => {
		const trace = r.message;
		const dialog = new frappe.ui.Dialog({
			title:
				direction === "backward"
					? __("Where lot {0} came from", [frm.doc.name])
					: __("Where lot {0} went", [frm.doc.name]),
			size: "extra-large",
			fields: [{ fieldtype: "HTML", fieldname: "tree" }],
		});
		dialog.fields_dict.tree.$wrapper.html(yam_trace_html(trace, direction));
		dialog.show();
	});
}

function yam_trace_html(trace, direction) {
	const esc = frappe.utils.escape_html;
	const count = Object.keys(trace.nodes).length - 1;
	let html = `<p class="text-muted">${
		direction === "backward"
			? __("{0} ancestor lots", [count])
			: __("{0} descendant lots", [count])
	}${trace.truncated ? " · " + __("The genealogy is deeper than the trace limit") : ""}</p>`;

	const describe = (node) => {
		if (node.restricted) {
			return `<span class="text-muted">${__("Restricted lot")}</span>`;
		}
		const parts = [
			`<a href="/app/lot/${encodeURIComponent(node.lot)}">${esc(node.lot)}</a>`,
			esc(__(node.status || "")),
			esc(node.site || ""),
			esc([node.crop, node.variety, node.season].filter(Boolean).join(" · ")),
			__("{0} kg available of {1} kg", [
				format_number(node.available_qty_kg || 0),
				format_number(node.declared_qty_kg || 0),
			]),
		];
		if (flt(node.weighed_qty_kg)) {
			parts.push(
				__("weighed {0} kg ({1} kg)", [
					format_number(node.weighed_qty_kg),
					(flt(node.weight_difference_kg) > 0 ? "+" : "") + format_number(node.weight_difference_kg || 0),
				])
			);
		}
		if (node.supplier) parts.push(__("Supplier: {0}", [esc(node.supplier)]));
		if (node.customer) parts.push(__("Customer: {0}", [esc(node.customer)]));
		const records = [];
		(node.storage_bins || []).forEach((b) => records.push(__("Bin {0}", [esc(b.bin_code || b.name)])));
		(node.scale_tickets || []).forEach((t) =>
			records.push(__("Scale Ticket {0} ({1} kg, {2})", [esc(t.name), format_number(t.net_kg || 0), __(t.direction)]))
		);
		(node.qc_tests || []).forEach((q) => {
			const value = flt(q.value) || q.unit ? ` ${format_number(q.value || 0)}${q.unit ? " " + esc(q.unit) : ""}` : "";
			records.push(
				__("QC Test {0} ({1}: {2}{3}, {4})", [
					esc(q.name),
					esc(__(q.test_type || "")),
					esc(q.result ? __(q.result) : __("No result")),
					value,
					esc(frappe.datetime.str_to_user(q.test_date) || ""),
				])
			);
		});
		(node.certificates || []).forEach((c) =>
			records.push(__("Certificate {0} ({1}, {2})", [esc(c.name), esc(__(c.cert_type)), esc(__(c.status))]))
		);
		(node.nonconformances || []).forEach((n) =>
			records.push(__("Nonconformance {0} ({1}, {2})", [esc(n.name), esc(__(n.severity)), esc(__(n.status))]))
		);
		let text = parts.filter(Boolean).join(" · ");
		if (records.length) text += `<div class="small text-muted">${records.join(" · ")}</div>`;
		return text;
	};

	const render = (item) => {
		const node = trace.nodes[item.id];
		let head = "";
		if (item.qty_kg !== null && item.qty_kg !== undefined) {
			head = `<b>${__("{0} kg", [format_number(item.qty_kg)])}</b> ${
				item.transfer ? __("via {0}", [esc(item.transfer)]) : ""
			} → `;
		}
		let out = `<li>${head}${__("Generation {0}", [item.depth])}: ${describe(node)}`;
		if (item.repeat) {
			out += ` <span class="text-muted">(${__("listed above")})</span>`;
		} else if (item.children.length) {
			out += `<ul>${item.children.map(render).join("")}</ul>`;
		}
		return out + "</li>";
	};
	return html + `<ul class="yam-trace">${render(trace.tree)}</ul>`;
}
