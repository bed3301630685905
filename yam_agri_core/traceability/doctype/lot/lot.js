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
		if (!frm.perm[0] || !frm.perm[0].write) return; // a reader (the auditor) is offered no status change
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

// Traceability: the lot's genealogy in the form, backward (where its grain came from) and forward
// (where it went), read a few generations at a time (genealogy.get_generations, the query of the trace
// endpoints).
const YAM_TRACE_DEPTH = 3; // generations read at once; deeper ones load when asked
const YAM_TRACE_CHILDREN = 20; // lots listed at once under one lot

frappe.ui.form.on("Lot", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Genealogy"), () => frm.scroll_to_field("genealogy_html"), __("Trace"));
		frm.add_custom_button(
			__("Mock Recall"),
			() => frappe.set_route("query-report", "Mock Recall", { lot: frm.doc.name }),
			__("Trace")
		);
		yam_render_genealogy(frm);
	},
});

function yam_render_genealogy(frm) {
	const field = frm.fields_dict.genealogy_html;
	if (!field) return;
	const lot = frm.doc.name;
	const $wrapper = field.$wrapper;
	$wrapper.html(`<div class="yam-genealogy row">
		${["backward", "forward"]
			.map(
				(direction) => `<div class="col-md-6 yam-genealogy-${direction}">
				<h6 class="uppercase text-muted">${
					direction === "backward" ? __("Where it came from") : __("Where it went")
				}</h6><div class="yam-genealogy-body text-muted">${__("Loading...")}</div></div>`
			)
			.join("")}</div>`);
	$wrapper.off("click.yam").on("click.yam", ".yam-trace-more", function () {
		yam_load_more($(this));
		return false;
	});
	$wrapper.on("click.yam", ".yam-trace-show-all", function () {
		$(this).closest("ul").children(".yam-trace-hidden").removeClass("hidden yam-trace-hidden");
		$(this).closest("li").remove();
		return false;
	});
	["backward", "forward"].forEach((direction) => {
		yam_fetch_trace(lot, direction).then((trace) => {
			if (frm.doc.name !== lot) return; // the form moved on to another lot meanwhile
			const $body = $wrapper.find(`.yam-genealogy-${direction} .yam-genealogy-body`);
			$body.removeClass("text-muted").html(yam_genealogy_html(trace, direction));
		});
	});
}

function yam_fetch_trace(lot, direction) {
	return frappe
		.call({
			method: "yam_agri_core.traceability.genealogy.get_generations",
			args: { lot, direction, generations: YAM_TRACE_DEPTH },
		})
		.then((r) => r.message);
}

// The generations past the ones read: trace again from that lot and hang its branch in place.
function yam_load_more($link) {
	const { lot, direction, depth } = $link.data();
	const $slot = $link.parent();
	$slot.html(`<span class="text-muted small">${__("Loading...")}</span>`);
	yam_fetch_trace(lot, direction).then((trace) => {
		$slot.replaceWith(yam_branch_list(trace, trace.tree.children, direction, cint(depth)));
	});
}

function yam_genealogy_html(trace, direction) {
	const children = trace.tree.children;
	if (!children.length) {
		return `<p class="text-muted">${
			direction === "backward"
				? __("No source lots: this lot was not made from other lots")
				: __("No destination lots: no grain of this lot has gone into other lots")
		}</p>`;
	}
	const count = Object.keys(trace.nodes).length - 1;
	const summary =
		direction === "backward" ? __("{0} ancestor lots", [count]) : __("{0} descendant lots", [count]);
	return `<p class="text-muted small">${summary}</p>${yam_branch_list(trace, children, direction, 0)}`;
}

function yam_branch_list(trace, items, direction, offset) {
	const rows = items.map((item, i) => {
		const li = yam_branch_item(trace, item, direction, offset);
		return i < YAM_TRACE_CHILDREN ? li : li.replace("<li ", '<li class="hidden yam-trace-hidden" ');
	});
	if (items.length > YAM_TRACE_CHILDREN) {
		rows.push(
			`<li><a href="#" class="yam-trace-show-all">${__("Show {0} more lots", [
				items.length - YAM_TRACE_CHILDREN,
			])}</a></li>`
		);
	}
	return `<ul class="yam-trace list-unstyled" style="padding-inline-start: 1.25rem; border-inline-start: 1px solid var(--border-color); margin-inline-start: 0.25rem;">${rows.join(
		""
	)}</ul>`;
}

