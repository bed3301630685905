"""Factories for integration tests (real Frappe; each test class rolls back its records)."""

from __future__ import annotations

import threading

import frappe
from frappe.permissions import add_user_permission
from frappe.utils import add_to_date, now_datetime, today

#: ERPNext and Frappe masters our DocTypes link to: Frappe's test runner would build their test
#: records (companies, charts of accounts, customers...) that these tests do not need. Imported by every
#: test module.
TEST_IGNORE = ["Company", "Warehouse", "Supplier", "Customer", "User"]


def unique(prefix: str) -> str:
	return f"{prefix}-{frappe.generate_hash(length=6).upper()}"


def make_site(code: str | None = None, **kwargs):
	doc = frappe.get_doc(
		{
			"doctype": "Site",
			"site_code": code or unique("TST"),
			"site_name": kwargs.pop("site_name", "Test Silo"),
			"site_type": kwargs.pop("site_type", "Silo"),
			"governorate": "Ta'iz",
			**kwargs,
		}
	)
	return doc.insert(ignore_permissions=True)


def make_bin(site: str, code: str = "B1", **kwargs):
	return frappe.get_doc(
		{
			"doctype": "Storage Bin",
			"site": site,
			"bin_code": code,
			"bin_type": "Silo",
			"capacity_kg": 50000,
			**kwargs,
		}
	).insert(ignore_permissions=True)


def ensure_crop(name: str = "Wheat"):
	if not frappe.db.exists("Crop", name):
		frappe.get_doc({"doctype": "Crop", "crop_name": name, "max_storage_moisture_pct": 14}).insert(
			ignore_permissions=True
		)
	return name


def make_lot(site: str, qty: float = 3000, **kwargs):
	return frappe.get_doc(
		{
			"doctype": "Lot",
			"lot_type": "Harvest",
			"site": site,
			"crop": ensure_crop(),
			"season": "2026-Spring",
			"declared_qty_kg": qty,
			**kwargs,
		}
	).insert(ignore_permissions=True)


def make_device(site: str, device_type: str = "Temperature Sensor", **kwargs):
	return frappe.get_doc(
		{"doctype": "Device", "device_id": unique("DEV"), "device_type": device_type, "site": site, **kwargs}
	).insert(ignore_permissions=True)


def make_ticket(site: str, gross: float, tare: float, expected: float | None = None, submit=False, **kwargs):
	doc = frappe.get_doc(
		{
			"doctype": "Scale Ticket",
			"site": site,
			"ticket_no": unique("T"),
			"direction": "Inbound",
			"gross_kg": gross,
			"tare_kg": tare,
			"expected_net_kg": expected,
			**kwargs,
		}
	).insert(ignore_permissions=True)
	if submit:
		doc.submit()
	return doc


def make_reading(
	device: str, value: float, metric: str = "Temperature", unit: str = "°C", minutes_ago: float = 1, **kw
):
	return frappe.get_doc(
		{
			"doctype": "Observation",
			"device": device,
			"metric": metric,
			"value": value,
			"unit": unit,
			"observed_at": add_to_date(now_datetime(), minutes=-minutes_ago),
			**kw,
		}
	).insert(ignore_permissions=True)


def make_certificate(site: str, days_to_expiry: int = 365, **kwargs):
	return frappe.get_doc(
		{
			"doctype": "Certificate",
			"cert_type": "HACCP",
			"certificate_no": unique("C"),
			"issuing_body": "Yemen Standardization Metrology and Quality Control Organization",
			"site": site,
			"issue_date": add_to_date(today(), years=-1),
			"expiry_date": add_to_date(today(), days=days_to_expiry),
			**kwargs,
		}
	).insert(ignore_permissions=True)


def make_nc(site: str, severity: str = "Major", **kwargs):
	return frappe.get_doc(
		{
			"doctype": "Nonconformance",
			"nc_type": "Other",
			"severity": severity,
			"site": site,
			"description": "Test nonconformance",
			**kwargs,
		}
	).insert(ignore_permissions=True)


def make_user(roles: list[str], sites: list[str] = (), prefix: str = "user") -> str:
	email = f"{prefix}-{frappe.generate_hash(length=8)}@yam-test.example"
	frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": prefix,
			"send_welcome_email": 0,
			"roles": [{"role": role} for role in roles],
		}
	).insert(ignore_permissions=True)
	for site in sites:
		add_user_permission("Site", site, email, ignore_permissions=True)
	return email


def make_qc_test(lot: str, test_type: str = "Moisture", value: float | None = 12.0, submit=True, **kwargs):
	"""A QC Test of ``lot`` (submitted unless ``submit=False``); site, crop and season come from the lot."""
	doc = frappe.get_doc(
		{
			"doctype": "QC Test",
			"lot": lot,
			"test_type": test_type,
			"value": value,
			"test_date": kwargs.pop("test_date", today()),
			"lab": kwargs.pop("lab", "YSMO Ta'iz Lab"),
			**kwargs,
		}
	).insert(ignore_permissions=True)
	if submit:
		doc.submit()
	return doc


def make_season_policy(
	crop: str,
	season: str,
	tests: list[str] = (),
	certificates: list[str] = (),
	max_test_age_days: int = 90,
	**kwargs,
):
	return frappe.get_doc(
		{
			"doctype": "Season Policy",
			"crop": crop,
			"season": season,
			"max_test_age_days": max_test_age_days,
			"mandatory_tests": [{"test_type": t} for t in tests],
			"mandatory_certificates": [{"cert_type": c} for c in certificates],
			**kwargs,
		}
	).insert(ignore_permissions=True)


def make_transfer(
	site: str,
	transfer_type: str,
	sources: list[tuple[str, float]],
	destinations: list[tuple[str | None, float] | dict],
	loss: float = 0.0,
	submit: bool = True,
	**kwargs,
):
	"""A Lot Transfer of ``site``: ``sources`` are (lot, kg); ``destinations`` are (lot or None for a new
	lot, kg) or row dicts (``new_lot_site``, ``storage_bin``, ``lot_type``...). Submitted unless told."""
	rows = [d if isinstance(d, dict) else {"lot": d[0], "qty_kg": d[1]} for d in destinations]
	doc = frappe.get_doc(
		{
			"doctype": "Lot Transfer",
			"transfer_type": transfer_type,
			"site": site,
			"source_lots": [{"lot": lot, "qty_kg": qty} for lot, qty in sources],
			"destination_lots": rows,
			"process_loss_kg": loss,
			"loss_reason": kwargs.pop("loss_reason", "Cleaning and dust" if loss else None),
			**kwargs,
		}
	)
	doc.insert(ignore_permissions=True)
	if submit:
		doc.submit()
	return doc


def make_stored_lot(site: str, qty: float = 5000, **kwargs):
	"""A lot that holds grain (In Storage), ready to be transferred."""
	return make_lot(site, qty, status=kwargs.pop("status", "In Storage"), **kwargs)


def in_connections(functions: list) -> list:
	"""Run each function in a thread of its own with its own database connection, committed."""
	site = frappe.local.site
	results: list = [None] * len(functions)
	errors: list[BaseException] = []

	def run(i, fn):
		try:
			frappe.init(site=site)
			frappe.connect()
			results[i] = fn()
			frappe.db.commit()
		except BaseException as e:
			errors.append(e)
		finally:
			frappe.destroy()

	threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(functions)]
	for t in threads:
		t.start()
	for t in threads:
		t.join(timeout=120)
	if errors:
		raise errors[0]
	return results
