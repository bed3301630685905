# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

"""A month of a site's readings moved into a Parquet file (written and kept by
``yam_agri_core.monitoring.archive``; nobody edits it by hand)."""

from __future__ import annotations

import frappe
from frappe.model.document import Document


class ObservationArchive(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		archived_on: DF.Datetime | None
		checksum: DF.Data | None
		file_path: DF.Data | None
		file_size: DF.Int
		month: DF.Data
		rows: DF.Int
		site: DF.Link
		status: DF.Literal["Written", "Archived"]

	# end: auto-generated types
	pass


def on_doctype_update():
	frappe.db.add_unique("Observation Archive", ["site", "month"], constraint_name="unique_site_month")
