# Copyright (c) 2026, YAM Agri and contributors
# For license information, please see license.txt

import threading

import frappe
from frappe.tests.utils import FrappeTestCase

from yam_agri_core.alerts import delivery
from yam_agri_core.alerts.delivery import AlertItem
from yam_agri_core.rules import alerting
from yam_agri_core.tests.utils import TEST_IGNORE, in_connections, make_site, make_user

#: ERPNext masters whose test records Frappe's runner must not build (see tests.utils).
test_ignore = TEST_IGNORE


def items(prefix: str, count: int) -> list[AlertItem]:
	return [
		AlertItem(
			key=alerting.alert_key(alerting.SENSOR_SILENT, f"{prefix}-{i}", "x"),
			doctype="Device",
			name=f"{prefix}-{i}",
		)
		for i in range(count)
	]


class TestYAMAlertLog(FrappeTestCase):
	def test_a_key_is_claimed_once(self):
		site = make_site().name
		batch = items(frappe.generate_hash(length=6), 3)
		self.assertEqual(len(delivery.claim(alerting.SENSOR_SILENT, site, batch)), 3)
		self.assertEqual(delivery.claim(alerting.SENSOR_SILENT, site, batch), [])
		fresh = items("N" + frappe.generate_hash(length=6), 1)
		self.assertEqual(len(delivery.claim(alerting.SENSOR_SILENT, site, [*batch, *fresh])), 1)

	def test_two_workers_claiming_the_same_alerts_send_each_once(self):
		"""Two connections, as two scheduler workers would have: the unique key lets one of them win
		each alert, whatever the interleaving. Everything runs outside this test's own transaction."""
		# this connection's own uncommitted alert-log rows (earlier tests) would hold index locks the
		# workers wait on; real workers commit per batch
		frappe.db.rollback()
		for _round in range(5):  # a deadlock (MariaDB 1213) showed in one run of two: several rounds
			prefix = "W" + frappe.generate_hash(length=6)
			batch = items(prefix, 40)
			barrier = threading.Barrier(2)

			def claim_all(order: int, batch=batch, barrier=barrier) -> int:
				barrier.wait(timeout=30)
				return len(delivery.claim(alerting.SENSOR_SILENT, "ANY-SITE", batch[::order]))

			def count(prefix=prefix) -> int:
				return frappe.db.count("YAM Alert Log", {"reference_name": ("like", f"{prefix}-%")})

			def clean_up(prefix=prefix) -> None:
				frappe.db.delete("YAM Alert Log", {"reference_name": ("like", f"{prefix}-%")})

			try:
				claimed = in_connections([lambda: claim_all(1), lambda: claim_all(-1)])
				self.assertEqual(sum(claimed), 40)
				self.assertEqual(in_connections([count]), [40])
			finally:
				in_connections([clean_up])

	def test_logs_are_private_to_their_site(self):
		site_a, site_b = make_site().name, make_site().name
		delivery.claim(alerting.SENSOR_SILENT, site_a, items("A" + frappe.generate_hash(length=4), 1))
		delivery.claim(alerting.SENSOR_SILENT, site_b, items("B" + frappe.generate_hash(length=4), 1))
		user = make_user(["Quality Manager"], [site_a], "log-a")
		frappe.set_user(user)
		try:
			sites = set(frappe.get_list("YAM Alert Log", pluck="site"))
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(sites, {site_a})
