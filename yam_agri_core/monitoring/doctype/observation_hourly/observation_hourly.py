# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

"""Hourly rollups of readings, written by the ingest only (``yam_agri_core.monitoring.rollups``):
nobody creates, edits or deletes one by hand; ``rebuild_rollups`` recomputes them from the readings."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document

from yam_agri_core.exceptions import ImmutableRecordError

#: A rollup is one per (site, device, reported device id, bin, metric, hour).
UNIQUE_INDEX = "unique_rollup"
KEY_COLUMNS = ("device", "reported_device_id", "site", "storage_bin", "metric", "hour")


class ObservationHourly(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		device: DF.Link | None
		hour: DF.Datetime
		metric: DF.Literal["Temperature", "Humidity", "Grain Moisture", "CO2", "Other"]
		quarantine_count: DF.Int
		quarantine_max: DF.Float
		quarantine_sum: DF.Float
		readings: DF.Int
		reported_device_id: DF.Data | None
		site: DF.Link
		storage_bin: DF.Link | None
		valid_count: DF.Int
		value_max: DF.Float
		value_mean: DF.Float
		value_min: DF.Float
		value_sum: DF.Float
		warning_count: DF.Int

	# end: auto-generated types
	def validate(self):
		frappe.throw(
			_("Hourly rollups are kept by the ingest; rebuild them from the readings instead"),
			exc=ImmutableRecordError,
		)

	def on_trash(self):
		frappe.throw(
			_("Hourly rollups are kept by the ingest; rebuild them from the readings instead"),
			exc=ImmutableRecordError,
		)


def on_doctype_update():
	from yam_agri_core.monitoring.rollups import ensure_daily_table

	ensure_daily_table()
	if not frappe.db.has_index("tabObservation Hourly", UNIQUE_INDEX):
		columns = ", ".join(f"`{c}`" for c in KEY_COLUMNS)
		frappe.db.sql_ddl(
			f"alter table `tabObservation Hourly` add unique index `{UNIQUE_INDEX}` ({columns})"
		)
	# the Bin Temperature chart: a metric's hours, by bin, with what it sums (read from the index alone)
	frappe.db.add_index(
		"Observation Hourly",
		[
			"metric",
			"hour",
			"storage_bin",
			"site",
			"valid_count",
			"warning_count",
			"quarantine_count",
			"value_sum",
			"value_max",
			"quarantine_sum",
			"quarantine_max",
		],
		index_name="bin_chart_index",
	)
