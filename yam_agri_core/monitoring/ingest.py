"""Gateway readings into Observations: the engine behind ``yam_agri_core.api.ingest_observations``."""

from __future__ import annotations

import datetime as dt

import frappe
from frappe import _
from frappe.utils import convert_utc_to_system_timezone

from yam_agri_core import store
from yam_agri_core.permissions import get_allowed_sites
from yam_agri_core.rule_bridge import translate_rule_error
from yam_agri_core.rules.ingest import MAX_BATCH, parse_reading
from yam_agri_core.rules.messages import RuleError


def ingest_observations(readings: list | str) -> dict:
	"""Store a batch of sensor readings, each on its own: a bad reading is reported by its row and
	leaves nothing behind, the others are kept.

	A reading from a device that is not registered is kept as Quarantine for review (with the id the
	gateway sent) when its site is known: given in the reading, or the gateway's only site.
	"""
	frappe.has_permission("Observation", "create", throw=True)
	readings = frappe.parse_json(readings) if isinstance(readings, str) else readings
	if not isinstance(readings, list):
		frappe.throw(_("Readings must be a list of objects"), exc=frappe.ValidationError)
	if len(readings) > MAX_BATCH:
		frappe.throw(
			_("At most {0} readings per request; this one has {1}").format(MAX_BATCH, len(readings)),
			exc=frappe.ValidationError,
		)
	with store.memoized():
		return _ingest(readings)


def _ingest(readings: list) -> dict:
	accepted, rejected = [], []
	for row, raw in enumerate(readings, start=1):
		frappe.db.savepoint("yam_ingest_reading")
		try:
			doc = frappe.get_doc(_observation_from_reading(raw, row))
			doc.insert()
		except RuleError as error:
			frappe.db.rollback(save_point="yam_ingest_reading")
			rejected.append({"row": row, "error": translate_rule_error(error)})
		except (frappe.ValidationError, frappe.PermissionError) as error:
			frappe.db.rollback(save_point="yam_ingest_reading")
			rejected.append(
				{"row": row, "error": _("Row {0}: {1}").format(row, frappe.utils.strip_html(str(error)))}
			)
		else:
			accepted.append({"row": row, "name": doc.name, "quality_flag": doc.quality_flag})
		finally:
			frappe.clear_messages()
	return {"accepted": accepted, "rejected": rejected}


def _observation_from_reading(raw: dict, row: int) -> dict:
	reading = parse_reading(raw, row)
	observed_at = reading["observed_at"]
	if observed_at.tzinfo is not None:
		observed_at = convert_utc_to_system_timezone(
			observed_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
		)
	reading["observed_at"] = observed_at.replace(tzinfo=None)
	if not store.device_exists(reading["device"]):
		reading["reported_device_id"] = reading.pop("device")
		reading.setdefault("site", _only_site_of_user())
		if not reading.get("site"):
			frappe.throw(
				_("Row {0}: Device {1} is not registered and the reading names no site").format(
					row, reading["reported_device_id"]
				),
				exc=frappe.ValidationError,
			)
	return {"doctype": "Observation", **reading}


def _only_site_of_user() -> str | None:
	sites = get_allowed_sites(doctype="Observation")
	return sites[0] if sites and len(sites) == 1 else None
