"""Lookups of the app's records, one home per entity.

Controllers, permission hooks, the API and the jobs read devices, sites, bins, lots, crops and Season
Policies through these functions instead of each calling ``frappe.db.get_value`` on its own. Reads
here check no permission: they serve rules that judge the data (the caller has already checked what
the user may do).

Inside :func:`memoized` (a batch of gateway readings, an import) each record is read once: the block
is one request's worth of work, and records change within it only through their controllers, whose
``on_update`` calls the matching ``forget_*``. Outside the block every call reads the database, so a
test or a job never sees a stale value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import frappe

from yam_agri_core.rules import dispatch, thresholds
from yam_agri_core.rules.observation_batch import HistoryNeed, Pair, Stored
from yam_agri_core.rules.transfer_reversal import LaterUse

_SCOPE = "yam_agri_store_scope"
BANDS_CACHE_KEY = "yam_agri_site_bands"

#: What a reading's rules need of its device; none of it changes while readings arrive.
DEVICE_FIELDS = ("name", "site", "storage_bin", "is_active", "device_type", "stale_after_minutes")


# --- memoisation -----------------------------------------------------------------------------------


@contextmanager
def memoized() -> Iterator[None]:
	"""Read each record once within the block (nested blocks share the outer one's memo)."""
	if getattr(frappe.local, _SCOPE, None) is not None:
		yield
		return
	setattr(frappe.local, _SCOPE, {})
	try:
		yield
	finally:
		setattr(frappe.local, _SCOPE, None)


def _remembered(kind: str, key: object, load: Callable[[], Any]) -> Any:
	scope = getattr(frappe.local, _SCOPE, None)
	if scope is None:
		return load()
	bucket = scope.setdefault(kind, {})
	if key not in bucket:
		bucket[key] = load()
	return bucket[key]


def _forget(kind: str, key: object) -> None:
	scope = getattr(frappe.local, _SCOPE, None)
	if scope is not None:
		scope.get(kind, {}).pop(key, None)


# --- devices ---------------------------------------------------------------------------------------


def get_device(name: str | None) -> frappe._dict | None:
	"""The device's site, bin, state and type, or ``None`` when no such device is registered."""
	if not name:
		return None
	return _remembered(
		"device", name, lambda: frappe.db.get_value("Device", name, DEVICE_FIELDS, as_dict=True)
	)


def device_exists(name: str | None) -> bool:
	return get_device(name) is not None


def site_of_device(name: str | None) -> str | None:
	device = get_device(name)
	return device.site if device else None


def device_last_seen(name: str):
	"""When the device last reported (never memoised: every reading moves it)."""
	return frappe.db.get_value("Device", name, "last_seen_at")


def mark_device_seen(name: str, observed_at) -> None:
	frappe.db.set_value("Device", name, "last_seen_at", observed_at, update_modified=False)


def forget_device(name: str) -> None:
	_forget("device", name)


def get_devices(names: Iterable[str]) -> dict[str, frappe._dict | None]:
	""":func:`get_device` of many names in one query (``None`` for a name not registered). A name is
	matched as the database matches it (case and trailing blanks aside); the row carries its own."""
	names = {n for n in names if n}
	scope = getattr(frappe.local, _SCOPE, None)
	known = scope.setdefault("device", {}) if scope is not None else {}
	missing = [n for n in names if n not in known]
	found = {}
	if missing:
		Device = frappe.qb.DocType("Device")
		rows = (
			frappe.qb.from_(Device).select(*DEVICE_FIELDS).where(Device.name.isin(missing)).run(as_dict=True)
		)
		by_key = {_db_key(row.name): row for row in rows}
		found = {n: by_key.get(_db_key(n)) for n in missing}
		known.update(found)
	return {n: known[n] if n in known else found[n] for n in names}


def mark_devices_seen(seen: dict[str, object]) -> None:
	"""Move each device's ``last_seen_at`` forward to its time in ``seen`` (never back), in one query."""
	if not seen:
		return
	values = " union all ".join(["select %s as name, cast(%s as datetime(6)) as seen_at"] * len(seen))
	params = [v for item in seen.items() for v in item]
	frappe.db.sql(
		f"""update `tabDevice` d join ({values}) s on d.name = s.name
		set d.last_seen_at = s.seen_at
		where d.last_seen_at is null or d.last_seen_at < s.seen_at""",
		params,
	)
	for name in seen:
		frappe.clear_document_cache("Device", name)


def _db_key(name: str) -> str:
	return name.lower().rstrip(" ")


# --- sites -----------------------------------------------------------------------------------------


def band_from_row(row) -> thresholds.Band:
	"""A Site Observation Threshold row (a document or a dict) as a band."""
	return thresholds.band_with_defaults(
		row.metric,
		valid_min=row.valid_min,
		valid_max=row.valid_max,
		critical_min=row.critical_min,
		critical_max=row.critical_max,
		stuck_repeat_count=row.stuck_repeat_count,
		max_jump=row.max_jump,
	)


def get_site_bands(site: str) -> dict[str, thresholds.Band]:
	"""The site's own threshold bands by metric (in the cache; cleared when the site is saved)."""
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


def site_scale_tolerance(site: str | None) -> float | None:
	"""The site's scale tolerance (0 % included), or ``None`` for no such site."""
	if not site:
		return None
	return _remembered(
		"site_tolerance", site, lambda: frappe.db.get_value("Site", site, "scale_tolerance_pct")
	)


def existing_sites(names: Iterable[str]) -> dict[str, str]:
	"""The registered Site of each of ``names`` that is one (its name as the database spells it)."""
	names = {n for n in names if n}
	if not names:
		return {}
	Site = frappe.qb.DocType("Site")
	found = {
		_db_key(n): n
		for n in frappe.qb.from_(Site).select(Site.name).where(Site.name.isin(names)).run(pluck=True)
	}
	return {n: found[_db_key(n)] for n in names if _db_key(n) in found}


def forget_site(name: str) -> None:
	frappe.cache.hdel(BANDS_CACHE_KEY, name)
	_forget("site_tolerance", name)


def site_of(doctype: str, name: str) -> str | None:
	"""The ``site`` of a site-bearing record (a Site is its own site)."""
	if doctype == "Site":
		return name if frappe.db.exists("Site", name) else None
	if doctype == "Device":
		return site_of_device(name)
	return _remembered(("site_of", doctype), name, lambda: frappe.db.get_value(doctype, name, "site"))


# --- bins, lots and crops ----------------------------------------------------------------------------


def current_lot_of_bin(storage_bin: str | None) -> str | None:
	"""The lot in the bin now (never memoised: grain moves in and out)."""
	if not storage_bin:
		return None
	return frappe.db.get_value("Storage Bin", storage_bin, "current_lot")


def crop_of_lot(lot: str | None) -> str | None:
	if not lot:
		return None
	return _remembered("lot_crop", lot, lambda: frappe.db.get_value("Lot", lot, "crop"))


def bins_with_lots(bins: Iterable[str]) -> dict[str, frappe._dict]:
	"""Each bin's site and the lot in it now (never memoised), in one query."""
	bins = {b for b in bins if b}
	if not bins:
		return {}
	Bin = frappe.qb.DocType("Storage Bin")
	rows = (
		frappe.qb.from_(Bin)
		.select(Bin.name, Bin.site, Bin.current_lot)
		.where(Bin.name.isin(bins))
		.run(as_dict=True)
	)
	return {row.name: row for row in rows}


def lots_with_crops(lots: Iterable[str]) -> dict[str, frappe._dict]:
	"""Each lot's site, crop and the crop's maximum storage moisture, in one query."""
	lots = {lot for lot in lots if lot}
	if not lots:
		return {}
	Lot, Crop = frappe.qb.DocType("Lot"), frappe.qb.DocType("Crop")
	rows = (
		frappe.qb.from_(Lot)
		.left_join(Crop)
		.on(Crop.name == Lot.crop)
		.select(Lot.name, Lot.site, Lot.crop, Crop.max_storage_moisture_pct)
		.where(Lot.name.isin(lots))
		.run(as_dict=True)
	)
	return {row.name: row for row in rows}


def declared_qty_of_lot(lot: str | None) -> float | None:
	return frappe.db.get_value("Lot", lot, "declared_qty_kg") if lot else None


def crop_max_moisture(crop: str | None) -> float | None:
	if not crop:
		return None
	return _remembered(
		"crop_moisture", crop, lambda: frappe.db.get_value("Crop", crop, "max_storage_moisture_pct")
	)


def forget_crop(name: str) -> None:
	_forget("crop_moisture", name)


def forget_lot(name: str) -> None:
	_forget("lot_crop", name)
	_forget(("site_of", "Lot"), name)


# --- readings ---------------------------------------------------------------------------------------

_READING_COLUMNS = "`name`, `device`, `metric`, `value`, `observed_at`, `quality_flag`"


def reading_history(needs: dict[Pair, HistoryNeed]) -> dict[Pair, list[Stored]]:
	"""What each (device, metric) pair's readings need of the stored ones (see ``HistoryNeed``), in one
	query; the (device, metric, observed_at) index answers every part of it."""
	parts, params = [], []
	for (device, metric), need in needs.items():
		where = "`device` = %s and `metric` = %s and "
		parts.append(
			f"(select {_READING_COLUMNS} from `tabObservation` where {where}`observed_at` between %s and %s)"
		)
		params += [device, metric, need.first_at, need.last_at]
		if need.before:
			parts.append(
				f"(select {_READING_COLUMNS} from `tabObservation` where {where}`observed_at` < %s "
				f"order by `observed_at` desc limit {int(need.before)})"
			)
			params += [device, metric, need.first_at]
		if need.window_minutes:
			parts.append(
				f"(select {_READING_COLUMNS} from `tabObservation` where {where}`observed_at` < %s "
				"and `observed_at` >= %s and `quality_flag` != 'Quarantine' order by `observed_at` desc limit 1)"
			)
			params += [
				device,
				metric,
				need.first_at,
				need.first_at - dt.timedelta(minutes=need.window_minutes),
			]
	history: dict[Pair, dict[str, Stored]] = {pair: {} for pair in needs}
	pairs = {(_db_key(device), metric): (device, metric) for device, metric in needs}
	if parts:
		for name, device, metric, value, observed_at, flag in frappe.db.sql(
			" union all ".join(parts), params
		):
			history[pairs[(_db_key(device), metric)]][name] = Stored(value, observed_at, flag, name)
	return {pair: list(rows.values()) for pair, rows in history.items()}


def stored_unregistered_readings(keys: Iterable[tuple]) -> dict[tuple, str]:
	"""Stored readings of devices that are not registered, by :func:`unregistered_key` of the
	(reported device id, site, metric, observed_at) ``keys``: their names."""
	keys = list(set(keys))
	found = {}
	for start in range(0, len(keys), 500):
		chunk = keys[start : start + 500]
		where = " or ".join(
			["(`reported_device_id` = %s and `site` = %s and `metric` = %s and `observed_at` = %s)"]
			* len(chunk)
		)
		rows = frappe.db.sql(
			f"""select `name`, `reported_device_id`, `site`, `metric`, `observed_at` from `tabObservation`
			where `device` is null and ({where})""",
			[v for key in chunk for v in key],
		)
		found.update({unregistered_key(*r[1:]): r[0] for r in rows})
	return found


def unregistered_key(reported_device_id: str, site: str, metric: str, observed_at) -> tuple:
	"""The identity of a reading of a device that is not registered, as the unique index compares it."""
	return (_db_key(reported_device_id), _db_key(site), metric, observed_at)


# --- lot transfers -----------------------------------------------------------------------------------


def transfers_using(lots: Iterable[str], exclude: str = "") -> list[LaterUse]:
	"""Submitted transfers other than ``exclude`` that list any of ``lots`` (as source or destination)."""
	lots = list(lots)
	if not lots:
		return []
	uses = []
	for child in ("Lot Transfer Source", "Lot Transfer Destination"):
		Row = frappe.qb.DocType(child)
		rows = (
			frappe.qb.from_(Row)
			.select(Row.lot, Row.parent)
			.where(Row.lot.isin(lots) & (Row.docstatus == 1) & (Row.parent != exclude))
			.where(Row.parenttype == "Lot Transfer")
			.orderby(Row.parent)
			.run(as_dict=True)
		)
		uses.extend(LaterUse(lot=row.lot, transfer=row.parent) for row in rows)
	return uses


def submitted_transfer_of_lot(lot: str) -> str | None:
	"""A submitted transfer that took grain from or put grain into ``lot``, if any."""
	uses = transfers_using([lot])
	return uses[0].transfer if uses else None


# --- Season Policies -----------------------------------------------------------------------------------


def get_active_policy(crop: str | None, season: str | None) -> dispatch.Policy | None:
	"""The active Season Policy of ``crop`` and ``season``, as the dispatch gate reads it (global
	reference data, read without a permission check)."""
	if not crop or not season:
		return None
	name = frappe.db.get_value("Season Policy", {"crop": crop, "season": season, "is_active": 1}, "name")
	if not name:
		return None
	policy = frappe.get_doc("Season Policy", name)
	return dispatch.Policy(
		name=policy.name,
		mandatory_tests=tuple(row.test_type for row in policy.mandatory_tests),
		mandatory_certificates=tuple(row.cert_type for row in policy.mandatory_certificates),
		max_test_age_days=policy.max_test_age_days or 0,
	)