function yam_branch_item(trace, item, direction, offset) {
	const node = trace.nodes[item.id];
	const esc = frappe.utils.escape_html;
	const generation = item.depth + offset;
	let flow = "";
	if (item.qty_kg !== null && item.qty_kg !== undefined) {
		const via = item.transfer
			? ` ${__("via {0}", [`<a class="text-nowrap" href="/app/lot-transfer/${encodeURIComponent(item.transfer)}">${esc(item.transfer)}</a>`])}`
			: "";
		flow = ` <span class="text-muted">· ${__("{0} kg", [yam_kg(item.qty_kg)])}${via}</span>`;
	}
	let out = `<li data-lot="${esc(node.lot || "")}" data-direction="${direction}" style="margin: 0.4rem 0;">
		<span class="badge badge-light" title="${esc(__("Generation {0}", [generation]))}">${generation}</span>
		${yam_node_html(node, flow)}`;
	if (item.repeat) {
		out += ` <span class="text-muted small">(${__("listed above")})</span>`;
	} else if (item.children.length) {
		out += yam_branch_list(trace, item.children, direction, offset);
	} else if (item.more && !node.restricted) {
		out += `<div><a href="#" class="yam-trace-more small" data-lot="${esc(node.lot)}" data-direction="${direction}" data-depth="${generation}">${
			direction === "backward" ? __("Show older generations") : __("Show later generations")
		}</a></div>`;
	} else if (item.more) {
		out += `<div class="text-muted small">${__("More generations lie beyond this lot")}</div>`;
	}
	return out + "</li>";
}

// Kilograms as people write them: no decimals for whole kilograms.
function yam_kg(value) {
	const kg = flt(value, 3);
	return format_number(kg, null, Number.isInteger(kg) ? 0 : 3);
}

// One lot: its name, status and the grain that moved on the first line; what it is and holds below.
function yam_node_html(node, flow) {
	const esc = frappe.utils.escape_html;
	if (node.restricted) {
		return `<span class="text-muted">${__("Restricted lot")}</span>${flow}`;
	}
	// the colours of the Lot's states (lot.json), as the list and the form show them
	const state = (frappe.get_meta("Lot").states || []).find((s) => s.title === node.status);
	const color = state ? frappe.scrub(state.color, "-") : "gray";
	const details = [
		[node.crop && __(node.crop), node.variety, node.season].filter(Boolean).join(" · "),
		node.site || "",
		__("{0} kg available of {1} kg", [yam_kg(node.available_qty_kg || 0), yam_kg(node.declared_qty_kg || 0)]),
	]
		.filter(Boolean)
		.map(esc);
	const link = (doctype, name, text) =>
		`<a href="/app/${frappe.router.slug(doctype)}/${encodeURIComponent(name)}">${text}</a>`;
	const records = [];
	(node.qc_tests || []).forEach((q) =>
		records.push(
			link("QC Test", q.name, esc(`${__(q.test_type || "")}: ${q.result ? __(q.result) : __("No result")}`))
		)
	);
	(node.certificates || []).forEach((c) =>
		records.push(link("Certificate", c.name, esc(`${__(c.cert_type)} (${__(c.status)})`)))
	);
	(node.nonconformances || []).forEach((n) =>
		records.push(
			link("Nonconformance", n.name, esc(`${n.name} (${__(n.severity || "")}, ${__(n.status)})`))
		)
	);
	(node.scale_tickets || []).forEach((t) =>
		records.push(
			link(
				"Scale Ticket",
				t.name,
				esc(__("{0}: {1} kg", [t.ticket_no || t.name, yam_kg(t.net_kg || 0)])) +
					(t.mismatch_flag ? ` <span class="text-danger">${__("mismatch")}</span>` : "")
			)
		)
	);
	let html = `<a class="bold text-nowrap" href="/app/lot/${encodeURIComponent(node.lot)}">${esc(node.lot)}</a>
		<span class="indicator-pill ${color}">${esc(__(node.status || ""))}</span>${flow}
		<div class="small text-muted">${details.join(" · ")}</div>`;
	if (records.length) html += `<div class="small">${records.join(" · ")}</div>`;
	return html;
}
