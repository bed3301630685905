# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, today

from yam_agri_core.exceptions import (
	RoleRequiredError,
	SiteMismatchError,
	StatusTransitionError,
	YamValidationError,
)
from yam_agri_core.tests.utils import TEST_IGNORE, make_lot, make_nc, make_site, make_user

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


class TestNonconformance(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = make_site().name
		cls.operator = make_user(["Site Operator"], [cls.site], "operator")
		cls.qm = make_user(["Quality Manager"], [cls.site], "qm")

	def test_default_due_dates(self):
		for severity, days in (("Critical", 7), ("Major", 14), ("Minor", 30)):
			nc = make_nc(self.site, severity)
			self.assertEqual(getdate(nc.due_date), getdate(add_days(today(), days)))
			self.assertEqual(nc.status, "Open")

	def walk(self, nc, user):
		with self.set_user(user):
			nc = frappe.get_doc("Nonconformance", nc.name)
			nc.status = "Under Investigation"
			nc.save()
			nc.status = "Corrective Action"
			with self.assertRaises(YamValidationError):
				nc.save()
			nc.reload()
			nc.root_cause = "Scale not calibrated since harvest"
			nc.status = "Corrective Action"
			nc.save()
			nc.status = "Verification"
			with self.assertRaises(YamValidationError):
				nc.save()
			nc.reload()
			nc.corrective_action = "Scale recalibrated, load re-weighed"
			nc.status = "Verification"
			nc.save()
			nc.status = "Corrective Action"
			nc.save()
			nc.status = "Verification"
			nc.save()
			return nc

	def test_critical_capa_needs_a_quality_manager_to_close(self):
		nc = make_nc(self.site, "Critical")
		nc = self.walk(nc, self.operator)
		with self.set_user(self.operator):
			nc.status = "Closed"
			with self.assertRaises(YamValidationError):
				nc.save()
			nc.reload()
			nc.verification_result = "Effective"
			nc.status = "Closed"
			with self.assertRaises(RoleRequiredError):
				nc.save()
		with self.set_user(self.qm):
			nc = frappe.get_doc("Nonconformance", nc.name)
			nc.verification_result = "Effective"
			nc.status = "Closed"
			nc.save()
			self.assertEqual(nc.closed_by, self.qm)
			self.assertTrue(nc.closed_on)

	def test_operator_closes_a_minor_nc(self):
		nc = self.walk(make_nc(self.site, "Minor"), self.operator)
		with self.set_user(self.operator):
			nc.verification_result = "Effective"
			nc.status = "Closed"
			nc.save()

	def test_no_skipping_and_no_reopening(self):
		nc = make_nc(self.site)
		nc.status = "Closed"
		with self.assertRaises(StatusTransitionError):
			nc.save()

	def test_source_of_another_site_is_refused(self):
		with self.assertRaises(SiteMismatchError):
			make_nc(self.site, lot=make_lot(make_site().name).name)
