"""AT-10: a user granted Site A cannot see, open, search, report or fetch anything of Site B, and a
user with no grant sees nothing, on every path and for every site-bearing DocType."""

import json

import frappe
from frappe.client import get_list as client_get_list
from frappe.client import get_value as client_get_value
from frappe.desk.reportview import get as reportview_get
from frappe.desk.search import search_link
from frappe.handler import execute_cmd
from frappe.tests.utils import FrappeTestCase
from frappe.utils import set_request, today

from yam_agri_core.api import ingest_observations
from yam_agri_core.permissions import ISOLATED_DOCTYPES
from yam_agri_core.quality.doctype.certificate.certificate import revoke_certificate
from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	make_bin,
	make_certificate,
	make_device,
	make_lot,
	make_nc,
	make_qc_test,
	make_reading,
	make_site,
	make_stored_lot,
	make_ticket,
	make_transfer,
	make_user,
)
from yam_agri_core.traceability.doctype.lot.lot import set_lot_status

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE

ROLES = ["Site Operator", "Quality Manager", "Platform Owner", "Auditor"]


def make_world(site: str) -> dict[str, str]:
	"""One record of every site-bearing DocType on ``site``."""
	storage_bin = make_bin(site, "ISO")
	lot = make_lot(site, storage_bin=storage_bin.name)
	device = make_device(site, storage_bin=storage_bin.name)
	return {
		"Site": site,
		"Storage Bin": storage_bin.name,
		"Lot": lot.name,
		"Device": device.name,
		"Scale Ticket": make_ticket(site, 14200, 12000, 3000, lot=lot.name, submit=True).name,
		"Observation": make_reading(device.name, 22).name,
		# the reading's hour, rolled up by the ingest
		"Observation Hourly": frappe.db.get_value("Observation Hourly", {"device": device.name}, "name"),
		# a month of readings written to the archive (Written: no reader opens its file)
		"Observation Archive": frappe.get_doc(
			{"doctype": "Observation Archive", "site": site, "month": "2020-01", "status": "Written"}
		)
		.insert(ignore_permissions=True)
		.name,
		"Certificate": make_certificate(site, lot=lot.name).name,
		"Nonconformance": make_nc(site, lot=lot.name).name,
		"Lot Transfer": make_transfer(
			site, "Split", [(make_stored_lot(site).name, 5000)], [(None, 2500), (None, 2500)]
		).name,
		"QC Test": make_qc_test(lot.name).name,
		# the mismatched ticket above was alerted
		"YAM Alert Log": frappe.db.get_value("YAM Alert Log", {"site": site}, "name"),
		"Scale Ticket Import": frappe.get_doc(
			{"doctype": "Scale Ticket Import", "site": site, "import_file": "/private/files/tickets.csv"}
		)
		.insert(ignore_permissions=True)
		.name,
		"Evidence Pack": frappe.get_doc(
			{"doctype": "Evidence Pack", "site": site, "from_date": today(), "to_date": today()}
		)
		.insert(ignore_permissions=True)
		.name,
	}


