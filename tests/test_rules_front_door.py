"""Desk's front door (rules.front_door): which module profile a user gets and what it blocks."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from yam_agri_core.rules import front_door
from yam_agri_core.rules.roles import ROLE_PROFILES

APP = Path(__file__).resolve().parents[1] / "yam_agri_core"

ERPNEXT_MODULES = ("Accounts", "Assets", "Buying", "Selling", "Stock", "Setup", "Website", "Manufacturing")


def test_every_desk_persona_has_a_module_profile_and_the_gateway_none():
	assert set(front_door.VISIBLE_MODULES) == set(ROLE_PROFILES) - {"YAM Sensor Gateway"}
	for profile, modules in front_door.VISIBLE_MODULES.items():
		assert set(front_door.YAM_MODULES) <= set(modules), profile


def test_the_app_modules_are_the_ones_of_modules_txt():
	listed = {m.strip() for m in (APP / "modules.txt").read_text().splitlines() if m.strip()}
	assert set(front_door.YAM_MODULES) == listed


def test_personas_lose_erpnext_workspaces_the_it_admin_keeps_build_and_users():
	site_modules = [*front_door.YAM_MODULES, *ERPNEXT_MODULES, "Core", "Integrations", "Automation"]
	for profile in front_door.VISIBLE_MODULES:
		blocked = front_door.blocked_modules(profile, site_modules)
		assert set(ERPNEXT_MODULES) <= set(blocked), profile
		assert not set(front_door.YAM_MODULES) & set(blocked), profile
	assert "Core" not in front_door.blocked_modules("YAM IT Admin", site_modules)
	assert "Core" in front_door.blocked_modules("YAM Auditor", site_modules)


def test_persona_from_role_profile_or_roles():
	assert front_door.persona_profile("YAM Auditor", []) == "YAM Auditor"
	assert front_door.persona_profile(None, ["Auditor"]) == "YAM Auditor"
	assert front_door.persona_profile(None, ["Site Operator", "System Manager"]) == "YAM IT Admin"
	assert front_door.persona_profile(None, ["Quality Manager", "Site Operator"]) == "YAM QA Manager"
	assert front_door.persona_profile("YAM Sensor Gateway", ["Sensor Gateway"]) is None
	assert front_door.persona_profile(None, ["Accounts User"]) is None
	# a role profile the admin made is their choice: no module profile is forced on it
	assert front_door.persona_profile("Warehouse Team", ["Site Operator"]) is None


def test_home_workspace_and_module_workspaces_are_in_the_app():
	workspaces = {
		json.loads(p.read_text(encoding="utf-8"))["name"]: json.loads(p.read_text(encoding="utf-8"))["module"]
		for p in APP.glob("*/workspace/*/*.json")
	}
	assert front_door.HOME_WORKSPACE in workspaces
	assert set(workspaces.values()) <= set(front_door.YAM_MODULES)


def test_evidence_pack_is_linked_from_the_home_and_grain_quality():
	for name in (
		"traceability/workspace/yam_agri/yam_agri.json",
		"quality/workspace/grain_quality/grain_quality.json",
	):
		links = json.loads((APP / name).read_text(encoding="utf-8"))["links"]
		assert any(link.get("link_to") == "Evidence Pack" for link in links), name
		# each card's link_count covers the links that follow it
		cards = [i for i, link in enumerate(links) if link["type"] == "Card Break"] + [len(links)]
		for start, end in itertools.pairwise(cards):
			assert links[start]["link_count"] == end - start - 1, (name, links[start]["label"])


def test_a_lot_is_listed_by_its_number():
	meta = json.loads((APP / "traceability/doctype/lot/lot.json").read_text(encoding="utf-8"))
	assert not meta.get("title_field"), "a title field hides the lot number on a phone"
