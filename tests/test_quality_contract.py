"""QC Test, Season Policy and the Crop's QC limits, read as data (no Frappe)."""

from __future__ import annotations

import pytest
from doctype_meta import DOCTYPES, fields_of, options, perm

from yam_agri_core.rules import dispatch, qc
from yam_agri_core.rules.sites import SITE_DOCTYPES

TEST_TYPES = ["Moisture", "Protein", "Aflatoxin", "Visual", "Germination", "Pesticide Residue", "Other"]
CERT_TYPES = ["FAO GAP", "HACCP", "ISO 22000", "Phytosanitary", "Export", "Organic", "Other"]
MINE = ["QC Test", "Season Policy", "Season Policy Test", "Season Policy Certificate"]


def test_doctypes_exist_in_quality():
	for doctype in MINE:
		assert DOCTYPES[doctype]["module"] == "Quality"


def test_qc_test_fields():
	fields = fields_of("QC Test")
	expected = {
		"lot": ("Link", "Lot"),
		"site": ("Link", "Site"),
		"crop": ("Link", "Crop"),
		"season": ("Data", None),
		"test_type": ("Select", None),
		"value": ("Float", None),
		"unit": ("Data", None),
		"lab": ("Data", None),
		"test_date": ("Date", None),
		"result": ("Select", None),
		"limit_applied": ("Small Text", None),
		"remarks": ("Small Text", None),
		"attachment": ("Attach", None),
	}
	for fieldname, (fieldtype, target) in expected.items():
		assert fields[fieldname]["fieldtype"] == fieldtype, fieldname
		if target:
			assert fields[fieldname]["options"] == target, fieldname
	assert options(fields["test_type"]) == TEST_TYPES == list(qc.TEST_TYPES)
	assert options(fields["result"]) == ["Pass", "Fail"] == list(qc.RESULTS)
	assert (
		fields["lot"]["reqd"] == 1 and fields["test_type"]["reqd"] == 1 and fields["test_date"]["reqd"] == 1
	)


def test_qc_test_context_is_fetched_from_the_lot():
	fields = fields_of("QC Test")
	for fieldname in ("site", "crop", "season"):
		assert fields[fieldname]["fetch_from"] == f"lot.{fieldname}"
		assert fields[fieldname]["read_only"] == 1
	site = fields["site"]
	assert site["reqd"] == 1 and site["search_index"] == 1 and site["in_standard_filter"] == 1
	assert fields["limit_applied"]["read_only"] == 1


def test_qc_test_is_site_isolated():
	assert "QC Test" in SITE_DOCTYPES
	assert "Season Policy" not in SITE_DOCTYPES  # global reference data


def test_qc_test_naming_and_submission():
	meta = DOCTYPES["QC Test"]
	series = fields_of("QC Test")["naming_series"]
	assert meta["autoname"] == "naming_series:"
	assert series["default"] == "QCT-.YYYY.-.#####" and options(series) == ["QCT-.YYYY.-.#####"]
	assert meta["is_submittable"] == 1
	amended = fields_of("QC Test")["amended_from"]
	assert amended["options"] == "QC Test" and amended["no_copy"] == 1 and amended["read_only"] == 1
	assert meta["track_changes"] == 1


def test_qc_test_filters_used_by_the_gate_are_indexed():
	fields = fields_of("QC Test")
	for fieldname in ("lot", "test_type", "test_date", "result"):
		assert fields[fieldname].get("search_index") == 1, fieldname


def test_qc_test_permissions():
	assert perm("QC Test", "Quality Manager").get("cancel") == 1
	assert perm("QC Test", "Quality Manager").get("amend") == 1
	operator = perm("QC Test", "Site Operator")
	assert operator.get("create") == 1 and operator.get("submit") == 1
	assert not operator.get("cancel") and not operator.get("delete") and not operator.get("amend")
	for role in ("Auditor", "Platform Owner"):
		p = perm("QC Test", role)
		assert p.get("read") == 1
		for right in ("write", "create", "delete", "submit", "cancel", "amend", "import"):
			assert not p.get(right), (role, right)


def test_season_policy_fields_and_naming():
	meta = DOCTYPES["Season Policy"]
	fields = fields_of("Season Policy")
	assert meta["autoname"] == "format:{crop}-{season}"
	assert fields["crop"]["fieldtype"] == "Link" and fields["crop"]["options"] == "Crop"
	assert fields["season"]["fieldtype"] == "Data"
	for fieldname in ("crop", "season"):
		assert fields[fieldname]["reqd"] == 1 and fields[fieldname]["set_only_once"] == 1
	assert fields["mandatory_tests"]["fieldtype"] == "Table"
	assert fields["mandatory_tests"]["options"] == "Season Policy Test"
	assert fields["mandatory_certificates"]["fieldtype"] == "Table"
	assert fields["mandatory_certificates"]["options"] == "Season Policy Certificate"
	assert fields["max_test_age_days"]["fieldtype"] == "Int"
	assert int(fields["max_test_age_days"]["default"]) == dispatch.DEFAULT_MAX_TEST_AGE_DAYS
	assert fields["is_active"]["fieldtype"] == "Check" and fields["is_active"]["default"] == "1"
	assert meta["track_changes"] == 1


def test_season_policy_children():
	test_row = fields_of("Season Policy Test")["test_type"]
	cert_row = fields_of("Season Policy Certificate")["cert_type"]
	assert options(test_row) == TEST_TYPES and test_row["reqd"] == 1
	assert options(cert_row) == CERT_TYPES == options(fields_of("Certificate")["cert_type"])
	assert cert_row["reqd"] == 1
	for child in ("Season Policy Test", "Season Policy Certificate"):
		assert DOCTYPES[child]["istable"] == 1
		assert DOCTYPES[child]["permissions"] == []


def test_season_policy_is_edited_by_quality_only():
	for role in ("Quality Manager", "System Manager"):
		p = perm("Season Policy", role)
		assert p.get("write") == 1 and p.get("create") == 1
	for role in ("Site Operator", "Platform Owner", "Auditor"):
		p = perm("Season Policy", role)
		assert p.get("read") == 1
		assert not any(p.get(r) for r in ("write", "create", "delete", "import")), role


@pytest.mark.parametrize("test_type", sorted(qc.LIMITS))
def test_crop_has_the_limit_of_each_measured_test(test_type):
	crop = fields_of("Crop")
	limit = crop[qc.LIMITS[test_type].crop_field]
	assert limit["fieldtype"] == "Float" and limit.get("non_negative") == 1


def test_crop_limit_defaults():
	crop = fields_of("Crop")
	assert float(crop["max_aflatoxin_ppb"]["default"]) == 10
	assert float(crop["max_storage_moisture_pct"]["default"]) == 14


def test_lot_dashboard_lists_qc_tests():
	links = DOCTYPES["Lot"]["links"]
	assert {"link_doctype": "QC Test", "link_fieldname": "lot", "group": "Quality"} in links
