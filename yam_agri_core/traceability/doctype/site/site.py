# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe.model.document import Document

from yam_agri_core.rules.sites import normalize_site_code
from yam_agri_core.rules.thresholds import Band, validate_band
from yam_agri_core.rules.weighing import validate_tolerance
from yam_agri_core.validation import rules_enforced

BANDS_CACHE_KEY = "yam_agri_site_bands"


class Site(Document):
	def before_insert(self):
		with rules_enforced():
			self.site_code = normalize_site_code(self.site_code)

	def validate(self):
		with rules_enforced():
			self.normalize_site_code()
			self.validate_scale_tolerance()
			self.validate_thresholds()

	def on_update(self):
		frappe.cache.hdel(BANDS_CACHE_KEY, self.name)

	def normalize_site_code(self):
		self.site_code = normalize_site_code(self.site_code)

	def validate_scale_tolerance(self):
		if self.scale_tolerance_pct is None:
			self.scale_tolerance_pct = 2.0
		validate_tolerance(self.scale_tolerance_pct)

	def validate_thresholds(self):
		seen = set()
		for row in self.thresholds:
			if row.metric in seen:
				frappe.throw(
					frappe._("Row {0}: Metric {1} already has thresholds on this site").format(
						row.idx, frappe._(row.metric)
					),
					title=frappe._("Not Saved"),
				)
			seen.add(row.metric)
			validate_band(row.metric, band_from_row(row))


def band_from_row(row) -> Band:
	from yam_agri_core.rules.thresholds import DEFAULT_BANDS, OTHER

	default = DEFAULT_BANDS.get(row.metric, DEFAULT_BANDS[OTHER])
	return Band(
		valid_min=row.valid_min,
		valid_max=row.valid_max,
		critical_min=row.critical_min,
		critical_max=row.critical_max,
		stuck_repeat_count=row.stuck_repeat_count or default.stuck_repeat_count,
		max_jump=row.max_jump or default.max_jump,
	)


def get_site_bands(site: str) -> dict[str, Band]:
	"""The site's own threshold bands by metric (cached; cleared when the site is saved)."""
	cached = frappe.cache.hget(BANDS_CACHE_KEY, site)
	if cached is None:
		rows = frappe.get_all(
			"Site Observation Threshold",
			filters={"parent": site, "parenttype": "Site", "parentfield": "thresholds"},
			fields=[
				"metric",
				"valid_min",
				"valid_max",
				"critical_min",
				"critical_max",
				"stuck_repeat_count",
				"max_jump",
			],
		)
		cached = {row.metric: band_from_row(row) for row in rows}
		frappe.cache.hset(BANDS_CACHE_KEY, site, cached)
	return cached
