"""Alerts on a real site: each fires, reaches exactly the right users of the right site, and never
twice; time is frozen with Frappe's test utilities."""

from __future__ import annotations

import datetime as dt

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_to_date, getdate, now_datetime

from yam_agri_core.alerts import certificates, devices, events, quarantine
from yam_agri_core.rules import alerting
from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	make_bin,
	make_certificate,
	make_device,
	make_nc,
	make_site,
	make_ticket,
	make_user,
	unique,
)

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE

LOG = "YAM Alert Log"


def logs(alert_type: str, reference_name: str) -> list[dict]:
	return frappe.get_all(
		LOG,
		filters={"alert_type": alert_type, "reference_name": reference_name},
		fields=["name", "site", "recipients", "reading_count", "worst_value", "email_queued", "subject"],
	)


def notified_users(document_type: str, document_name: str) -> set[str]:
	return set(
		frappe.get_all(
			"Notification Log",
			filters={"document_type": document_type, "document_name": document_name},
			pluck="for_user",
		)
	)


def notifications_of(user: str) -> list[dict]:
	return frappe.get_all(
		"Notification Log",
		filters={"for_user": user},
		fields=["subject", "email_content", "document_type", "document_name"],
	)


def emailed(document_type: str, document_name: str) -> set[str]:
	queues = frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": document_type, "reference_name": document_name},
		pluck="name",
	)
	if not queues:
		return set()
	return set(frappe.get_all("Email Queue Recipient", filters={"parent": ("in", queues)}, pluck="recipient"))


def ensure_outgoing_email_account() -> None:
	"""Emails are queued only through an outgoing account (never sent: nothing flushes the queue)."""
	if frappe.db.exists("Email Account", {"enable_outgoing": 1, "default_outgoing": 1}):
		return
	frappe.get_doc(
		{
			"doctype": "Email Account",
			"email_account_name": "YAM Test Outgoing",
			"email_id": "alerts@yam-test.example",
			"enable_outgoing": 1,
			"default_outgoing": 1,
			"smtp_server": "127.0.0.1",
			"smtp_port": 1025,
			"no_smtp_authentication": 1,
		}
	).insert(ignore_permissions=True)


class AlertTestCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		ensure_outgoing_email_account()
		cls.site_a, cls.site_b = make_site().name, make_site().name
		cls.qm_a = make_user(["Quality Manager"], [cls.site_a], "qm-a")
		cls.so_a = make_user(["Site Operator"], [cls.site_a], "so-a")
		cls.po_a = make_user(["Platform Owner"], [cls.site_a], "po-a")
		cls.auditor_a = make_user(["Auditor"], [cls.site_a], "aud-a")
		cls.qm_b = make_user(["Quality Manager"], [cls.site_b], "qm-b")
		cls.so_b = make_user(["Site Operator"], [cls.site_b], "so-b")
		cls.disabled_qm_a = make_user(["Quality Manager", "Site Operator"], [cls.site_a], "off-a")
		frappe.db.set_value("User", cls.disabled_qm_a, "enabled", 0)
		cls.no_grant_qm = make_user(["Quality Manager", "Site Operator"], [], "nogrant")
		cls.everyone = {
			cls.qm_a,
			cls.so_a,
			cls.po_a,
			cls.auditor_a,
			cls.qm_b,
			cls.so_b,
			cls.disabled_qm_a,
			cls.no_grant_qm,
		}

	def assertReached(self, got: set[str], expected: set[str]):
		"""Among this class's users, exactly ``expected`` were reached."""
		self.assertEqual(got & self.everyone, expected)


