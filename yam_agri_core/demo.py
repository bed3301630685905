"""Demo data: a small, realistic Yemeni dataset so a newcomer sees a living Desk.

    bench --site SITE execute yam_agri_core.demo.make_demo_data

Idempotent: running it again adds nothing that is already there.
"""

from __future__ import annotations

import frappe
from frappe.permissions import add_user_permission
from frappe.utils import add_days, add_to_date, now_datetime, today

from yam_agri_core.permissions import ISOLATED_DOCTYPES

SITES = (
	# code, name, Arabic name, type, governorate, tolerance
	("YEM-TAI-SILO-01", "Ta'iz Central Silo", "صومعة تعز المركزية", "Silo", "Ta'iz", 2.0),
	("YEM-SAN-FARM-01", "Bani Hushaysh Farm", "مزرعة بني حشيش", "Farm", "Sana'a", 2.0),
	("YEM-HOD-STORE-01", "Hodeidah Port Store", "مخزن ميناء الحديدة", "Store", "Al Hudaydah", 1.5),
)
BINS = (
	("YEM-TAI-SILO-01", "S1", "Silo", 250000),
	("YEM-TAI-SILO-01", "S2", "Silo", 250000),
	("YEM-SAN-FARM-01", "F1", "Flat Store", 40000),
	("YEM-HOD-STORE-01", "W1", "Flat Store", 120000),
)
DEVICES = (
	# device_id, type, site, bin
	("TAI-S1-TEMP", "Temperature Sensor", "YEM-TAI-SILO-01", "S1"),
	("TAI-S1-RH", "Humidity Sensor", "YEM-TAI-SILO-01", "S1"),
	("TAI-S2-TEMP", "Temperature Sensor", "YEM-TAI-SILO-01", "S2"),
	("TAI-S2-CO2", "CO2 Sensor", "YEM-TAI-SILO-01", "S2"),
	("TAI-SCALE-1", "Scale", "YEM-TAI-SILO-01", None),
	("SAN-F1-MOIST", "Moisture Sensor", "YEM-SAN-FARM-01", "F1"),
	("HOD-W1-TEMP", "Temperature Sensor", "YEM-HOD-STORE-01", "W1"),
	("HOD-SCALE-1", "Scale", "YEM-HOD-STORE-01", None),
)
LOTS = (
	# key, site, bin, crop, variety, type, status, qty, days since harvest
	("wheat-tai", "YEM-TAI-SILO-01", "S1", "Wheat", "Bohooth 13", "Storage", "In Storage", 30000, 40),
	(
		"sorghum-tai",
		"YEM-TAI-SILO-01",
		"S2",
		"Sorghum",
		"Red Sorghum (Dhurah)",
		"Storage",
		"Received",
		18000,
		25,
	),
	("wheat-san", "YEM-SAN-FARM-01", "F1", "Wheat", "Yemeni Bayadi", "Harvest", "Draft", 3000, 3),
	("barley-hod", "YEM-HOD-STORE-01", "W1", "Barley", "Local Barley", "Shipment", "Received", 12000, 60),
)
USERS = (
	# email, first name, role profile, sites
	(
		"qa@yam-demo.example",
		"Amal (QA)",
		"YAM QA Manager",
		("YEM-TAI-SILO-01", "YEM-SAN-FARM-01", "YEM-HOD-STORE-01"),
	),
	("silo.taiz@yam-demo.example", "Khaled (Silo Ta'iz)", "YAM Silo Operator", ("YEM-TAI-SILO-01",)),
	("farm.sanaa@yam-demo.example", "Saleh (Farm)", "YAM Farm Supervisor", ("YEM-SAN-FARM-01",)),
	(
		"owner@yam-demo.example",
		"Yasser (Owner)",
		"YAM Platform Owner",
		("YEM-TAI-SILO-01", "YEM-SAN-FARM-01", "YEM-HOD-STORE-01"),
	),
	("auditor@yam-demo.example", "Auditor", "YAM Auditor", ("YEM-TAI-SILO-01",)),
	("gateway.taiz@yam-demo.example", "Ta'iz Gateway", "YAM Sensor Gateway", ("YEM-TAI-SILO-01",)),
)


