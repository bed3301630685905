// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

frappe.query_reports["Mock Recall"] = {
	filters: [
		{
			fieldname: "lot",
			label: __("Lot"),
			fieldtype: "Link",
			options: "Lot",
			reqd: 1,
		},
	],
	onload(report) {
		const lot = () => report.get_filter_value("lot");
		const download = (fn) => {
			if (!lot()) {
				frappe.msgprint(__("Choose a lot first"));
				return;
			}
			fn(lot());
		};
		report.page.add_inner_button(
			__("Trace Sheet (XLSX)"),
			() =>
				download((name) =>
					window.open(
						frappe.urllib.get_full_url(
							`/api/method/yam_agri_core.api.download_trace_sheet?${$.param({ lot: name, format: "xlsx" })}`
						)
					)
				),
			__("Download")
		);
		report.page.add_inner_button(
			__("EPCIS 2.0 (JSON-LD)"),
			() =>
				download((name) =>
					frappe.call({ method: "yam_agri_core.api.export_epcis", args: { lot: name } }).then((r) => {
						const blob = new Blob([JSON.stringify(r.message, null, 1)], { type: "application/ld+json" });
						const link = document.createElement("a");
						link.href = URL.createObjectURL(blob);
						link.download = `epcis-${name}.jsonld`;
						document.body.appendChild(link);
						link.click();
						link.remove();
					})
				),
			__("Download")
		);
	},
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		if (data && data.restricted && column.fieldname === "lot_label") {
			return `<span class="text-muted">${value}</span>`;
		}
		if (data && data.is_shipment && column.fieldname === "lot") {
			return `<b>${value}</b>`;
		}
		return value;
	},
};
