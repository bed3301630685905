import pytest

from yam_agri_core.rules.messages import Kind, RuleError
from yam_agri_core.rules.sites import LinkedRecord, check_same_site, normalize_site_code, site_condition


@pytest.mark.parametrize(
	"raw, expected",
	[
		("YEM-TAI-SILO-01", "YEM-TAI-SILO-01"),
		(" yem-tai-silo-01 ", "YEM-TAI-SILO-01"),
		("yem sana farm", "YEM-SANA-FARM"),
	],
)
def test_site_codes_are_upper_case(raw, expected):
	assert normalize_site_code(raw) == expected


@pytest.mark.parametrize("raw", ["", None, "YEM--TAI", "-YEM", "YEM_TAI", "صنعاء", "X" * 41])
def test_bad_site_codes(raw):
	with pytest.raises(RuleError) as error:
		normalize_site_code(raw)
	assert error.value.field == "site_code"


def test_links_of_the_same_site_pass():
	check_same_site("A", [LinkedRecord("storage_bin", "Storage Bin", "Storage Bin", "A-B1", "A")])
	check_same_site("A", [LinkedRecord("lot", "Lot", "Lot", "", None)])


def test_link_to_another_site_names_the_field_and_both_sites():
	with pytest.raises(RuleError) as error:
		check_same_site("A", [LinkedRecord("storage_bin", "Storage Bin", "Storage Bin", "B-B1", "B")])
	assert error.value.field == "storage_bin"
	assert error.value.kind == "site"
	assert error.value.params == ("Storage Bin", "B-B1", "B", "A")


def quote(value):
	return "'" + value.replace("'", "''") + "'"


def test_site_condition_denies_by_default():
	assert site_condition("`tabLot`.`site`", [], quote) == "1=0"


def test_site_condition_unrestricted():
	assert site_condition("`tabLot`.`site`", None, quote) == ""


def test_site_condition_lists_granted_sites_quoted():
	assert (
		site_condition("`tabLot`.`site`", ["B", "A", "A", "O'X"], quote)
		== "`tabLot`.`site` in ('A', 'B', 'O''X')"
	)


def test_a_record_of_a_site_the_user_may_not_see_is_refused_as_not_found_naming_nothing_of_it():
	hidden = LinkedRecord("lot", "Lot", "Lot", "LOT-2026-00042", "YEM-HOD-STORE-01", visible=False)
	with pytest.raises(RuleError) as caught:
		check_same_site("YEM-TAI-SILO-01", [hidden])
	error = caught.value
	assert (error.kind, error.template, error.params, error.field) == (
		Kind.SITE,
		"{0} not found at site {1}",
		("Lot", "YEM-TAI-SILO-01"),
		"lot",
	)
	assert "LOT-2026-00042" not in str(error) and "HOD" not in str(error)


def test_a_record_of_a_site_the_user_may_see_is_refused_by_name():
	seen = LinkedRecord("lot", "Lot", "Lot", "LOT-2026-00042", "YEM-HOD-STORE-01", visible=True)
	with pytest.raises(RuleError) as caught:
		check_same_site("YEM-TAI-SILO-01", [seen])
	assert "LOT-2026-00042" in str(caught.value) and "YEM-HOD-STORE-01" in str(caught.value)
	check_same_site("YEM-TAI-SILO-01", [LinkedRecord("lot", "Lot", "Lot", "L", "YEM-TAI-SILO-01", False)])