def make_demo_data() -> dict:
	"""Create (or complete) the demo dataset and return what it counts."""
	frappe.only_for("System Manager")
	from yam_agri_core.setup.install import ensure_default_crops

	ensure_default_crops()
	for code, name, name_ar, site_type, governorate, tolerance in SITES:
		_ensure(
			"Site",
			code,
			site_code=code,
			site_name=name,
			site_name_ar=name_ar,
			site_type=site_type,
			governorate=governorate,
			scale_tolerance_pct=tolerance,
		)
	for site, code, bin_type, capacity in BINS:
		_ensure(
			"Storage Bin", f"{site}-{code}", site=site, bin_code=code, bin_type=bin_type, capacity_kg=capacity
		)
	for device_id, device_type, site, bin_code in DEVICES:
		_ensure(
			"Device",
			device_id,
			device_id=device_id,
			device_type=device_type,
			site=site,
			storage_bin=f"{site}-{bin_code}" if bin_code else None,
			last_calibration_date=add_days(today(), -170),
			calibration_due_date=add_days(today(), 5 if device_id == "TAI-SCALE-1" else 190),
		)
	lots = {key: _ensure_lot(key, *rest) for key, *rest in LOTS}
	_make_tickets(lots)
	_make_readings()
	_make_certificates(lots)
	_make_nonconformances(lots)
	_make_users()
	return {doctype: frappe.db.count(doctype) for doctype in ISOLATED_DOCTYPES}


def _ensure(doctype: str, name: str, **values):
	if frappe.db.exists(doctype, name):
		return frappe.get_doc(doctype, name)
	return frappe.get_doc({"doctype": doctype, **values}).insert()


def _ensure_lot(key, site, bin_code, crop, variety, lot_type, status, qty, days_since_harvest) -> str:
	marker = f"demo:{key}"
	existing = frappe.db.get_value("Lot", {"notes": marker}, "name")
	if existing:
		return existing
	lot = frappe.get_doc(
		{
			"doctype": "Lot",
			"lot_type": lot_type,
			"site": site,
			"storage_bin": f"{site}-{bin_code}",
			"crop": crop,
			"variety": variety,
			"season": "2026-Spring",
			"declared_qty_kg": qty,
			"harvest_date": add_days(today(), -days_since_harvest),
			"receipt_date": add_days(today(), -days_since_harvest + 2) if status != "Draft" else None,
			"notes": marker,
		}
	).insert()
	for step in ("Received", "In Storage"):
		if lot.status == status:
			break
		lot.status = step
		lot.save()
	frappe.db.set_value("Storage Bin", lot.storage_bin, {"current_lot": lot.name, "status": "In Use"})
	return lot.name


#: site, ticket_no, lot key, scale, gross, tare, expected, vehicle, driver
# fmt: off
TICKETS = (
	("YEM-TAI-SILO-01", "TZ-000101", "wheat-tai", "TAI-SCALE-1", 24150, 9150, 15000, "TAI 4-23817", "Mohammed Al-Hakimi"),
	("YEM-TAI-SILO-01", "TZ-000102", "wheat-tai", "TAI-SCALE-1", 24020, 9000, 15000, "TAI 4-19020", "Ali Saeed"),
	("YEM-TAI-SILO-01", "TZ-000103", "sorghum-tai", "TAI-SCALE-1", 20300, 8100, 18000, "IBB 2-55410", "Fuad Qasim"),
	("YEM-HOD-STORE-01", "HD-7781", "barley-hod", "HOD-SCALE-1", 21950, 9900, 12000, "HOD 1-90311", "Hassan Bajash"),
)
# fmt: on


def _make_tickets(lots: dict[str, str]) -> None:
	for site, ticket_no, lot_key, device, gross, tare, expected, vehicle, driver in TICKETS:
		if frappe.db.exists("Scale Ticket", {"site": site, "ticket_no": ticket_no, "docstatus": ("<", 2)}):
			continue
		frappe.get_doc(
			{
				"doctype": "Scale Ticket",
				"site": site,
				"ticket_no": ticket_no,
				"lot": lots[lot_key],
				"device": device,
				"direction": "Inbound",
				"ticket_datetime": add_to_date(now_datetime(), days=-3),
				"vehicle": vehicle,
				"driver": driver,
				"gross_kg": gross,
				"tare_kg": tare,
				"expected_net_kg": expected,
			}
		).insert().submit()


