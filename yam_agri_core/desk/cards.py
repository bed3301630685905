"""Custom number cards: silent devices, calibration due and grain on hand, of the user's sites."""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime, today

from yam_agri_core.desk import scope
from yam_agri_core.rules import dashboards
from yam_agri_core.settings import get_setting

DEVICE = "Device"


def active_sites() -> list[str]:
	return [s.name for s in scope.read("Site", filters={"is_active": 1}, fields=["name"])]


def active_devices_filters() -> list:
	return [
		[DEVICE, "is_active", "=", 1],
		[DEVICE, "site", "in", active_sites() or [""]],
	]


def silent_devices() -> list[dict]:
	"""Active sensors of the user's active sites that sent nothing for their ``stale_after_minutes``."""
	rows = scope.read(
		DEVICE,
		filters=[*active_devices_filters(), [DEVICE, "device_type", "not in", dashboards.NOT_CONTINUOUS]],
		fields=["name", "creation", "stale_after_minutes"],
	)
	seen = last_seen([row.name for row in rows])
	for row in rows:
		row.last_seen_at = seen.get(row.name)
	now = now_datetime()
	return [row for row in rows if dashboards.count_silent([row], now)]


def last_seen(names: list[str]) -> dict:
	"""``last_seen_at`` of devices the user may read (already listed through ``frappe.get_list``).

	Read with ``frappe.qb``: Frappe v15's ``get_list`` drops every field whose name contains
	``_seen`` (it takes ``last_seen_at`` for the optional ``_seen`` column, DatabaseQuery.set_optional_columns).
	"""
	if not names:
		return {}
	Device = frappe.qb.DocType(DEVICE)
	query = frappe.qb.from_(Device).select(Device.name, Device.last_seen_at).where(Device.name.isin(names))
	return dict(query.run())


@frappe.whitelist()
def count_silent_devices(filters: str | list | dict | None = None) -> dict:
	"""Number Card "Silent Devices"."""
	names = [row.name for row in silent_devices()]
	return {
		"value": len(names),
		"fieldtype": "Int",
		"route": ["List", DEVICE],
		"route_options": {"name": ["in", names or [""]]},
	}


def calibration_due_filters() -> list:
	due_until = dashboards.calibration_due_until(
		frappe.utils.getdate(today()), int(get_setting("calibration_lead_days"))
	)
	return [
		*active_devices_filters(),
		[DEVICE, "calibration_due_date", "is", "set"],
		[DEVICE, "calibration_due_date", "<=", due_until],
	]


@frappe.whitelist()
def count_calibration_due(filters: str | list | dict | None = None) -> dict:
	"""Number Card "Calibration Due": due within the lead days of YAM Agri Settings, or overdue."""
	card_filters = calibration_due_filters()
	rows = scope.read(DEVICE, filters=card_filters, fields=["count(*) as n"])
	return {
		"value": int(rows[0].n) if rows else 0,
		"fieldtype": "Int",
		"route": ["List", DEVICE],
		"route_options": {
			"is_active": 1,
			"calibration_due_date": ["<=", str(card_filters[-1][3])],
		},
	}


@frappe.whitelist()
def grain_on_hand(filters: str | list | dict | None = None) -> dict:
	"""Number Card "Grain on Hand (kg)": the available kg of the user's lots that hold grain, as a whole
	number of kilograms shown in full (``show_full_number``) and grouped: "57,200", never "57.200 K".
	A Float (Desk groups thousands of a Float and drops ".000" of a whole one; an Int is not grouped)."""
	rows = scope.read(
		"Lot",
		filters=[["Lot", "status", "not in", list(dashboards.LOT_STATUSES_OFF_HAND)]],
		fields=["sum(available_qty_kg) as kg"],
	)
	return {
		"value": round(float(rows[0].kg or 0)) if rows else 0,
		"fieldtype": "Float",
		"route": ["List", "Lot"],
		"route_options": {"status": ["not in", list(dashboards.LOT_STATUSES_OFF_HAND)]},
	}
