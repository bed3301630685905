"""The seven Desk reports (issue 10 part 2): rows and totals against known fixtures, and site
isolation (a user of another site and a user with no grant get no rows)."""

from __future__ import annotations

import datetime as dt

import frappe
from frappe.desk.query_report import run
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_to_date, getdate, now_datetime, today

from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	make_bin,
	make_certificate,
	make_device,
	make_lot,
	make_nc,
	make_reading,
	make_site,
	make_ticket,
	make_user,
)

test_ignore = TEST_IGNORE

PERSONAS = ["Site Operator", "Quality Manager", "Platform Owner", "Auditor"]
REPORTS = (
	"Certificate Register",
	"Nonconformance Ageing",
	"Quarantine Review",
	"Scale Ticket Mismatches",
	"Lot Stock",
	"Device Health",
	"User Access Audit",
)
WIDE = {"from_date": "2000-01-01", "to_date": "2099-12-31"}


def backdate(doctype: str, name: str, **values) -> None:
	frappe.db.set_value(doctype, name, values, update_modified=False)


def world(site: str) -> dict:
	"""Known records of every kind on ``site``."""
	out = {"bin1": make_bin(site, "R1").name, "bin2": make_bin(site, "R2").name}
	lot1 = make_lot(site, 3000, storage_bin=out["bin1"]).name
	lot2 = make_lot(site, 2000, storage_bin=out["bin1"]).name
	shipped = make_lot(site, 1000, storage_bin=out["bin2"]).name
	backdate("Lot", shipped, status="Shipped", available_qty_kg=0)
	out["lots"] = (lot1, lot2, shipped)
	# tickets: one short mismatch (opens its NC), one clean, one mismatch cancelled
	out["mismatch"] = make_ticket(site, 14200, 12000, 3000, lot=lot1, submit=True).name
	out["clean"] = make_ticket(site, 15000, 12000, 3000, submit=True).name
	cancelled = make_ticket(site, 14000, 12000, 3000, submit=True)
	cancelled.cancel()
	# certificates: expiring in 20 days, expired 5 days ago, active, revoked
	out["expiring"] = make_certificate(site, 20).name
	out["expired"] = make_certificate(site, -5).name
	out["active"] = make_certificate(site, 200).name
	out["revoked"] = make_certificate(site, 100).name
	backdate("Certificate", out["revoked"], status="Revoked", revocation_reason="Test")
	# nonconformances: opened 40 days ago and 10 days overdue, opened today, closed
	old = make_nc(site, "Critical", nc_type="Other").name
	backdate("Nonconformance", old, creation=add_days(now_datetime(), -40), due_date=add_days(today(), -10))
	out["old_nc"], out["new_nc"] = old, make_nc(site, "Minor", nc_type="Other").name
	closed = make_nc(site, "Minor", nc_type="Other").name
	backdate("Nonconformance", closed, status="Closed")
	# devices: a hot sensor with quarantined readings on two days; health cases
	hot = make_device(site, storage_bin=out["bin1"]).name
	# two and three days ago (never within the last 24 hours); 22 °C is Valid
	two_days_ago = dt.datetime.combine(getdate(add_days(today(), -2)), dt.time(10))
	make_reading(hot, 36, observed_at=two_days_ago)
	make_reading(hot, 2, observed_at=two_days_ago + dt.timedelta(hours=1))
	make_reading(hot, 22, observed_at=two_days_ago + dt.timedelta(hours=2))
	make_reading(hot, 41, observed_at=two_days_ago - dt.timedelta(days=1))
	out["hot"] = hot
	out["due_soon"] = make_device(site, calibration_due_date=add_days(today(), 3)).name
	out["overdue"] = make_device(
		site, last_calibration_date=add_days(today(), -400), calibration_due_date=add_days(today(), -1)
	).name
	out["quiet"] = make_device(site).name
	backdate("Device", out["quiet"], last_seen_at=None, creation=add_to_date(now_datetime(), hours=-2))
	out["recent"] = make_reading(out["due_soon"], 45, minutes_ago=2).observed_at
	for device in (hot, out["due_soon"], out["overdue"]):
		backdate("Device", device, last_seen_at=add_to_date(now_datetime(), minutes=-5))
	return out


