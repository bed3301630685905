"""Desk's front door: where each persona lands and which workspaces its sidebar shows.

Every YAM persona opens the YAM Agri workspace. A Frappe Module Profile per persona (named as its Role
Profile) blocks the modules whose workspaces the persona has no use for: the sidebar then shows YAM Agri,
Grain Traceability, Grain Quality and Bin Monitoring, and the IT admin also Frappe's Build, Users, Tools and
Integrations. Blocking a module only hides its workspaces; permissions stay with the roles.
"""

from __future__ import annotations

from collections.abc import Iterable

from yam_agri_core.rules.messages import _
from yam_agri_core.rules.roles import (
	AUDITOR,
	PLATFORM_OWNER,
	QUALITY_MANAGER,
	ROLE_PROFILES,
	SENSOR_GATEWAY,
	SITE_OPERATOR,
	SYSTEM_MANAGER,
)

#: The workspace every persona lands on.
HOME_WORKSPACE = "YAM Agri"

#: This app's modules (modules.txt): their workspaces are the YAM Agri home and the three module workspaces.
YAM_MODULES = ("Traceability", "Quality", "Monitoring", "Alerts")

#: What the IT admin needs besides: users and roles (Core: Build, Users), email, the scheduler and tools,
#: integrations, print settings and customisation.
IT_ADMIN_MODULES = ("Core", "Custom", "Desk", "Email", "Automation", "Integrations", "Printing")

IT_ADMIN = "YAM IT Admin"

#: Module profile (named as the persona's Role Profile) -> the modules it leaves visible; every other
#: module of the site is blocked. The sensor gateway has no Desk, hence no module profile.
VISIBLE_MODULES: dict[str, tuple[str, ...]] = {
	profile: YAM_MODULES + (IT_ADMIN_MODULES if profile == IT_ADMIN else ())
	for profile in ROLE_PROFILES
	if SENSOR_GATEWAY not in ROLE_PROFILES[profile]
}

#: A user given roles one by one (no role profile) gets the module profile of the first role it holds here.
PROFILE_BY_ROLE: tuple[tuple[str, str], ...] = (
	(SYSTEM_MANAGER, IT_ADMIN),
	(QUALITY_MANAGER, "YAM QA Manager"),
	(PLATFORM_OWNER, "YAM Platform Owner"),
	(SITE_OPERATOR, "YAM Silo Operator"),
	(AUDITOR, "YAM Auditor"),
)


def persona_profile(role_profile: str | None, roles: Iterable[str]) -> str | None:
	"""The module profile of a user: its YAM role profile, else the one of its strongest YAM role; None
	for a user who is not a YAM persona (its sidebar is left as Frappe makes it)."""
	if role_profile in VISIBLE_MODULES:
		return role_profile
	if role_profile:
		return None  # a role profile of the admin's own: their choice
	held = set(roles)
	return next((profile for role, profile in PROFILE_BY_ROLE if role in held), None)


def blocked_modules(profile: str, all_modules: Iterable[str]) -> list[str]:
	"""The modules a persona's module profile blocks: every module of the site it does not need."""
	visible = set(VISIBLE_MODULES[profile])
	return sorted(m for m in set(all_modules) if m not in visible)


def missing_role_message() -> str:
	"""Shown when a Desk user is saved with neither a role nor a role profile ({0}: the user)."""
	return _(
		"{0} has no role and no role profile, so they cannot open Desk. Pick their role profile "
		"(for example YAM Silo Operator) and save again."
	)
