"""Server side of the field page (``/field``).

``get_field_bootstrap`` gives the page its pick lists (the user's granted sites, crops, suppliers,
instruments, recent lots); ``submit_captures`` stores what the phone queued while offline. Each captured
item carries a key made on the phone and is kept on the record (``capture_key``, a unique column), so a
send repeated after a timeout answers with the record already stored instead of storing it twice.

Items go through the same controllers as Desk (``doc.insert()``: the Lot's and QC Test's rules, site
isolation and link checks), each in its own savepoint: a refused item is answered with its translated
reason while the others of the batch are kept.
"""

from __future__ import annotations

import hashlib
import json

import frappe
from frappe import _
from frappe.sessions import get_csrf_token
from frappe.utils import strip_html, today

from yam_agri_core.permissions import user_has_site
from yam_agri_core.rule_bridge import rules_enforced, translate_rule_error
from yam_agri_core.rules import field_capture
from yam_agri_core.rules.field_capture import LOT, MOISTURE, Capture
from yam_agri_core.rules.messages import RuleError
from yam_agri_core.rules.roles import QUALITY_MANAGER, SITE_OPERATOR, SYSTEM_MANAGER

#: who the field page is for (System Manager: IT checking it)
FIELD_ROLES = frozenset({SITE_OPERATOR, QUALITY_MANAGER, SYSTEM_MANAGER})
DOCTYPE_OF_KIND = {LOT: "Lot", MOISTURE: "QC Test"}
CREATED, EXISTING, REFUSED = "created", "existing", "refused"
#: pick-list sizes: what a phone caches for offline use
SUPPLIER_LIMIT = 500
LOT_LIMIT = 100
OPEN_LOT_STATUSES = ("Draft", "Received", "In Storage")


def require_field_role() -> None:
	if not FIELD_ROLES & set(frappe.get_roles()):
		frappe.throw(_("The field page is for Site Operators and Quality Managers"), frappe.PermissionError)


# --- pick lists ------------------------------------------------------------------------------------


@frappe.whitelist(methods=["GET"])
def get_field_bootstrap(version: str | None = None) -> dict:
	"""The page's pick lists, only of the user's granted sites. Given the ``version`` the phone already
	holds, answers ``unchanged`` without the lists (a few hundred bytes on 2G). A logged-in user without
	a field role is answered ``allowed: 0`` and why (a refusal with 403 would read as "log in again")."""
	if not FIELD_ROLES & set(frappe.get_roles()):
		return {
			"allowed": 0,
			"user": frappe.session.user,
			"message": _("The field page is for Site Operators and Quality Managers"),
		}
	lists = field_lists()
	current = hashlib.sha1(json.dumps(lists, sort_keys=True, default=str).encode()).hexdigest()[:16]
	answer = {
		"allowed": 1,
		"version": current,
		"user": frappe.session.user,
		"full_name": frappe.utils.get_fullname(frappe.session.user),
		"lang": frappe.local.lang,
		"csrf_token": get_csrf_token(),
		"today": today(),
	}
	if version == current:
		answer["unchanged"] = 1
	else:
		answer.update(lists)
	return answer


def field_lists() -> dict:
	sites = [
		site
		for site in frappe.get_list(
			"Site",
			filters={"is_active": 1},
			fields=["name", "site_name", "site_name_ar", "site_type"],
			order_by="name asc",
			limit_page_length=0,
		)
		if user_has_site(site.name, doctype="Lot")
	]
	site_names = [site.name for site in sites]
	lots = (
		frappe.get_list(
			"Lot",
			filters={"site": ("in", site_names), "status": ("in", OPEN_LOT_STATUSES)},
			fields=["name", "site", "crop", "variety", "season", "declared_qty_kg", "harvest_date"],
			order_by="creation desc",
			limit_page_length=LOT_LIMIT,
		)
		if site_names
		else []
	)
	return {
		"sites": sites,
		"crops": frappe.get_all(
			"Crop", fields=["name", "crop_name_ar"], order_by="name asc", limit_page_length=0
		),
		"suppliers": suppliers(),
		"instruments": instruments(site_names),
		"lots": lots,
		"seasons": sorted({lot.season for lot in lots if lot.season}, reverse=True)[:10],
	}


def suppliers(txt: str | None = None, limit: int = SUPPLIER_LIMIT) -> list[dict]:
	"""Farmers to pick as a lot's supplier (Supplier is not site-bound: the Lot's link field offers
	them all to whoever may create a lot)."""
	filters = {"disabled": 0}
	or_filters = None
	if txt:
		or_filters = {"name": ("like", f"%{txt}%"), "supplier_name": ("like", f"%{txt}%")}
	return frappe.get_all(
		"Supplier",
		filters=filters,
		or_filters=or_filters,
		fields=["name", "supplier_name"],
		order_by="modified desc",
		limit_page_length=limit,
	)


@frappe.whitelist(methods=["GET"])
def search_suppliers(txt: str = "") -> list[dict]:
	"""Suppliers matching ``txt`` when online (the page merges them into its offline cache)."""
	require_field_role()
	return suppliers((txt or "").strip()[:60], limit=50)