class TestDeskReports(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site_a, cls.site_b = make_site().name, make_site().name
		cls.a, cls.b = world(cls.site_a), world(cls.site_b)
		cls.user_a = make_user(PERSONAS, [cls.site_a], "rep-a")
		cls.user_b = make_user(PERSONAS, [cls.site_b], "rep-b")
		cls.nobody = make_user(PERSONAS, [], "rep-none")
		cls.operator_a = make_user(["Site Operator"], [cls.site_a], "rep-op")
		cls.disabled_a = make_user(["Site Operator"], [cls.site_a], "rep-off")
		frappe.db.set_value("User", cls.disabled_a, "enabled", 0)
		cls.both = make_user(["Auditor"], [cls.site_a, cls.site_b], "rep-both")
		frappe.db.set_value("User", cls.both, "api_key", frappe.generate_hash(length=15))

	def report(self, name: str, user: str = "Administrator", **filters) -> dict:
		with self.set_user(user):
			return run(name, filters={**WIDE, **filters})

	def rows(self, name: str, user: str = "Administrator", **filters) -> list[dict]:
		return self.report(name, user, **filters)["result"]

	def cards(self, result: dict) -> dict:
		return {card["label"]: card["value"] for card in result["report_summary"]}

	# --- rows and totals -------------------------------------------------------------------------

	def test_certificate_register(self):
		result = self.report("Certificate Register", site=self.site_a)
		rows = {r["name"]: r for r in result["result"]}
		self.assertEqual(set(rows), {self.a[k] for k in ("expiring", "expired", "active", "revoked")})
		self.assertEqual(
			(rows[self.a["expiring"]]["days_left"], rows[self.a["expiring"]]["status"]), (20, "Expiring Soon")
		)
		self.assertEqual(
			(rows[self.a["expired"]]["days_left"], rows[self.a["expired"]]["status"]), (-5, "Expired")
		)
		self.assertEqual(rows[self.a["revoked"]]["status"], "Revoked")
		self.assertEqual(
			self.cards(result),
			{"Certificates": 4, "Active": 1, "Expiring Soon": 1, "Expired": 1, "Revoked": 0 + 1},
		)
		self.assertEqual(
			[r["name"] for r in self.rows("Certificate Register", site=self.site_a, status="Expired")],
			[self.a["expired"]],
		)
		in_window = self.rows(
			"Certificate Register", site=self.site_a, from_date=today(), to_date=add_days(today(), 30)
		)
		self.assertEqual([r["name"] for r in in_window], [self.a["expiring"]])

	def test_nonconformance_ageing(self):
		result = self.report("Nonconformance Ageing", site=self.site_a, nc_type="Other")
		rows = result["result"]
		self.assertEqual([r["name"] for r in rows], [self.a["old_nc"], self.a["new_nc"]])
		old = rows[0]
		self.assertEqual(
			(old["age_days"], old["age_bucket"], old["overdue"], old["days_overdue"]),
			(40, "31-90 days", 1, 10),
		)
		self.assertEqual(old["responsible"], "Administrator")
		self.assertEqual(
			self.cards(result), {"Open Nonconformances": 2, "Overdue": 1, "Critical": 1, "Oldest (Days)": 40}
		)
		self.assertEqual(len(self.rows("Nonconformance Ageing", site=self.site_a, overdue_only=1)), 1)
		# both mismatched tickets opened a Weight Mismatch nonconformance (cancelling one closes nothing)
		every = self.rows("Nonconformance Ageing", site=self.site_a)
		self.assertEqual(
			sorted(r["nc_type"] for r in every), ["Other", "Other", "Weight Mismatch", "Weight Mismatch"]
		)
		recent = self.rows(
			"Nonconformance Ageing", site=self.site_a, from_date=add_days(today(), -1), to_date=today()
		)
		self.assertNotIn(self.a["old_nc"], [r["name"] for r in recent])

	def test_quarantine_review(self):
		result = self.report("Quarantine Review", site=self.site_a)
		rows = result["result"]
		day2, day3 = getdate(add_days(today(), -2)), getdate(add_days(today(), -3))
		recent = getdate(self.a["recent"])
		self.assertEqual(
			[(r["device"], r["day"], r["readings"]) for r in rows],
			[(self.a["due_soon"], recent, 1), (self.a["hot"], day2, 2), (self.a["hot"], day3, 1)],
		)
		# 2 °C is farther below the valid 10 than 36 °C is above the valid 30
		self.assertEqual(rows[1]["worst_value"], "Temperature 2 °C")
		self.assertEqual(rows[1]["storage_bin"], self.a["bin1"])
		self.assertEqual(len(rows[1]["reasons"].split("; ")), 2)
		self.assertEqual(self.cards(result), {"Quarantined Readings": 4, "Devices": 2, "Device Days": 3})
		one_day = self.rows("Quarantine Review", site=self.site_a, from_date=day2, to_date=day2)
		self.assertEqual([r["readings"] for r in one_day], [2])
		self.assertEqual(
			self.rows(
				"Quarantine Review", site=self.site_a, device=self.a["due_soon"], from_date=day2, to_date=day2
			),
			[],
		)

	def test_scale_ticket_mismatches(self):
		result = self.report("Scale Ticket Mismatches", site=self.site_a)
		rows = result["result"]
		self.assertEqual([r["name"] for r in rows], [self.a["mismatch"]])
		row = rows[0]
		self.assertEqual((row["net_kg"], row["expected_net_kg"], row["difference_kg"]), (2200, 3000, -800))
		self.assertTrue(row["nonconformance"])
		self.assertEqual(row["nc_status"], "Open")
		self.assertEqual(
			self.cards(result),
			{"Mismatched Tickets": 1, "Short (kg)": 800, "Over (kg)": 0, "Without Nonconformance": 0},
		)

	def test_lot_stock(self):
		lot1 = frappe.db.get_value(
			"Lot", self.a["lots"][0], ["weighed_qty_kg", "available_qty_kg", "status"], as_dict=True
		)
		result = self.report("Lot Stock", site=self.site_a)
		rows = result["result"]
		self.assertEqual(
			[(r["storage_bin"], r["lots"]) for r in rows],
			[(self.a["bin1"], 2)] if lot1.status == "Draft" else [(self.a["bin1"], 1), (self.a["bin1"], 1)],
		)
		self.assertEqual(lot1.weighed_qty_kg, 2200)
		totals = self.cards(result)
		self.assertEqual(totals["Lots"], 2)
		self.assertEqual(totals["Declared Quantity (kg)"], 5000)
		self.assertEqual(totals["Weighed Quantity (kg)"], 2200)
		self.assertEqual(totals["Available Quantity (kg)"], lot1.available_qty_kg + 2000)
		with_closed = self.report("Lot Stock", site=self.site_a, include_closed=1)
		self.assertEqual(self.cards(with_closed)["Lots"], 3)
		shipped = self.rows("Lot Stock", site=self.site_a, status="Shipped")
		self.assertEqual(
			[(r["storage_bin"], r["lots"], r["declared_qty_kg"], r["out_kg"]) for r in shipped],
			[(self.a["bin2"], 1, 1000, 1000)],
		)

	def test_device_health(self):
		result = self.report("Device Health", site=self.site_a)
		rows = {r["name"]: r for r in result["result"]}
		self.assertEqual(set(rows), {self.a[k] for k in ("hot", "due_soon", "overdue", "quiet")})
		self.assertEqual(
			(rows[self.a["hot"]]["connection"], rows[self.a["hot"]]["quarantined_24h"]), ("Reporting", 0)
		)
		self.assertEqual(
			(rows[self.a["due_soon"]]["calibration"], rows[self.a["due_soon"]]["days_to_calibration"]),
			("Due Soon", 3),
		)
		self.assertEqual(rows[self.a["due_soon"]]["quarantined_24h"], 1)
		self.assertEqual(rows[self.a["overdue"]]["calibration"], "Overdue")
		self.assertEqual(
			(rows[self.a["quiet"]]["connection"], rows[self.a["quiet"]]["silent"]), ("Never Reported", 1)
		)
		self.assertEqual(
			self.cards(result),
			{"Devices": 4, "Silent": 1, "Calibration Overdue": 1, "Calibration Due Soon": 1},
		)
		problems = self.rows("Device Health", site=self.site_a, problems_only=1)
		self.assertEqual({r["name"] for r in problems}, {self.a[k] for k in ("due_soon", "overdue", "quiet")})

	def test_user_access_audit(self):
		rows = {r["user"]: r for r in self.rows("User Access Audit", site=self.site_a)}
		self.assertEqual(set(rows), {self.user_a, self.operator_a, self.disabled_a, self.both})
		self.assertEqual(rows[self.disabled_a]["flags"], "Disabled user still holds site grants")
		self.assertEqual((rows[self.both]["api_key"], rows[self.both]["flags"]), (1, "API key"))
		self.assertEqual(rows[self.both]["sites"], self.site_a)
		self.assertEqual(rows[self.user_a]["roles"], ", ".join(sorted(PERSONAS)))
		self.assertEqual(rows[self.user_a]["flags"], "")
		every = {r["user"]: r for r in self.rows("User Access Audit")}
		self.assertEqual(every[self.nobody]["flags"], "Desk user with no site grant")
		self.assertIn("System Manager", every["Administrator"]["flags"])
		self.assertEqual(every[self.both]["sites"], ", ".join(sorted([self.site_a, self.site_b])))
		flagged = self.report("User Access Audit", site=self.site_a, flagged_only=1)
		self.assertEqual({r["user"] for r in flagged["result"]}, {self.disabled_a, self.both})
		self.assertEqual(self.cards(flagged)["Disabled user still holds site grants"], 1)

	# --- site isolation --------------------------------------------------------------------------

	def test_a_user_sees_only_their_sites(self):
		mine = {
			"Certificate Register": (
				"name",
				{self.a[k] for k in ("expiring", "expired", "active", "revoked")},
			),
			"Scale Ticket Mismatches": ("name", {self.a["mismatch"]}),
			"Quarantine Review": ("device", {self.a["hot"], self.a["due_soon"]}),
			"Device Health": ("name", {self.a[k] for k in ("hot", "due_soon", "overdue", "quiet")}),
			"Lot Stock": ("site", {self.site_a}),
			"Nonconformance Ageing": ("site", {self.site_a}),
		}
		for name, (key, expected) in mine.items():
			with self.subTest(report=name):
				self.assertEqual({r[key] for r in self.rows(name, self.user_a)}, expected)
		audit = {r["user"]: r["sites"] for r in self.rows("User Access Audit", self.user_a)}
		self.assertNotIn(self.user_b, audit)
		self.assertNotIn(self.nobody, audit)
		self.assertEqual(audit[self.both], self.site_a)

	def test_another_sites_user_and_a_user_with_no_grant_get_no_rows(self):
		for name in REPORTS:
			with self.subTest(report=name):
				self.assertEqual(self.rows(name, self.user_b, site=self.site_a), [])
				self.assertEqual(self.rows(name, self.nobody), [])
				self.assertEqual(self.rows(name, self.nobody, site=self.site_a), [])

	def test_only_reviewers_run_the_access_audit(self):
		with self.assertRaises(frappe.PermissionError):
			self.rows("User Access Audit", self.operator_a)

	def test_dates_out_of_order_are_refused(self):
		with self.assertRaises(frappe.ValidationError):
			self.rows("Certificate Register", from_date=today(), to_date=add_days(today(), -1))
