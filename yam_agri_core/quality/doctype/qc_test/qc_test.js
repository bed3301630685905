// Copyright (c) 2026, YAM Agri and contributors
// For license information, please see license.txt

// The unit each measured test is recorded in (the server checks it and computes the result).
const QC_TEST_UNITS = {
	Moisture: "%",
	Protein: "%",
	Germination: "%",
	Aflatoxin: "ppb",
	"Pesticide Residue": "mg/kg",
};

frappe.ui.form.on("QC Test", {
	test_type(frm) {
		frm.set_value("unit", QC_TEST_UNITS[frm.doc.test_type] || null);
	},
});