class TestSiteIsolation(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site_a, cls.site_b = make_site().name, make_site().name
		cls.a = make_world(cls.site_a)
		cls.b = make_world(cls.site_b)
		cls.user_a = make_user(ROLES, [cls.site_a], "site-a")
		cls.nobody = make_user(ROLES, [], "no-grant")
		cls.admin = make_user(["System Manager"], [], "it-admin")

	def test_every_site_bearing_doctype_is_covered(self):
		self.assertEqual(set(self.a), set(ISOLATED_DOCTYPES))

	def test_list_and_report_view(self):
		for doctype in self.a:
			with self.set_user(self.user_a):
				names = set(frappe.get_list(doctype, pluck="name", limit_page_length=0))
				self.assertIn(self.a[doctype], names, doctype)
				self.assertNotIn(self.b[doctype], names, doctype)
				report_names = {row[0] for row in self.report_view(doctype)}
				self.assertNotIn(self.b[doctype], report_names, doctype)
				self.assertIn(self.a[doctype], report_names, doctype)
			with self.set_user(self.nobody):
				self.assertEqual(frappe.get_list(doctype, pluck="name", limit_page_length=0), [], doctype)

	def report_view(self, doctype: str) -> list:
		"""Desk's Report view / Report Builder (``frappe.desk.reportview.get``)."""
		frappe.local.form_dict = frappe._dict(
			doctype=doctype, fields=json.dumps([f"`tab{doctype}`.`name`"]), filters="[]", page_length=0
		)
		result = reportview_get()
		return result["values"] if result else []

	def call_method(self, method: str, **kwargs):
		"""A whitelisted method as REST calls it (``/api/method/<method>``, overrides applied)."""
		set_request(method="GET", path=f"/api/method/{method}")
		frappe.local.form_dict = frappe._dict(cmd=method, **kwargs)
		try:
			return execute_cmd(method)
		finally:
			frappe.local.request = None

	def test_form(self):
		from frappe.desk.form.load import getdoc

		for doctype in self.a:
			with self.set_user(self.user_a):
				self.assertTrue(frappe.get_doc(doctype, self.a[doctype]).has_permission("read"), doctype)
				self.assertFalse(frappe.get_doc(doctype, self.b[doctype]).has_permission("read"), doctype)
				with self.assertRaises(frappe.PermissionError, msg=doctype):
					getdoc(doctype, self.b[doctype])
				frappe.clear_messages()
			with self.set_user(self.nobody):
				self.assertFalse(frappe.get_doc(doctype, self.a[doctype]).has_permission("read"), doctype)

	def test_link_search(self):
		for doctype in self.a:
			for user, visible in ((self.user_a, {self.a[doctype]}), (self.nobody, set())):
				with self.set_user(user):
					results = {row["value"] for row in search_link(doctype, "", page_length=1000) or []}
					self.assertNotIn(self.b[doctype], results, doctype)
					self.assertTrue(visible <= results, doctype)
					if not visible:
						self.assertEqual(results, set(), doctype)

	def test_rest_through_frappe_client(self):
		from frappe.client import get as client_get

		for doctype in self.a:
			with self.set_user(self.user_a):
				names = {r["name"] for r in client_get_list(doctype, fields=["name"], limit_page_length=0)}
				self.assertNotIn(self.b[doctype], names, doctype)
				self.assertIn(self.a[doctype], names, doctype)
				with self.assertRaises(frappe.PermissionError, msg=doctype):
					client_get(doctype, self.b[doctype])
				self.assertFalse(client_get_value(doctype, "name", {"name": self.b[doctype]}), doctype)
				count = self.call_method(
					"frappe.client.get_count", doctype=doctype, filters=json.dumps({"name": self.b[doctype]})
				)
				self.assertEqual(count, 0, doctype)
				self.assertEqual(
					self.call_method("frappe.client.validate_link", doctype=doctype, docname=self.b[doctype]),
					{},
					doctype,
				)
				self.assertEqual(
					self.call_method(
						"frappe.client.validate_link", doctype=doctype, docname=self.a[doctype]
					).get("name"),
					self.a[doctype],
					doctype,
				)
			with self.set_user(self.nobody):
				self.assertEqual(self.call_method("frappe.client.get_count", doctype=doctype), 0, doctype)

	def test_whitelisted_methods(self):
		with self.set_user(self.user_a):
			with self.assertRaises(frappe.PermissionError):
				set_lot_status(self.b["Lot"], "Rejected")
			with self.assertRaises(frappe.PermissionError):
				revoke_certificate(self.b["Certificate"], "not mine")
		self.assertEqual(frappe.db.get_value("Lot", self.b["Lot"], "status"), "Draft")
		self.assertEqual(frappe.db.get_value("Certificate", self.b["Certificate"], "status"), "Active")

	def test_cannot_create_or_move_records_into_another_site(self):
		with self.set_user(self.user_a):
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc(
					{
						"doctype": "Nonconformance",
						"nc_type": "Other",
						"severity": "Minor",
						"site": self.site_b,
						"description": "x",
					}
				).insert()
			result = ingest_observations(
				[
					{
						"device": self.b["Device"],
						"observed_at": "2026-01-01 10:00:00",
						"metric": "Temperature",
						"value": 20,
						"unit": "°C",
					}
				]
			)
			self.assertEqual(result["accepted"], [])
			self.assertEqual(len(result["rejected"]), 1)

	def test_attachments(self):
		file_b = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": "phyto-b.txt",
				"content": b"site B certificate",
				"is_private": 1,
				"attached_to_doctype": "Certificate",
				"attached_to_name": self.b["Certificate"],
			}
		).insert(ignore_permissions=True)
		file_a = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": "phyto-a.txt",
				"content": b"site A certificate",
				"is_private": 1,
				"attached_to_doctype": "Certificate",
				"attached_to_name": self.a["Certificate"],
			}
		).insert(ignore_permissions=True)
		with self.set_user(self.user_a):
			self.assertFalse(frappe.get_doc("File", file_b.name).has_permission("read"))
			self.assertTrue(frappe.get_doc("File", file_a.name).has_permission("read"))
			names = set(frappe.get_list("File", filters={"attached_to_doctype": "Certificate"}, pluck="name"))
			self.assertNotIn(file_b.name, names)

	def test_system_manager_sees_every_site(self):
		with self.set_user(self.admin):
			for doctype in self.a:
				names = set(frappe.get_list(doctype, pluck="name", limit_page_length=0))
				self.assertTrue({self.a[doctype], self.b[doctype]} <= names, doctype)
