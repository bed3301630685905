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
		// to whom it goes is asked here (required); the pack cannot be changed afterwards
		const dialog = new frappe.ui.Dialog({
			title: __("Mark Sent"),
			fields: [
				{
					fieldname: "sent_to",
					fieldtype: "Data",
					label: __("Sent To"),
					reqd: 1,
					default: frm.doc.sent_to || "",
					description: __("To whom the pack was sent (an auditor, a buyer, an authority)"),
				},
				{
					fieldtype: "HTML",
					options: `<p class="text-muted">${__("Mark this evidence pack as sent? It cannot be changed afterwards.")}</p>`,
				},
			],
			primary_action_label: __("Mark Sent"),
			primary_action(values) {
				dialog.hide();
				frm.call({ doc: frm.doc, method: "mark_sent", args: { sent_to: values.sent_to } }).then(() =>
					frm.reload_doc()
				);
			},
		});
		dialog.show();
	},
});
