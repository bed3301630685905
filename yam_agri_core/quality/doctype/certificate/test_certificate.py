# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from yam_agri_core.exceptions import DateRangeError, RoleRequiredError, StatusTransitionError
from yam_agri_core.quality.doctype.certificate.certificate import revoke_certificate
from yam_agri_core.tests.utils import TEST_IGNORE, make_certificate, make_site, make_user

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestCertificate(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name

	def test_status_from_dates(self):
		self.assertEqual(make_certificate(self.site, 365).status, "Active")
		self.assertEqual(make_certificate(self.site, 20).status, "Expiring Soon")
		self.assertEqual(make_certificate(self.site, -1).status, "Expired")

	def test_status_follows_time(self):
		cert = make_certificate(self.site, 20)
		with self.freeze_time(add_days(today(), 21)):
			cert.reload()
			cert.save()
			self.assertEqual(cert.status, "Expired")

	def test_expiry_after_issue(self):
		with self.assertRaises(DateRangeError):
			make_certificate(self.site, 10, issue_date=add_days(today(), 10))

	def test_revocation(self):
		cert = make_certificate(self.site)
		operator = make_user(["Site Operator"], [self.site], "operator")
		qm = make_user(["Quality Manager"], [self.site], "qm")
		with self.set_user(operator), self.assertRaises(frappe.PermissionError):
			revoke_certificate(cert.name, "Forged")
		with self.set_user(qm):
			with self.assertRaises(frappe.ValidationError):
				revoke_certificate(cert.name, "")
			self.assertEqual(revoke_certificate(cert.name, "Issuer withdrew it"), "Revoked")
		cert.reload()
		cert.status = "Active"
		with self.assertRaises(StatusTransitionError):
			cert.save()

	def test_only_quality_manager_revokes_even_with_write_access(self):
		cert = make_certificate(self.site)
		cert.status = "Revoked"
		cert.revocation_reason = "x"
		with self.set_user(make_user(["System Manager"], prefix="it")), self.assertRaises(RoleRequiredError):
			cert.save()
