"""Sites and crops made before: their English names translate to their Arabic names in Desk."""

from yam_agri_core.setup.arabic_names import sync_arabic_names


def execute():
	sync_arabic_names()