def _make_readings() -> None:
	"""A day of readings every 30 minutes, with a hot spell in silo S2 and a stuck humidity probe."""
	series = {
		"TAI-S1-TEMP": ("Temperature", "°C", lambda i: 22 + (i % 12) * 0.35),
		"TAI-S1-RH": ("Humidity", "%", lambda i: 55.0 if i > 24 else 52 + (i % 5)),
		"TAI-S2-TEMP": ("Temperature", "°C", lambda i: 24 + i * 0.42 if i > 30 else 24 + (i % 6) * 0.2),
		"TAI-S2-CO2": ("CO2", "ppm", lambda i: 600 + i * 30),
		"SAN-F1-MOIST": ("Grain Moisture", "%", lambda i: 13.2 + (i % 8) * 0.1),
		"HOD-W1-TEMP": ("Temperature", "°C", lambda i: 31 + (i % 4) * 0.5),
	}
	start = add_to_date(now_datetime(), hours=-24)
	for device, (metric, unit, value_at) in series.items():
		if frappe.db.exists("Observation", {"device": device}):
			continue
		for i in range(48):
			frappe.get_doc(
				{
					"doctype": "Observation",
					"device": device,
					"metric": metric,
					"unit": unit,
					"value": round(value_at(i), 2),
					"observed_at": add_to_date(start, minutes=30 * i),
				}
			).insert()


def _make_certificates(lots: dict[str, str]) -> None:
	certificates = (
		# number, type, body, site, lot, days to expiry
		(
			"YSMO-HACCP-2025-114",
			"HACCP",
			"Yemen Standardization, Metrology and Quality Control Organization",
			"YEM-TAI-SILO-01",
			None,
			20,
		),
		("GAP-SAN-0452", "FAO GAP", "FAO Yemen Country Office", "YEM-SAN-FARM-01", None, 240),
		(
			"PHY-HOD-2026-0031",
			"Phytosanitary",
			"Ministry of Agriculture, Plant Protection",
			"YEM-HOD-STORE-01",
			lots["barley-hod"],
			12,
		),
		("ISO22K-TAI-019", "ISO 22000", "Bureau Veritas", "YEM-TAI-SILO-01", None, -3),
	)
	for number, cert_type, body, site, lot, days in certificates:
		if frappe.db.exists("Certificate", {"certificate_no": number}):
			continue
		frappe.get_doc(
			{
				"doctype": "Certificate",
				"cert_type": cert_type,
				"certificate_no": number,
				"issuing_body": body,
				"site": site,
				"lot": lot,
				"issue_date": add_days(today(), days - 365),
				"expiry_date": add_days(today(), days),
			}
		).insert()


def _make_nonconformances(lots: dict[str, str]) -> None:
	marker = "demo: insect activity"
	if frappe.db.exists("Nonconformance", {"description": ("like", f"%{marker}%")}):
		return
	frappe.get_doc(
		{
			"doctype": "Nonconformance",
			"nc_type": "Sensor Alert",
			"severity": "Critical",
			"site": "YEM-TAI-SILO-01",
			"lot": lots["sorghum-tai"],
			"description": f"Rising CO2 and temperature in silo S2 suggest insect activity ({marker}).",
		}
	).insert()


def _make_users() -> None:
	for email, first_name, profile, sites in USERS:
		if not frappe.db.exists("User", email):
			frappe.get_doc(
				{
					"doctype": "User",
					"email": email,
					"first_name": first_name,
					"send_welcome_email": 0,
					"role_profile_name": profile,
					"language": "ar" if "gateway" not in email else "en",
				}
			).insert()
		for site in sites:
			if not frappe.db.exists("User Permission", {"user": email, "allow": "Site", "for_value": site}):
				add_user_permission("Site", site, email)
