"""Gateway readings into Observations: the engine behind ``yam_agri_core.api.ingest_observations``.

A batch is judged and written set-based (``observation.gateway_batch``): the devices, sites, bins, lots, crops and
bands it names and each (device, metric) pair's history are read once, every reading is flagged in
time order by the rule the Observation controller uses for one reading
(``rules.observation_batch``), and the accepted rows are written with multi-row inserts. A reading is
one per (device, metric, observed_at) — for a device that is not registered, per (reported device
id, site, metric, observed_at) — and the database's unique indexes enforce it: a re-sent reading is
reported under ``duplicates`` with the name of the stored one and stores nothing.

``ingest_one_by_one`` is the same request through one Observation document per reading (the path
of Desk and REST); it serves when Observation carries per-document automation (a Server Script,
Webhook, Notification or ``doc_events`` hook) and as the reference the batch is tested against.
"""

from __future__ import annotations

import datetime as dt

import frappe
from frappe import _
from frappe.utils import convert_utc_to_system_timezone, strip_html

from yam_agri_core import store
from yam_agri_core.monitoring.doctype.observation import gateway_batch
from yam_agri_core.monitoring.doctype.observation.observation import DuplicateReadingError
from yam_agri_core.permissions import get_allowed_sites
from yam_agri_core.rule_bridge import translate_rule_error
from yam_agri_core.rules import messages
from yam_agri_core.rules.ingest import MAX_BATCH, parse_reading
from yam_agri_core.rules.messages import Kind, RuleError


def ingest_observations(readings: list | str) -> dict:
	"""Store a batch of sensor readings, each on its own: a bad reading is reported by its row and
	leaves nothing behind, a reading already stored is reported as a duplicate, the others are kept.

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
		if has_document_automation():
			return ingest_one_by_one(readings)
		return gateway_batch.ingest_batch(readings)


def ingest_one_by_one(readings: list) -> dict:
	"""Each reading through its own Observation document, in the order sent."""
	accepted, duplicates, rejected = [], [], []
	for row, raw in enumerate(readings, start=1):
		frappe.db.savepoint("yam_ingest_reading")
		try:
			doc = frappe.get_doc({"doctype": "Observation", **reading_fields(raw, row)})
			doc.insert()
		except RuleError as error:
			frappe.db.rollback(save_point="yam_ingest_reading")
			rejected.append({"row": row, "error": translate_rule_error(error)})
		except DuplicateReadingError as error:
			frappe.db.rollback(save_point="yam_ingest_reading")
			duplicates.append({"row": row, "name": error.existing})
		except frappe.PermissionError:
			frappe.db.rollback(save_point="yam_ingest_reading")
			rejected.append(
				{"row": row, "error": not_permitted(row, doc.site or store.site_of_device(doc.device))}
			)
		except frappe.ValidationError as error:
			frappe.db.rollback(save_point="yam_ingest_reading")
			rejected.append({"row": row, "error": row_error(row, str(error))})
		else:
			accepted.append({"row": row, "name": doc.name, "quality_flag": doc.quality_flag})
		finally:
			frappe.clear_messages()
	return {"accepted": accepted, "duplicates": duplicates, "rejected": rejected}


def reading_fields(raw: dict, row: int) -> dict:
	"""The fields of an Observation from one gateway reading; a RuleError names the row."""
	reading = parsed_reading(raw, row)
	return reading if store.device_exists(reading["device"]) else as_unregistered(reading, row)


def parsed_reading(raw: dict, row: int) -> dict:
	reading = parse_reading(raw, row)
	reading["observed_at"] = local_time(reading["observed_at"])
	return reading


def as_unregistered(reading: dict, row: int) -> dict:
	"""A reading of a device that is not registered keeps the id sent, at the site named or the
	gateway's only site."""
	reading["reported_device_id"] = reading.pop("device")
	reading.setdefault("site", only_site_of_user())
	if not reading.get("site"):
		raise RuleError(
			Kind.VALIDATION,
			messages._("Row {0}: Device {1} is not registered and the reading names no site"),
			row,
			reading["reported_device_id"],
			field="device",
		)
	return reading


def local_time(observed_at: dt.datetime) -> dt.datetime:
	"""A naive time in the server's zone (an aware one is converted)."""
	if observed_at.tzinfo is not None:
		observed_at = convert_utc_to_system_timezone(
			observed_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
		)
	return observed_at.replace(tzinfo=None)


def only_site_of_user() -> str | None:
	sites = get_allowed_sites(doctype="Observation")
	return sites[0] if sites and len(sites) == 1 else None


def row_error(row: int, message: str) -> str:
	return _("Row {0}: {1}").format(row, strip_html(message))


def not_permitted(row: int, site: str | None) -> str:
	return _("Row {0}: you may not write readings of site {1}").format(row, site or "")


def has_document_automation() -> bool:
	"""Whether something runs per Observation document that a set-based insert would skip."""
	for hook_doctype in frappe.get_hooks("doc_events") or {}:
		if hook_doctype == "Observation" or (
			isinstance(hook_doctype, tuple) and "Observation" in hook_doctype
		):
			return True
	checks = (
		(
			"Server Script",
			{"script_type": "DocType Event", "reference_doctype": "Observation", "disabled": 0},
		),
		("Webhook", {"webhook_doctype": "Observation", "enabled": 1}),
		("Notification", {"document_type": "Observation", "enabled": 1}),
	)
	return any(frappe.db.exists(doctype, filters) for doctype, filters in checks)
