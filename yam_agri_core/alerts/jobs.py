"""Scheduler entry points (wired in hooks.py). Each is thin and idempotent: it reads the clock and
hands over to the alert modules, which skip whatever was already alerted."""

from __future__ import annotations

from frappe.utils import getdate, now_datetime, today

from yam_agri_core.alerts import certificates, devices, quarantine
from yam_agri_core.rules import alerting


def update_certificate_statuses_and_alert() -> None:
	"""Daily: Active -> Expiring Soon -> Expired, then the expiry alerts."""
	day = getdate(today())
	certificates.update_statuses(day)
	certificates.send_alerts(alerting.CERTIFICATE_EXPIRING, day, commit=True)
	certificates.send_alerts(alerting.CERTIFICATE_EXPIRED, day, commit=True)


def send_calibration_due_alerts() -> None:
	"""Daily: devices due for calibration within the lead days, or overdue."""
	devices.send_calibration_alerts(getdate(today()), commit=True)


def send_quarantine_alerts() -> None:
	"""Every few minutes: one alert per device and closed window of quarantined readings."""
	quarantine.send_alerts(now_datetime(), commit=True)


def send_silent_sensor_alerts() -> None:
	"""Every few minutes: sensors that sent nothing for their stale_after_minutes."""
	devices.send_silent_alerts(now_datetime(), commit=True)
