# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import get_datetime, now_datetime

from yam_agri_core import store
from yam_agri_core.exceptions import ImmutableRecordError
from yam_agri_core.rule_bridge import check_links_same_site, rules_enforced, translate_template
from yam_agri_core.rules import observations, thresholds

#: What a reading is; once saved none of it changes.
MEASURED_FIELDS = ("device", "site", "storage_bin", "lot", "observed_at", "metric", "value", "unit")


class Observation(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		alert_sent: DF.Check
		device: DF.Link | None
		flag_reason: DF.SmallText | None
		lot: DF.Link | None
		metric: DF.Literal["Temperature", "Humidity", "Grain Moisture", "CO2", "Other"]
		observed_at: DF.Datetime
		quality_flag: DF.Literal["Valid", "Warning", "Quarantine"]
		raw_payload: DF.Code | None
		reported_device_id: DF.Data | None
		site: DF.Link
		storage_bin: DF.Link | None
		unit: DF.Data
		value: DF.Float

	# end: auto-generated types
	def before_validate(self):
		if self.is_new():
			self.set_context_from_device()

	def validate(self):
		if not self.is_new():
			self.keep_reading_unchanged()
			return
		with rules_enforced():
			self.normalize_unit()
		self.validate_same_site_links()
		self.set_quality_flag()

	def after_insert(self):
		self.mark_device_seen()

	def set_context_from_device(self):
		"""Site, bin and lot default from the device (and the bin's current lot)."""
		if not self.device:
			return
		device = store.get_device(self.device) or {}
		self.site = self.site or device.get("site")
		self.storage_bin = self.storage_bin or device.get("storage_bin")
		if self.storage_bin and not self.lot:
			self.lot = store.current_lot_of_bin(self.storage_bin)

	def normalize_unit(self):
		self.unit = thresholds.normalize_unit(self.unit)

	def validate_same_site_links(self):
		check_links_same_site(self, [("storage_bin", "Storage Bin"), ("lot", "Lot")])

	def set_quality_flag(self):
		observed_at = get_datetime(self.observed_at)
		band = thresholds.resolve_band(self.metric, store.get_site_bands(self.site), self.crop_max_moisture())
		assessment = observations.assess(
			metric=self.metric,
			value=self.value,
			unit=self.unit,
			observed_at=observed_at,
			now=now_datetime(),
			site=self.site,
			device=self.device_state(),
			band=band,
			recent_values=self.recent_values(band.stuck_repeat_count),
			previous_good=self.previous_good_reading(),
		)
		self.quality_flag = assessment.flag
		self.flag_reason = "; ".join(translate_template(t, p) for t, p in assessment.reasons) or None

	def device_state(self) -> observations.DeviceState:
		if not self.device:
			return observations.DeviceState(exists=False)
		device = store.get_device(self.device)
		if not device:
			return observations.DeviceState(exists=False)
		return observations.DeviceState(exists=True, is_active=bool(device.is_active), site=device.site)

	def crop_max_moisture(self) -> float | None:
		if self.metric != thresholds.GRAIN_MOISTURE or not self.lot:
			return None
		return store.crop_max_moisture(store.crop_of_lot(self.lot))

	def _history_query(self):
		Obs = frappe.qb.DocType("Observation")
		return (
			frappe.qb.from_(Obs)
			.where((Obs.device == self.device) & (Obs.metric == self.metric))
			.where(Obs.observed_at <= get_datetime(self.observed_at))
			.orderby(Obs.observed_at, order=frappe.qb.desc)
		)

	def recent_values(self, count: int) -> list[float]:
		"""The device's last ``count - 1`` values of this metric, newest first."""
		if not self.device or count <= 1:
			return []
		Obs = frappe.qb.DocType("Observation")
		return self._history_query().select(Obs.value).limit(count - 1).run(pluck=True)

	def previous_good_reading(self) -> observations.PreviousReading | None:
		if not self.device:
			return None
		Obs = frappe.qb.DocType("Observation")
		row = (
			self._history_query()
			.select(Obs.value, Obs.observed_at)
			.where(Obs.quality_flag != thresholds.QUARANTINE)
			.limit(1)
			.run(as_dict=True)
		)
		return observations.PreviousReading(row[0].value, get_datetime(row[0].observed_at)) if row else None

	def keep_reading_unchanged(self):
		before = self.get_doc_before_save()
		if not before:
			return
		changed = [
			f for f in (*MEASURED_FIELDS, "quality_flag", "flag_reason") if before.get(f) != self.get(f)
		]
		if changed:
			frappe.throw(
				_("A sensor reading is never rewritten; {0} cannot change").format(
					", ".join(_(self.meta.get_label(f)) for f in changed)
				),
				exc=ImmutableRecordError,
				title=_("Not Saved"),
			)

	def mark_device_seen(self):
		if not self.device:
			return
		last_seen = store.device_last_seen(self.device)
		if not last_seen or get_datetime(last_seen) < get_datetime(self.observed_at) <= now_datetime():
			store.mark_device_seen(self.device, self.observed_at)

	def on_trash(self):
		frappe.throw(_("Sensor readings are never deleted"), exc=ImmutableRecordError)


def on_doctype_update():
	frappe.db.add_index("Observation", ["device", "metric", "observed_at"])
	frappe.db.add_index("Observation", ["site", "quality_flag", "observed_at"])
	# the quarantine alert job: unsent quarantined readings by time
	frappe.db.add_index("Observation", ["quality_flag", "alert_sent", "observed_at"])
