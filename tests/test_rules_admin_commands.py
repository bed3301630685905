"""The pure parts of the admin's bench commands (yam_agri_core/rules/admin_commands.py)."""

from __future__ import annotations

import datetime as dt
import random
import string

import pytest

from yam_agri_core.rules import admin_commands as ac
from yam_agri_core.rules.messages import Kind, RuleError
from yam_agri_core.rules.roles import ROLE_PROFILES

NOW = dt.datetime(2026, 12, 6, 9, 30)


# --- what the admin types ------------------------------------------------------------------------


def test_split_values_takes_repeated_and_comma_separated_options_in_order():
	assert ac.split_values(["A", "B, C", "A", " ", None, "D،E"]) == ["A", "B", "C", "D", "E"]
	assert ac.split_values([]) == []


@pytest.mark.parametrize("email", ["Khaled@Example.com ", "a.b+c@x.example"])
def test_check_email_accepts_addresses_lower_cased(email):
	assert ac.check_email(email) == email.strip().lower()


@pytest.mark.parametrize("email", ["", None, "khaled", "khaled@", "@x.example", "a b@x.example", "a@x"])
def test_check_email_refuses_what_is_not_an_address(email):
	with pytest.raises(RuleError) as info:
		ac.check_email(email)
	assert info.value.kind == Kind.VALIDATION


def test_split_name_first_word_then_the_rest():
	assert ac.split_name("Khaled  Al-Hakimi") == ("Khaled", "Al-Hakimi")
	assert ac.split_name("خالد عبد الله الحكيمي") == ("خالد", "عبد الله الحكيمي")
	assert ac.split_name("Amal") == ("Amal", "")
	with pytest.raises(RuleError):
		ac.split_name("  ")


@pytest.mark.parametrize(
	("typed", "code"), [("ar", "ar"), ("AR", "ar"), ("Arabic", "ar"), ("العربية", "ar"), ("en", "en")]
)
def test_language_code(typed, code):
	assert ac.language_code(typed) == code


def test_language_code_refuses_others():
	with pytest.raises(RuleError) as info:
		ac.language_code("fr")
	assert "ar, en" in str(info.value)


ARABIC = {"YAM Silo Operator": "YAM مشغل صومعة", "YAM Farm Supervisor": "YAM مشرف مزرعة"}


def test_resolve_role_profile_in_english_or_arabic_ignoring_case_and_spaces():
	known = ac.aliases(ROLE_PROFILES, ARABIC)
	assert ac.resolve("yam  silo operator", known, "Role Profile") == "YAM Silo Operator"
	assert ac.resolve("YAM مشغل صومعة", known, "Role Profile") == "YAM Silo Operator"
	assert ac.resolve("YAM مشـــرف مزرعة", known, "Role Profile") == "YAM Farm Supervisor"  # tatweel


def test_resolve_unknown_name_lists_the_known_ones():
	known = ac.aliases(ROLE_PROFILES, ARABIC)
	with pytest.raises(RuleError) as info:
		ac.resolve("YAM Driver", known, "Role Profile")
	assert info.value.template == "{0} {1} does not exist; known: {2}"
	assert info.value.params[:2] == ("Role Profile", "YAM Driver")
	assert "YAM Silo Operator" in info.value.params[2]
	with pytest.raises(RuleError):
		ac.resolve("", known, "Role Profile")


def test_resolve_lists_at_most_twenty_names():
	known = {f"S{i:02d}": {f"S{i:02d}"} for i in range(30)}
	with pytest.raises(RuleError) as info:
		ac.resolve("X", known, "Site")
	assert info.value.params[2].endswith("S19, ...")


