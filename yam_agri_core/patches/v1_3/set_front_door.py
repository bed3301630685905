"""Desk's front door for sites made before it: the personas' module profiles, and YAM users made before
land on YAM Agri with their persona's module profile (only where nothing is set: an admin's choice stays)."""

from yam_agri_core.setup.front_door import apply_to_existing_users


def execute():
	apply_to_existing_users()