def instruments(site_names: list[str]) -> list[str]:
	"""Moisture meters to suggest: the sites' moisture sensors and the instruments named on their
	recent QC Tests."""
	if not site_names:
		return []
	devices = frappe.get_list(
		"Device",
		filters={"site": ("in", site_names), "device_type": "Moisture Sensor", "is_active": 1},
		pluck="name",
		order_by="name asc",
		limit_page_length=50,
	)
	used = frappe.get_list(
		"QC Test",
		filters={"site": ("in", site_names), "instrument": ("is", "set")},
		pluck="instrument",
		order_by="creation desc",
		limit_page_length=200,
	)
	return list(dict.fromkeys([*devices, *used]))[:50]


# --- captures --------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def submit_captures(items: list | str) -> dict:
	"""Store a batch of captured items; answer one result per item, in the order sent:
	``{"key", "status": created | existing | refused, "doctype", "name", "message"}``."""
	require_field_role()
	if isinstance(items, str):
		items = json.loads(items)
	with rules_enforced():
		field_capture.check_batch(items)
	results: list[dict | None] = [None] * len(items)
	captures: list[Capture | None] = []
	for index, item in enumerate(items):
		try:
			captures.append(field_capture.read_capture(item))
		except RuleError as error:
			captures.append(None)
			results[index] = refused(field_capture.item_key(item), translate_rule_error(error))
	kinds = [capture.kind if capture else None for capture in captures]
	for index in field_capture.order_for_storing(kinds):
		if captures[index]:
			results[index] = store_capture(captures[index])
	return {"results": results}


def store_capture(capture: Capture) -> dict:
	doctype = DOCTYPE_OF_KIND[capture.kind]
	existing = frappe.db.get_value(doctype, {"capture_key": capture.key}, "name")
	if existing:
		return existing_result(capture.key, doctype, existing)
	savepoint = f"field_{frappe.generate_hash(length=10)}"
	messages = len(frappe.local.message_log)
	frappe.db.savepoint(savepoint)
	try:
		doc = insert_lot(capture) if capture.kind == LOT else insert_moisture(capture)
	except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
		# the same key stored meanwhile by a concurrent send of the same outbox: answer with its record
		# (when this transaction's snapshot cannot see it yet, the error goes back and the phone retries)
		frappe.db.rollback(save_point=savepoint)
		del frappe.local.message_log[messages:]
		existing = frappe.db.get_value(doctype, {"capture_key": capture.key}, "name")
		if existing:
			return existing_result(capture.key, doctype, existing)
		raise
	except (frappe.ValidationError, frappe.PermissionError) as error:
		frappe.db.rollback(save_point=savepoint)
		reason = reason_of(error, frappe.local.message_log[messages:])
		del frappe.local.message_log[messages:]
		return refused(capture.key, reason)
	return {"key": capture.key, "status": CREATED, "doctype": doctype, "name": doc.name}


def insert_lot(capture: Capture):
	site = capture.values.get("site")
	if not user_has_site(site, doctype="Lot"):
		frappe.throw(
			_("You are not permitted to record lots of Site {0}").format(site), frappe.PermissionError
		)
	doc = frappe.new_doc("Lot")
	set_values(doc, {**capture.values, "lot_type": "Harvest", "capture_key": capture.key})
	if capture.position:
		doc.update(
			{
				"gps_latitude": capture.position.latitude,
				"gps_longitude": capture.position.longitude,
				"gps_accuracy_m": capture.position.accuracy_m,
			}
		)
	doc.insert()
	for photo in capture.photos:
		frappe.get_doc(
			{
				"doctype": "File",
				"file_name": photo.file_name,
				"attached_to_doctype": "Lot",
				"attached_to_name": doc.name,
				"is_private": 1,
				"content": photo.content,
			}
		).insert()
	return doc


def insert_moisture(capture: Capture):
	lot = capture.lot
	if capture.lot_key:
		lot = frappe.db.get_value("Lot", {"capture_key": capture.lot_key}, "name")
		if not lot:
			frappe.throw(_("The lot of this reading is not stored yet: send the lot first"))
	doc = frappe.new_doc("QC Test")
	set_values(doc, {**capture.values, "lot": lot, "test_type": "Moisture", "capture_key": capture.key})
	# what the Desk form fetches from the lot before saving (and its check that the lot's site is the
	# user's), so that the permission check of insert sees the test's site
	doc.set_lot_details()
	return doc.insert()


def set_values(doc, values: dict) -> None:
	"""Set the phone's values as Desk's form would send them: typed by their fields (a form's number
	arrives as text; text that is no number becomes 0, which the record's own rules then refuse)."""
	for fieldname, value in values.items():
		df = doc.meta.get_field(fieldname)
		doc.set(fieldname, doc.cast(value, df) if df else value)


def existing_result(key: str, doctype: str, name: str) -> dict:
	if not frappe.has_permission(doctype, "read", name):
		return refused(key, _("This capture was stored by someone else"))
	return {"key": key, "status": EXISTING, "doctype": doctype, "name": name}


def refused(key: str | None, message: str) -> dict:
	return {"key": key, "status": REFUSED, "message": message}


def reason_of(error: Exception, messages: list) -> str:
	"""The translated reason the user saw in Desk: the messages thrown for the item, else the error."""
	texts = []
	for message in messages:
		if isinstance(message, dict):
			message = message.get("message")
		if message:
			texts.append(strip_html(str(message)).strip())
	return " · ".join(dict.fromkeys(t for t in texts if t)) or strip_html(str(error)) or _("Not Saved")
