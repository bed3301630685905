"""``/field``: the farm supervisor's phone page (shell; everything else is fetched by field.js).

The shell is the same for every user of a language, so the service worker can keep it for offline use;
who is logged in and what they may choose comes from ``yam_agri_core.field.api.get_field_bootstrap``.
"""

from __future__ import annotations

from yam_agri_core.field.page import page_context

no_cache = 1
sitemap = 0


def get_context(context):
	context.no_cache = 1
	context.update(page_context())
	return context
