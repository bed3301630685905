"""A gateway batch of readings, judged and written set-based.

Every check a reading meets on its way through one Observation document is made here for the whole
batch, in the same order and with the same words: the device (registered or not), the site named
(it must exist), the user's right to write readings of that site (one check per site), the device's
bin and the bin's lot, the unit, same-site links, the quality flag (``rules.observation_batch``, in
time order with each pair's history), the length of the device id sent; then duplicates, then one
multi-row insert. A refused row leaves nothing behind and keeps its row number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import frappe
from frappe import _
from frappe.core.doctype.user_permission.user_permission import get_user_permissions
from frappe.model.naming import make_autoname
from frappe.utils import now, now_datetime
from frappe.utils.html_utils import sanitize_html

from yam_agri_core import store
from yam_agri_core.monitoring import ingest, rollups
from yam_agri_core.monitoring.doctype.observation.observation import reasons_text, stored_copy
from yam_agri_core.permissions import get_allowed_sites
from yam_agri_core.rule_bridge import translate_rule_error
from yam_agri_core.rules import observation_batch, thresholds
from yam_agri_core.rules.messages import RuleError
from yam_agri_core.rules.observations import DeviceState
from yam_agri_core.rules.sites import LinkedRecord, check_same_site

#: Every column a new Observation fills (the others stay NULL, as for a document).
COLUMNS = (
	"name",
	"creation",
	"modified",
	"modified_by",
	"owner",
	"docstatus",
	"idx",
	"device",
	"reported_device_id",
	"site",
	"storage_bin",
	"lot",
	"observed_at",
	"metric",
	"value",
	"unit",
	"quality_flag",
	"flag_reason",
	"alert_sent",
	"raw_payload",
)
#: A Data field is a varchar of this many characters.
DATA_LENGTH = 140
ROWS_PER_INSERT = 1000


def ingest_batch(readings: Sequence) -> dict:
	batch = Batch(readings)
	for step in (
		batch.parse,
		batch.check_sites,
		batch.check_permission,
		batch.set_context,
		batch.normalize_units,
		batch.check_same_site_links,
		batch.check_lengths,
		batch.flag,
		batch.write,
		batch.update_rollups,
		batch.mark_devices_seen,
	):
		step()
	return batch.answer()


class Batch:
	def __init__(self, readings: Sequence):
		self.readings = readings
		self.now = now_datetime()
		self.stamp = now()
		self.user = frappe.session.user
		self.rows: dict[int, dict] = {}  # row -> the Observation's fields, while the row stands
		self.device_of: dict[int, frappe._dict] = {}
		self.bins: dict[str, frappe._dict] = {}
		self.lots: dict[str, frappe._dict] = {}
		self.flags: dict[int, str] = {}
		self.rejected: dict[int, str] = {}
		self.duplicates: dict[int, str] = {}

	def refuse(self, row: int, message: str) -> None:
		self.rejected[row] = message
		self.rows.pop(row, None)

	def standing(self) -> list[tuple[int, dict]]:
		return list(self.rows.items())

	def parse(self):
		for row, raw in enumerate(self.readings, start=1):
			try:
				self.rows[row] = ingest.parsed_reading(raw, row)
			except RuleError as error:
				self.rejected[row] = translate_rule_error(error)
		devices = store.get_devices(r["device"] for r in self.rows.values())
		for row, r in self.standing():
			device = devices.get(r["device"])
			if device:
				r["device"] = device.name
				self.device_of[row] = device
				continue
			try:
				ingest.as_unregistered(r, row)
			except RuleError as error:
				self.refuse(row, translate_rule_error(error))
		defaults = user_defaults()
		for r in self.rows.values():
			for field, value in defaults.items():
				r.setdefault(field, value)

	def check_sites(self):
		"""A site the reading names must exist (Frappe's link check, before permissions)."""
		found = store.existing_sites(r["site"] for r in self.rows.values() if r.get("site"))
		for row, r in self.standing():
			if not r.get("site"):
				continue
			if r["site"] in found:
				r["site"] = found[r["site"]]
			else:
				label = _("Site", context="Observation")
				self.refuse(
					row, ingest.row_error(row, _("Could not find {0}").format(f"{label}: {r['site']}"))
				)

	def check_permission(self):
		"""Frappe's create permission with the site hook, once per site (and per device for a user
		restricted to some devices)."""
		by_device = "Device" in get_user_permissions(self.user)
		allowed: dict[tuple, bool] = {}
		for row, r in self.standing():
			device = self.device_of.get(row)
			site = r.get("site") or (device.site if device else None)
			key = (site, r.get("device") if by_device else None)
			if key not in allowed:
				doc = frappe.get_doc({"doctype": "Observation", "site": site, "device": key[1]})
				allowed[key] = frappe.has_permission("Observation", "create", doc=doc, user=self.user)
			if not allowed[key]:
				self.refuse(row, ingest.not_permitted(row, site))

	def set_context(self):
		"""Site, bin and lot from the device (and the bin's current lot)."""
		for row, r in self.standing():
			device = self.device_of.get(row)
			if device:
				r["site"] = r.get("site") or device.site
				r["storage_bin"] = r.get("storage_bin") or device.storage_bin
		self.bins = store.bins_with_lots(r.get("storage_bin") for r in self.rows.values())
		for r in self.rows.values():
			if r.get("storage_bin") and not r.get("lot"):
				r["lot"] = (self.bins.get(r["storage_bin"]) or {}).get("current_lot")
		self.lots = store.lots_with_crops(r.get("lot") for r in self.rows.values())

	def normalize_units(self):
		for row, r in self.standing():
			try:
				r["unit"] = thresholds.normalize_unit(r["unit"])
			except RuleError as error:
				self.refuse(row, ingest.row_error(row, translate_rule_error(error)))

	def check_same_site_links(self):
		"""As a reading saved through its document (``rule_bridge.check_links_same_site``): a bin or lot
		of a site the gateway may not see is refused as not found, naming nothing of it."""
		allowed: dict[str, list[str] | None] = {}

		def visible(doctype: str, site: str | None) -> bool:
			if doctype not in allowed:
				allowed[doctype] = get_allowed_sites(doctype=doctype)
			return not site or allowed[doctype] is None or site in allowed[doctype]

		for row, r in self.standing():
			linked = []
			if r.get("storage_bin"):
				site = (self.bins.get(r["storage_bin"]) or {}).get("site")
				linked.append(
					LinkedRecord(
						"storage_bin",
						_("Storage Bin"),
						"Storage Bin",
						r["storage_bin"],
						site,
						visible("Storage Bin", site),
					)
				)
			if r.get("lot"):
				site = (self.lots.get(r["lot"]) or {}).get("site")
				linked.append(LinkedRecord("lot", _("Lot"), "Lot", r["lot"], site, visible("Lot", site)))
			try:
				check_same_site(r["site"], linked)
			except RuleError as error:
				self.refuse(row, ingest.row_error(row, translate_rule_error(error)))

	def check_lengths(self):
		"""Names first (Frappe's message names the document); an id sent longer than a Data field."""
		taken = set()
		for row, r in self.standing():
			name = make_autoname("hash", "Observation")
			while name in taken:
				name = make_autoname("hash", "Observation")
			taken.add(name)
			r["name"] = name
			sent = r.get("reported_device_id") or ""
			if len(sent) > DATA_LENGTH:
				message = _("{0}: '{1}' ({3}) will get truncated, as max characters allowed is {2}").format(
					f"{_('Observation')} {name}",
					_("Reported Device ID", context="Observation"),
					DATA_LENGTH,
					sent,
				)
				self.refuse(row, ingest.row_error(row, message))

	def flag(self):
		readings = {row: self.to_flag(row, r) for row, r in self.standing()}
		history = store.reading_history(observation_batch.history_needs(readings.values()))
		self.set_aside_duplicates(history)
		assessments = observation_batch.flag_in_time_order(
			[readings[row] for row in self.rows], history, self.now
		)
		for row, r in self.rows.items():
			assessment = assessments[row]
			r["quality_flag"] = self.flags[row] = assessment.flag
			r["flag_reason"] = reasons_text(assessment)
			for field in ("reported_device_id", "flag_reason"):
				if r.get(field) and ("<" in r[field] or ">" in r[field]):
					r[field] = sanitize_html(r[field], linkify=False)

	def to_flag(self, row: int, r: dict) -> observation_batch.ToFlag:
		device = self.device_of.get(row)
		crop_max = None
		if r["metric"] == thresholds.GRAIN_MOISTURE and r.get("lot"):
			crop_max = (self.lots.get(r["lot"]) or {}).get("max_storage_moisture_pct")
		band = thresholds.resolve_band(r["metric"], store.get_site_bands(r["site"]), crop_max)
		state = (
			DeviceState(exists=True, is_active=bool(device.is_active), site=device.site)
			if device
			else DeviceState(exists=False)
		)
		return observation_batch.ToFlag(
			row=row,
			device=r.get("device"),
			metric=r["metric"],
			value=r["value"],
			unit=r["unit"],
			observed_at=r["observed_at"],
			site=r["site"],
			device_state=state,
			band=band,
		)

	def set_aside_duplicates(self, history: dict):
		"""A reading already stored, or sent twice in the batch, is a duplicate (of the first)."""
		stored = {
			(device, metric, s.observed_at): s.name
			for (device, metric), items in history.items()
			for s in items
		}
		unregistered = [row for row, r in self.rows.items() if not r.get("device")]
		if unregistered:
			stored.update(store.stored_unregistered_readings(self.identity(row) for row in unregistered))
		first: dict[tuple, int] = {}
		for row in list(self.rows):
			key = self.identity(row)
			if key in stored:
				self.duplicates[row] = stored[key]
			elif key in first:
				self.duplicates[row] = self.rows[first[key]]["name"]
			else:
				first[key] = row
				continue
			del self.rows[row]

	def identity(self, row: int) -> tuple:
		r = self.rows[row]
		if r.get("device"):
			return (r["device"], r["metric"], r["observed_at"])
		return store.unregistered_key(r["reported_device_id"], r["site"], r["metric"], r["observed_at"])

	def write(self):
		pending = dict(self.rows)
		for _attempt in range(5):
			if not pending:
				return
			values = [self.values(r) for r in pending.values()]
			written = sum(
				insert_rows(values[i : i + ROWS_PER_INSERT]) for i in range(0, len(values), ROWS_PER_INSERT)
			)
			if written == len(pending):
				return
			pending = self.not_written(pending)
		raise frappe.ValidationError(_("Could not name {0} readings; send them again").format(len(pending)))

	def values(self, r: dict) -> list:
		return [
			r["name"],
			self.stamp,
			self.stamp,
			self.user,
			self.user,
			0,
			0,
			*(r.get(column) for column in COLUMNS[7:18]),
			0,
			r["raw_payload"],
		]

	def not_written(self, pending: dict[int, dict]) -> dict[int, dict]:
		"""After a race (a reading stored meanwhile) or a name taken: duplicates are set aside, the rows
		whose name was taken get another one."""
		Obs = frappe.qb.DocType("Observation")
		names = [r["name"] for r in pending.values()]
		mine = set(
			frappe.qb.from_(Obs)
			.select(Obs.name)
			.where(Obs.name.isin(names) & (Obs.creation == self.stamp) & (Obs.owner == self.user))
			.run(pluck=True)
		)
		retry = {}
		for row, r in pending.items():
			if r["name"] in mine:
				continue
			existing = stored_copy(r)
			if existing:
				self.duplicates[row] = existing
				del self.rows[row]
			else:
				r["name"] = make_autoname("hash", "Observation")
				retry[row] = r
		return retry

	def update_rollups(self):
		"""The hours of the readings written, merged in the same transaction (one statement)."""
		rollups.add_readings(self.rows.values())

	def mark_devices_seen(self):
		seen: dict[str, dt.datetime] = {}
		for r in self.rows.values():
			if r.get("device") and r["observed_at"] <= self.now:
				seen[r["device"]] = max(seen.get(r["device"], r["observed_at"]), r["observed_at"])
		store.mark_devices_seen(seen)
		if self.rows:
			frappe.publish_realtime(
				"list_update",
				{"doctype": "Observation", "name": r["name"], "user": self.user},
				after_commit=True,
			)

	def answer(self) -> dict:
		return {
			"accepted": [
				{"row": row, "name": r["name"], "quality_flag": r["quality_flag"]}
				for row, r in sorted(self.rows.items())
			],
			"duplicates": [{"row": row, "name": name} for row, name in sorted(self.duplicates.items())],
			"rejected": [{"row": row, "error": error} for row, error in sorted(self.rejected.items())],
		}


def user_defaults() -> dict:
	"""The links a new Observation of this user starts with (Frappe fills a link from the user's only
	User Permission of that DocType, e.g. a gateway's only site) before the reading is judged."""
	new = frappe.new_doc("Observation", as_dict=True)
	return {field: new[field] for field in ("site", "storage_bin", "lot") if new.get(field)}


def insert_rows(values: list[list]) -> int:
	"""One multi-row insert; a row whose identity (or name) is taken is skipped. The rows written.

	The values are written as SQL literals by column type here (the connection's own string escaping):
	a driver escaping 100,000 values one by one costs more than the insert itself."""
	if not values:
		return 0
	escape = frappe.db._conn.escape_string
	rows = ", ".join("(" + ", ".join(literal(v, escape) for v in row) + ")" for row in values)
	frappe.db.sql(
		f"""insert into `tabObservation` ({", ".join(f"`{c}`" for c in COLUMNS)})
		values {rows}
		on duplicate key update `name` = `name`"""
	)
	return frappe.db._cursor.rowcount


def literal(value, escape) -> str:
	if value is None:
		return "NULL"
	if isinstance(value, str):
		return "'" + escape(value) + "'"
	if isinstance(value, bool | int):
		return str(int(value))
	if isinstance(value, float):  # as the driver writes it: a double, which the column rounds
		text = repr(value)
		return text if "e" in text else text + "e0"
	if isinstance(value, dt.datetime):
		return "'" + value.isoformat(sep=" ") + "'"
	raise TypeError(f"no SQL literal for {type(value).__name__}")
