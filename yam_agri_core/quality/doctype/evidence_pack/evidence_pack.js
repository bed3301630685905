// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.ui.form.on("Evidence Pack", {
	refresh(frm) {
		if (frm.is_new()) return;
		const can_write = frm.perm[0] && frm.perm[0].write;
		if (!can_write) return;
		if (frm.doc.status === "Draft") {
			frm.add_custom_button(__("Generate Pack"), () => frm.trigger("generate_pack")).addClass(
				"btn-primary"
			);
			if (frm.doc.manifest_sha256) {
				frm.add_custom_button(__("Mark Reviewed"), () => frm.trigger("mark_reviewed"));
			}
		} else if (frm.doc.status === "Reviewed") {
			frm.add_custom_button(__("Mark Sent"), () => frm.trigger("mark_sent")).addClass("btn-primary");
		}
	},
	generate_pack(frm) {
		frm.call({ doc: frm.doc, method: "generate", freeze: true, freeze_message: __("Generating...") }).then(
			() => {
				frm.reload_doc();
				frappe.show_alert({ message: __("Evidence pack generated"), indicator: "green" });
			}
		);
	},
	mark_reviewed(frm) {
		frappe.confirm(__("Mark this evidence pack as reviewed?"), () =>
			frm.call({ doc: frm.doc, method: "mark_reviewed" }).then(() => frm.reload_doc())
		);
	},
	mark_sent(frm) {
		frappe.confirm(__("Mark this evidence pack as sent? It cannot be changed afterwards."), () =>
			frm.call({ doc: frm.doc, method: "mark_sent" }).then(() => frm.reload_doc())
		);
	},
});