def test_resolve_site_by_code_or_name_and_refuses_ambiguity():
	known = {
		"YEM-TAI-SILO-01": {"YEM-TAI-SILO-01", "Ta'iz Central Silo", "صومعة تعز المركزية"},
		"YEM-TAI-SILO-02": {"YEM-TAI-SILO-02", "Ta'iz Silo"},
		"YEM-IBB-SILO-01": {"YEM-IBB-SILO-01", "Ta'iz Silo"},
	}
	assert ac.resolve("yem-tai-silo-01", known, "Site") == "YEM-TAI-SILO-01"
	assert ac.resolve("صومعة تعز المركزية", known, "Site") == "YEM-TAI-SILO-01"
	with pytest.raises(RuleError) as info:
		ac.resolve("Ta'iz Silo", known, "Site")
	assert info.value.template == "{0} {1} is ambiguous: it names {2}"


def test_every_persona_but_the_it_admin_needs_a_site():
	ac.check_sites_for_profile("YAM IT Admin", [])
	ac.check_sites_for_profile("YAM Silo Operator", ["YEM-TAI-SILO-01"])
	with pytest.raises(RuleError) as info:
		ac.check_sites_for_profile("YAM Silo Operator", [])
	assert info.value.kind == Kind.SITE


def test_new_password_has_every_class_and_differs():
	for seed in range(50):
		password = ac.new_password(rng=random.Random(seed))
		assert len(password) == ac.PASSWORD_LENGTH
		for chars in (string.ascii_uppercase, string.ascii_lowercase, string.digits, ac.PASSWORD_SYMBOLS):
			assert any(c in chars for c in password), password
	assert ac.new_password() != ac.new_password()


def test_parse_date():
	assert ac.parse_date(" 2026-01-31 ", "--from") == dt.date(2026, 1, 31)
	for bad in ("31/01/2026", "", None, "2026-02-30"):
		with pytest.raises(RuleError) as info:
			ac.parse_date(bad, "--to")
		assert info.value.kind == Kind.DATES and info.value.params[0] == "--to"


# --- the daily check -----------------------------------------------------------------------------


def test_exit_status_is_4_when_anything_needs_attention():
	clear = [ac.count_finding("a", "A", 0), ac.count_finding("b", "B", 0)]
	assert ac.exit_status(clear) == ac.EXIT_OK
	assert ac.exit_status([*clear, ac.count_finding("c", "C", 2, ["x", "y"])]) == ac.EXIT_ATTENTION
	assert ac.exit_status([]) == ac.EXIT_OK


def test_count_finding_names_at_most_five_items():
	finding = ac.count_finding("nc", "NC", 7, [f"NC-{i}" for i in range(7)])
	assert finding.attention and finding.items == [f"NC-{i}" for i in range(5)]


def test_findings_json():
	findings = [ac.count_finding("nc", "NC", 1, ["NC-1"]), ac.backup_finding([], NOW)]
	out = ac.findings_json(findings, NOW, "yam.localhost")
	assert out["ok"] is False and out["site"] == "yam.localhost"
	assert out["checked_at"] == "2026-12-06 09:30:00"
	assert out["checks"]["nc"] == {"count": 1, "attention": True, "detail": "", "items": ["NC-1"]}
	assert out["checks"]["backup"]["count"] is None and out["checks"]["backup"]["attention"] is True


# --- backups -------------------------------------------------------------------------------------


def make_run_sh_backup(root, name, parts=ac.RUN_SH_PARTS, size=10):
	folder = root / name
	folder.mkdir(parents=True)
	for part in parts:
		(folder / part).write_bytes(b"x" * size)
	return folder


def test_backup_names():
	assert ac.folder_time("20261206_0215") == dt.datetime(2026, 12, 6, 2, 15)
	assert ac.folder_time("predeploy_20261201_2359") == dt.datetime(2026, 12, 1, 23, 59)
	assert ac.folder_time("FAILED_20261206_0215") is None
	assert ac.folder_time("20261399_0215") is None
	assert ac.dump_time("20261206_021500-yam_localhost-database.sql.gz") == dt.datetime(2026, 12, 6, 2, 15)
	assert ac.dump_time("20261206_021500-yam_localhost-files.tar") is None


