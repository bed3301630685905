# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import format_datetime, get_datetime, now_datetime

from yam_agri_core import store
from yam_agri_core.exceptions import ImmutableRecordError
from yam_agri_core.monitoring import rollups
from yam_agri_core.rule_bridge import check_links_same_site, rules_enforced, translate_template
from yam_agri_core.rules import observation_batch, observations, thresholds

#: A reading is one per (device, metric, observed_at): the gateway batch, Desk and REST all meet here.
READING_INDEX = "unique_reading"
#: A device that is not registered is known by the id the gateway sent, at its site.
UNREGISTERED_READING_INDEX = "unique_unregistered_reading"
#: The index the unique one replaces (same columns).
OLD_HISTORY_INDEX = "device_metric_observed_at_index"


class DuplicateReadingError(frappe.UniqueValidationError):
	"""The reading is already stored; ``existing`` names the stored one."""

	def __init__(self, message: str, existing: str):
		super().__init__(message)
		self.existing = existing


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
		rollups.add_readings([self.as_reading()])

	def on_change(self):
		"""A re-flag of a stored reading (``db_set`` of its flag) recomputes its hour's rollup."""
		before = self.get_doc_before_save()
		if before and not self.flags.in_insert and before.quality_flag != self.quality_flag:
			rollups.refresh_hours_of([self.as_reading()])

	def as_reading(self) -> dict:
		"""What a rollup reads of this reading."""
		return {
			**{f: self.get(f) for f in ("site", "device", "reported_device_id", "storage_bin", "metric")},
			"observed_at": get_datetime(self.observed_at),
			"value": self.value,
			"quality_flag": self.quality_flag,
		}

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
		"""The flag and its reasons, by the same rule and history as a gateway batch."""
		reading = self.reading_to_flag()
		history = store.reading_history(observation_batch.history_needs([reading]))
		assessment = observation_batch.flag_in_time_order([reading], history, now_datetime())[0]
		self.quality_flag = assessment.flag
		self.flag_reason = reasons_text(assessment)

	def reading_to_flag(self) -> observation_batch.ToFlag:
		band = thresholds.resolve_band(self.metric, store.get_site_bands(self.site), self.crop_max_moisture())
		return observation_batch.ToFlag(
			row=0,
			device=self.device or None,
			metric=self.metric,
			value=self.value,
			unit=self.unit,
			observed_at=get_datetime(self.observed_at),
			site=self.site,
			device_state=self.device_state(),
			band=band,
		)

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

	def show_unique_validation_message(self, e):
		"""The unique indexes refuse a reading already stored (a gateway re-sending it)."""
		existing = stored_copy(self)
		if not existing:
			super().show_unique_validation_message(e)
		message = duplicate_message(self, existing)
		frappe.msgprint(message, title=_("Not Saved"), indicator="red")
		raise DuplicateReadingError(message, existing=existing)

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


def stored_copy(reading) -> str | None:
	"""The stored reading with the identity of ``reading`` (a document or a dict of its fields)."""
	if reading.get("device"):
		filters = {"device": reading.get("device")}
	else:
		filters = {
			"device": ("is", "not set"),
			"reported_device_id": reading.get("reported_device_id"),
			"site": reading.get("site"),
		}
	filters.update(metric=reading.get("metric"), observed_at=get_datetime(reading.get("observed_at")))
	return frappe.db.get_value("Observation", filters, "name")


def reasons_text(assessment: observations.Assessment) -> str | None:
	return "; ".join(translate_template(t, p) for t, p in assessment.reasons) or None


def duplicate_message(reading, existing: str) -> str:
	return _("Device {0} already has a {1} reading at {2}: {3}").format(
		reading.get("device") or reading.get("reported_device_id"),
		_(reading.get("metric")),
		format_datetime(reading.get("observed_at")),
		existing,
	)


def on_doctype_update():
	add_reading_indexes()
	frappe.db.add_index("Observation", ["site", "quality_flag", "observed_at"])
	# the quarantine alert job: unsent quarantined readings by time
	frappe.db.add_index("Observation", ["quality_flag", "alert_sent", "observed_at"])
	# the Bin Temperature chart reads the index alone: a metric's readings by time, with bin and value
	frappe.db.add_index(
		"Observation",
		["metric", "observed_at", "quality_flag", "storage_bin", "value"],
		index_name="bin_temperature_chart_index",
	)


def add_reading_indexes() -> bool:
	"""The unique indexes of a reading's identity; ``False`` while stored duplicates keep them out
	(the v1_1 patch sets the copies aside first, then adds them)."""
	for index, columns in (
		(READING_INDEX, "`device`, `metric`, `observed_at`"),
		(UNREGISTERED_READING_INDEX, "`reported_device_id`, `site`, `metric`, `observed_at`"),
	):
		if frappe.db.has_index("tabObservation", index):
			continue
		try:
			frappe.db.sql_ddl(f"alter table `tabObservation` add unique index `{index}` ({columns})")
		except Exception as e:
			if not frappe.db.is_duplicate_entry(e):
				raise
			return False
	if frappe.db.has_index("tabObservation", OLD_HISTORY_INDEX):
		frappe.db.sql_ddl(f"alter table `tabObservation` drop index `{OLD_HISTORY_INDEX}`")
	return True
