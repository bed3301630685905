"""The master records the reading benchmarks seed (a silo site and its temperature sensors), made once and
reused by later runs. Imported by the benchmark scripts run from their own folder."""

from __future__ import annotations

import frappe


def ensure_site(site: str) -> None:
	if not frappe.db.exists("Site", site):
		frappe.get_doc(
			{
				"doctype": "Site",
				"site_code": site,
				"site_name": site,
				"site_type": "Silo",
				"governorate": "Ta'iz",
			}
		).insert(ignore_permissions=True)


def ensure_sensors(site: str, prefix: str, count: int) -> list[str]:
	"""``count`` temperature sensors of ``site`` named ``<site>-<prefix>NN``; their names (= device ids)."""
	devices = []
	for i in range(count):
		device_id = f"{site}-{prefix}{i:02d}"
		if not frappe.db.exists("Device", device_id):
			frappe.get_doc(
				{
					"doctype": "Device",
					"device_id": device_id,
					"device_type": "Temperature Sensor",
					"site": site,
				}
			).insert(ignore_permissions=True)
		devices.append(device_id)
	return devices