def test_find_backups_newest_complete_first(tmp_path):
	runsh, site = tmp_path / "backups", tmp_path / "private" / "backups"
	make_run_sh_backup(runsh, "20261204_0200")
	make_run_sh_backup(runsh, "predeploy_20261205_1000")
	make_run_sh_backup(runsh, "20261206_0200", parts=("frappe-backup.sql.gz",))  # incomplete
	make_run_sh_backup(runsh, "20261206_0300", size=0)  # empty parts
	make_run_sh_backup(runsh, "FAILED_20261206_0400")
	site.mkdir(parents=True)
	(site / "20261205_120000-yam_localhost-database.sql.gz").write_bytes(b"dump")
	(site / "20261206_120000-yam_localhost-database.sql.gz").write_bytes(b"")
	found = ac.find_backups(runsh, site)
	assert [b.taken_at for b in found] == [
		dt.datetime(2026, 12, 5, 12, 0),
		dt.datetime(2026, 12, 5, 10, 0),
		dt.datetime(2026, 12, 4, 2, 0),
	]
	assert ac.find_backups(None, tmp_path / "missing") == []


def test_backup_finding_by_age():
	backup = ac.Backup("/b/20261206_0200", dt.datetime(2026, 12, 6, 2, 0))
	fresh = ac.backup_finding([backup], NOW)
	assert (fresh.count, fresh.attention, fresh.detail) == (7, False, "/b/20261206_0200")
	old = ac.backup_finding([backup], NOW + dt.timedelta(hours=19))
	assert (old.count, old.attention) == (26, True)
	assert ac.backup_finding([backup], NOW, max_age_hours=6).attention
	none = ac.backup_finding([], NOW)
	assert none.attention and none.count is None and none.detail == "no backup found"


# --- database ------------------------------------------------------------------------------------


def test_order_tables_observation_first_then_biggest():
	rows = [
		{"table": "tabLot", "data_bytes": 10, "index_bytes": 5},
		{"table": "tabObservation", "data_bytes": 1, "index_bytes": 1},
		{"table": "tabVersion", "data_bytes": 100, "index_bytes": None},
	]
	assert [r["table"] for r in ac.order_tables(rows)] == ["tabObservation", "tabVersion", "tabLot"]


def test_pick_doctypes():
	assert ac.pick_doctypes([]) == list(ac.HIGH_TRAFFIC_DOCTYPES)
	assert ac.pick_doctypes(["observation", "tabLot,Scale Ticket"]) == ["Observation", "Lot", "Scale Ticket"]
	with pytest.raises(RuleError):
		ac.pick_doctypes(["tabUser"])


def test_megabytes():
	assert ac.megabytes(None) == "0.0"
	assert ac.megabytes(3 * 1024 * 1024) == "3.0"
	assert ac.megabytes(1536 * 1024 * 1024) == "1,536.0"


# --- text output ---------------------------------------------------------------------------------


def test_format_table_aligns_text_left_and_numbers_right():
	text = ac.format_table(["Name", "kg"], [("Wheat", "1,200"), ("Sorghum", 35.5), ("Barley", None)])
	assert text.splitlines() == [
		"Name        kg",
		"-------  -----",
		"Wheat    1,200",
		"Sorghum   35.5",
		"Barley",
	]


def test_format_table_without_rows():
	assert ac.format_table(["A", "B"], []).splitlines() == ["A  B", "-  -"]


def test_tree_lines_draw_the_genealogy():
	tree = {
		"id": "LOT-1",
		"children": [
			{"id": "LOT-2", "children": [{"id": "LOT-4", "children": []}]},
			{"id": "LOT-3", "children": [], "repeat": 1},
		],
	}
	assert ac.tree_lines(tree, lambda item: item["id"] + (" (again)" if item.get("repeat") else "")) == [
		"LOT-1",
		"├─ LOT-2",
		"│  └─ LOT-4",
		"└─ LOT-3 (again)",
	]


def test_kilograms():
	assert ac.kilograms(15000) == "15,000"
	assert ac.kilograms(12.5) == "12.5"
	assert ac.kilograms(None) == "0"
