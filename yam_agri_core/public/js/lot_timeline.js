// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

// The weighing notes on a Lot's timeline are written once, in the language of whoever submitted the ticket
// (a scale gateway writes English). Each reader sees them in their own language: a note is matched back to
// the templates it was made from (lot.py weighing_note, ticket and transfer reasons) and translated; a
// note that matches none is shown as stored. Same approach as rules/stored_text.py on the server.
frappe.provide("yam_agri.stored_text");

yam_agri.stored_text.LOT_NOTE_REASONS = [
	"Scale Ticket {0} submitted",
	"Scale Ticket {0} cancelled",
	"Lot Transfer {0} cancelled",
	"Scale Ticket Import {0}",
	"Scale ticket import",
];

yam_agri.stored_text.LOT_NOTES = [
	"No submitted Inbound scale ticket left: available quantity {0} kg → {1} kg",
	"Weighed {0} kg ({1} kg against declared): available quantity {2} kg → {3} kg",
	"{0} kg of the shortfall had already left the lot by transfers and could not be deducted",
	"Emptied: Lot Transfer {0}, which created this lot, was cancelled",
];

// what marks each template for the translation check (tests/test_translations.py reads the __() calls)
yam_agri.stored_text.MARKED = () => [
	__("Scale Ticket {0} submitted"),
	__("Scale Ticket {0} cancelled"),
	__("Lot Transfer {0} cancelled"),
	__("Scale Ticket Import {0}"),
	__("Scale ticket import"),
	__("No submitted Inbound scale ticket left: available quantity {0} kg → {1} kg"),
	__("Weighed {0} kg ({1} kg against declared): available quantity {2} kg → {3} kg"),
	__("{0} kg of the shortfall had already left the lot by transfers and could not be deducted"),
	__("Emptied: Lot Transfer {0}, which created this lot, was cancelled"),
];

yam_agri.stored_text._patterns = {};

yam_agri.stored_text.pattern = function (template) {
	let cached = yam_agri.stored_text._patterns[template];
	if (cached) return cached;
	const seen = [];
	let source = "^";
	let pos = 0;
	const placeholder = /\{(\d+)\}/g;
	let m;
	while ((m = placeholder.exec(template)) !== null) {
		source += template.slice(pos, m.index).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
		const index = Number(m[1]);
		source += seen.includes(index) ? `\\${seen.indexOf(index) + 1}` : "(.+?)";
		if (!seen.includes(index)) seen.push(index);
		pos = m.index + m[0].length;
	}
	source += template.slice(pos).replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "$";
	cached = { regex: new RegExp(source, "s"), order: seen };
	yam_agri.stored_text._patterns[template] = cached;
	return cached;
};

// text -> [template, params in placeholder order], or null
yam_agri.stored_text.match = function (text, templates) {
	for (const template of templates) {
		const { regex, order } = yam_agri.stored_text.pattern(template);
		const found = regex.exec(text.trim());
		if (found) {
			const params = [];
			order.forEach((index, i) => (params[index] = found[i + 1]));
			return [template, params];
		}
	}
	return null;
};

yam_agri.stored_text.translate = function (text, templates) {
	const found = yam_agri.stored_text.match(text, templates);
	if (!found) return null;
	const [template, params] = found;
	return __(
		template,
		params.map((p) => __(p))
	);
};

// a Lot note ("reason: note", with " · " before an added sentence) in the reader's language
yam_agri.stored_text.localize_lot_note = function (text) {
	const { LOT_NOTE_REASONS, LOT_NOTES, translate } = yam_agri.stored_text;
	const all = [...LOT_NOTES, ...LOT_NOTE_REASONS];
	return text
		.split(" · ")
		.map((part) => {
			const whole = translate(part, all);
			if (whole !== null) return whole;
			let at = part.indexOf(": ");
			while (at > 0) {
				const reason = translate(part.slice(0, at), LOT_NOTE_REASONS);
				const note = reason !== null && translate(part.slice(at + 2), LOT_NOTES);
				if (note) return `${reason}: ${note}`;
				at = part.indexOf(": ", at + 2);
			}
			return part;
		})
		.join(" · ");
};

// translate the form's info notes in place; true when the timeline shows a note it has not redrawn since
yam_agri.stored_text.localize_timeline = function (frm) {
	const docinfo = frm.get_docinfo && frm.get_docinfo();
	if (!docinfo || !docinfo.info_logs) return false;
	let redraw = false;
	for (const log of docinfo.info_logs) {
		if (!log._yam_localized && log.content) {
			const localized = yam_agri.stored_text.localize_lot_note(log.content);
			log._yam_localized = true;
			log._yam_changed = localized !== log.content;
			log.content = localized;
		}
		if (log._yam_changed && !log._yam_redrawn) {
			log._yam_redrawn = true;
			redraw = true;
		}
	}
	// Frappe's "changed the value of Status from Draft to Received" shows choices as stored: translated here
	for (const version of docinfo.versions || []) {
		if (version._yam_localized) continue;
		version._yam_localized = true;
		const translated = yam_agri.stored_text.translate_version(frm, version.data);
		if (translated !== version.data) {
			version.data = translated;
			redraw = true;
		}
	}
	return redraw;
};

// a Version's data with the old and new values of Select fields (and links to translated DocTypes) translated
yam_agri.stored_text.translate_version = function (frm, data) {
	let parsed;
	try {
		parsed = typeof data === "string" ? JSON.parse(data) : data;
	} catch (e) {
		return data;
	}
	if (!parsed || !Array.isArray(parsed.changed)) return data;
	const translated_doctypes = frappe.boot.translated_doctypes || [];
	let changed = false;
	for (const row of parsed.changed) {
		const df = frappe.meta.get_docfield(frm.doctype, row[0]);
		const translatable =
			df && (df.fieldtype === "Select" || (df.fieldtype === "Link" && translated_doctypes.includes(df.options)));
		if (!translatable) continue;
		for (const i of [1, 2]) {
			if (typeof row[i] === "string" && row[i] && __(row[i]) !== row[i]) {
				row[i] = __(row[i]);
				changed = true;
			}
		}
	}
	return changed ? JSON.stringify(parsed) : data;
};

frappe.ui.form.on("Lot", {
	refresh(frm) {
		// the timeline is drawn before the form's refresh: redraw it once its notes are translated
		if (yam_agri.stored_text.localize_timeline(frm) && frm.timeline) {
			frm.timeline.refresh();
		}
	},
});