class TestQuarantineAlerts(AlertTestCase):
	def setUp(self):
		self.window_start = dt.datetime(2026, 11, 26, 9, 45)  # 15-minute windows: 09:45-10:00
		self.device = make_device(self.site_a, storage_bin=make_bin(self.site_a, unique("Q")).name).name

	def insert_quarantined(self, count: int, start: dt.datetime, value=lambda i: 38 + i % 7):
		for i in range(count):
			frappe.get_doc(
				{
					"doctype": "Observation",
					"device": self.device,
					"metric": "Temperature",
					"value": value(i),
					"unit": "°C",
					"observed_at": start + dt.timedelta(seconds=4 * i),
				}
			).insert(ignore_permissions=True)

	def test_200_readings_in_one_window_make_one_alert_saying_200(self):
		with self.freeze_time(self.window_start + dt.timedelta(minutes=10)):
			self.insert_quarantined(200, self.window_start)
			self.assertEqual(
				frappe.db.count("Observation", {"device": self.device, "quality_flag": "Quarantine"}), 200
			)
			# the window is still open: nothing yet, so the burst is not cut in two
			quarantine.send_alerts(now_datetime())
			self.assertEqual(logs(alerting.SENSOR_QUARANTINE, self.device), [])

		with self.freeze_time(self.window_start + dt.timedelta(minutes=17)):
			quarantine.send_alerts(now_datetime())
			(log,) = logs(alerting.SENSOR_QUARANTINE, self.device)
			self.assertEqual(log.reading_count, 200)
			self.assertEqual(log.worst_value, "Temperature 44 °C")
			self.assertIn("200", log.subject)
			self.assertReached(notified_users("Device", self.device), {self.so_a, self.qm_a})
			self.assertReached(emailed("Device", self.device), {self.so_a, self.qm_a})
			self.assertEqual(
				frappe.db.count("Observation", {"device": self.device, "alert_sent": 0}),
				0,
				"every counted reading is marked alert_sent",
			)
			(note,) = [n for n in notifications_of(self.qm_a) if n.document_name == self.device]
			self.assertIn("200", note.subject)
			self.assertIn(self.site_a, note.email_content)
			self.assertNotIn(self.site_b, note.email_content)

			# a second run, and a third, send nothing new
			quarantine.send_alerts(now_datetime())
			quarantine.send_alerts(now_datetime())
			self.assertEqual(len(logs(alerting.SENSOR_QUARANTINE, self.device)), 1)
			self.assertEqual(
				len([n for n in notifications_of(self.qm_a) if n.document_name == self.device]), 1
			)

	def test_late_readings_of_an_alerted_window_make_one_follow_up(self):
		with self.freeze_time(self.window_start + dt.timedelta(minutes=20)):
			self.insert_quarantined(5, self.window_start)
			quarantine.send_alerts(now_datetime())
		with self.freeze_time(self.window_start + dt.timedelta(hours=3)):
			# a gateway that was offline uploads three more readings of that window
			self.insert_quarantined(3, self.window_start + dt.timedelta(minutes=5), value=lambda i: 47)
			quarantine.send_alerts(now_datetime())
			quarantine.send_alerts(now_datetime())
		counts = sorted(log.reading_count for log in logs(alerting.SENSOR_QUARANTINE, self.device))
		self.assertEqual(counts, [3, 5])

	def test_two_windows_make_two_alerts(self):
		with self.freeze_time(self.window_start + dt.timedelta(minutes=40)):
			self.insert_quarantined(4, self.window_start)
			self.insert_quarantined(6, self.window_start + dt.timedelta(minutes=15))
			quarantine.send_alerts(now_datetime())
		counts = sorted(log.reading_count for log in logs(alerting.SENSOR_QUARANTINE, self.device))
		self.assertEqual(counts, [4, 6])

	def test_valid_readings_alert_nobody(self):
		with self.freeze_time(self.window_start + dt.timedelta(minutes=20)):
			self.insert_quarantined(5, self.window_start, value=lambda i: 20 + i * 0.1)
			quarantine.send_alerts(now_datetime())
		self.assertEqual(logs(alerting.SENSOR_QUARANTINE, self.device), [])


class TestCertificateAlerts(AlertTestCase):
	def test_expiring_in_20_days_alerts_the_site_quality_managers_once(self):
		cert = make_certificate(self.site_a, days_to_expiry=20)
		other = make_certificate(self.site_b, days_to_expiry=20)
		self.assertEqual(cert.status, "Expiring Soon")
		today = getdate()
		certificates.update_statuses(today)
		certificates.send_alerts(alerting.CERTIFICATE_EXPIRING, today)
		(log,) = logs(alerting.CERTIFICATE_EXPIRING, cert.name)
		self.assertEqual(set(log.recipients.split("\n")) & self.everyone, {self.qm_a})
		self.assertReached(notified_users("Certificate", cert.name), {self.qm_a})
		self.assertReached(emailed("Certificate", cert.name), {self.qm_a})
		self.assertReached(notified_users("Certificate", other.name), {self.qm_b})
		(note,) = [n for n in notifications_of(self.qm_a) if n.document_name == cert.name]
		self.assertIn(cert.certificate_no, note.email_content)
		self.assertNotIn(other.certificate_no, note.email_content)
		self.assertNotIn(self.site_b, note.email_content)

		certificates.send_alerts(alerting.CERTIFICATE_EXPIRING, today)
		self.assertEqual(len(logs(alerting.CERTIFICATE_EXPIRING, cert.name)), 1)
		self.assertEqual(len([n for n in notifications_of(self.qm_a) if n.document_name == cert.name]), 1)

	def test_status_moves_with_the_dates_and_expiry_alerts(self):
		cert = make_certificate(self.site_a, days_to_expiry=40)
		revoked = make_certificate(self.site_a, days_to_expiry=5)
		frappe.db.set_value("Certificate", revoked.name, "status", "Revoked")
		with self.freeze_time(add_days(getdate(), 15)):
			day = getdate()
			certificates.update_statuses(day)
			self.assertEqual(frappe.db.get_value("Certificate", cert.name, "status"), "Expiring Soon")
		with self.freeze_time(add_days(cert.expiry_date, 1)):
			day = getdate()
			certificates.update_statuses(day)
			certificates.send_alerts(alerting.CERTIFICATE_EXPIRED, day)
			certificates.send_alerts(alerting.CERTIFICATE_EXPIRED, day)
		self.assertEqual(frappe.db.get_value("Certificate", cert.name, "status"), "Expired")
		self.assertEqual(frappe.db.get_value("Certificate", revoked.name, "status"), "Revoked")
		(log,) = logs(alerting.CERTIFICATE_EXPIRED, cert.name)
		self.assertEqual(logs(alerting.CERTIFICATE_EXPIRED, revoked.name), [])
		# other certificates of the site may have expired by then too: one digest lists them all
		self.assertEqual(set(log.recipients.split("\n")) & self.everyone, {self.qm_a})
		digest = [n for n in notifications_of(self.qm_a) if cert.certificate_no in (n.email_content or "")]
		self.assertEqual(len(digest), 1)

	def test_a_renewed_certificate_that_expires_again_alerts_again(self):
		cert = make_certificate(self.site_a, days_to_expiry=10)
		certificates.send_alerts(alerting.CERTIFICATE_EXPIRING, getdate())
		cert.reload()
		cert.expiry_date = add_days(getdate(), 400)
		cert.save()
		self.assertEqual(cert.status, "Active")
		with self.freeze_time(add_days(getdate(), 380)):
			day = getdate()
			certificates.update_statuses(day)
			certificates.send_alerts(alerting.CERTIFICATE_EXPIRING, day)
		self.assertEqual(len(logs(alerting.CERTIFICATE_EXPIRING, cert.name)), 2)


class TestDeviceAlerts(AlertTestCase):
	def test_calibration_due_within_7_days_alerts_operators_once(self):
		due = make_device(self.site_a, calibration_due_date=add_days(getdate(), 3))
		later = make_device(self.site_a, calibration_due_date=add_days(getdate(), 10))
		devices.send_calibration_alerts(getdate())
		devices.send_calibration_alerts(getdate())
		(log,) = logs(alerting.CALIBRATION_DUE, due.name)
		self.assertEqual(set(log.recipients.split("\n")) & self.everyone, {self.so_a})
		self.assertEqual(logs(alerting.CALIBRATION_DUE, later.name), [])
		# calibrated: a new due date is a new occurrence
		frappe.db.set_value("Device", due.name, "calibration_due_date", add_days(getdate(), 200))
		with self.freeze_time(add_days(getdate(), 197)):
			devices.send_calibration_alerts(getdate())
		self.assertEqual(len(logs(alerting.CALIBRATION_DUE, due.name)), 2)

	def test_a_silent_sensor_alerts_operators_once_per_silence(self):
		now = now_datetime()
		sensor = make_device(self.site_a, stale_after_minutes=60)
		scale = make_device(self.site_a, device_type="Scale")
		idle = make_device(self.site_a, is_active=0)
		for name in (sensor.name, scale.name, idle.name):
			frappe.db.set_value("Device", name, "last_seen_at", add_to_date(now, hours=-2))
		fresh = make_device(self.site_a)
		frappe.db.set_value("Device", fresh.name, "last_seen_at", add_to_date(now, minutes=-5))

		devices.send_silent_alerts(now)
		devices.send_silent_alerts(now)
		(log,) = logs(alerting.SENSOR_SILENT, sensor.name)
		self.assertEqual(set(log.recipients.split("\n")) & self.everyone, {self.so_a})
		for quiet in (scale.name, idle.name, fresh.name):
			self.assertEqual(logs(alerting.SENSOR_SILENT, quiet), [])

		# it reports again, then falls silent again: a new silence, a new alert
		frappe.db.set_value("Device", sensor.name, "last_seen_at", add_to_date(now, minutes=30))
		devices.send_silent_alerts(add_to_date(now, minutes=45))
		self.assertEqual(len(logs(alerting.SENSOR_SILENT, sensor.name)), 1)
		devices.send_silent_alerts(add_to_date(now, minutes=95))
		self.assertEqual(len(logs(alerting.SENSOR_SILENT, sensor.name)), 2)


class TestEventAlerts(AlertTestCase):
	def test_mismatched_ticket_alerts_quality_managers_with_deviation_and_nc(self):
		ticket = make_ticket(self.site_a, 14200, 12000, 3000, submit=True)
		self.assertTrue(ticket.mismatch_flag and ticket.nonconformance)
		(log,) = logs(alerting.SCALE_TICKET_MISMATCH, ticket.name)
		self.assertEqual(set(log.recipients.split("\n")) & self.everyone, {self.qm_a})
		self.assertReached(notified_users("Scale Ticket", ticket.name), {self.qm_a})
		self.assertReached(emailed("Scale Ticket", ticket.name), {self.qm_a})
		(note,) = [n for n in notifications_of(self.qm_a) if n.document_name == ticket.name]
		self.assertIn("-26.67%", note.subject)
		self.assertIn(ticket.nonconformance, note.email_content)
		self.assertIn(f"/app/scale-ticket/{ticket.name}", note.email_content)

		events.alert_scale_ticket_mismatch(ticket)  # a retried submit hook
		self.assertEqual(len(logs(alerting.SCALE_TICKET_MISMATCH, ticket.name)), 1)

	def test_clean_ticket_alerts_nobody(self):
		ticket = make_ticket(self.site_a, 15000, 12000, 3000, submit=True)
		self.assertEqual(logs(alerting.SCALE_TICKET_MISMATCH, ticket.name), [])

	def test_critical_nc_alerts_quality_managers_and_owners_once(self):
		nc = make_nc(self.site_a, "Critical")
		(log,) = logs(alerting.CRITICAL_NONCONFORMANCE, nc.name)
		self.assertEqual(set(log.recipients.split("\n")) & self.everyone, {self.qm_a, self.po_a})
		self.assertReached(notified_users("Nonconformance", nc.name), {self.qm_a, self.po_a})
		nc.reload()
		nc.description = "More detail"
		nc.save()
		self.assertEqual(len(logs(alerting.CRITICAL_NONCONFORMANCE, nc.name)), 1)

	def test_major_nc_raised_to_critical_alerts_then(self):
		nc = make_nc(self.site_a, "Major")
		self.assertEqual(logs(alerting.CRITICAL_NONCONFORMANCE, nc.name), [])
		nc.reload()
		nc.severity = "Critical"
		nc.save()
		self.assertEqual(len(logs(alerting.CRITICAL_NONCONFORMANCE, nc.name)), 1)


class TestDeliverySettings(AlertTestCase):
	def tearDown(self):
		settings = frappe.get_doc("YAM Agri Settings")
		settings.send_alert_emails = 1
		settings.save()

	def test_emails_off_means_in_app_notifications_only(self):
		settings = frappe.get_doc("YAM Agri Settings")
		settings.send_alert_emails = 0
		settings.save()
		nc = make_nc(self.site_a, "Critical")
		self.assertReached(notified_users("Nonconformance", nc.name), {self.qm_a, self.po_a})
		self.assertEqual(emailed("Nonconformance", nc.name), set())
		(log,) = logs(alerting.CRITICAL_NONCONFORMANCE, nc.name)
		self.assertFalse(log.email_queued)

	def test_an_arabic_user_reads_the_alert_in_arabic(self):
		qm_ar = make_user(["Quality Manager"], [self.site_a], "qm-ar")
		frappe.db.set_value("User", qm_ar, "language", "ar")
		nc = make_nc(self.site_a, "Critical")
		(note,) = [n for n in notifications_of(qm_ar) if n.document_name == nc.name]
		self.assertIn("عدم مطابقة حرجة", note.subject)
		self.assertIn("المطلوب", note.email_content)
		(english,) = [n for n in notifications_of(self.qm_a) if n.document_name == nc.name]
		self.assertIn("Critical nonconformance", english.subject)
