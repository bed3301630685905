"""The alerts' DocTypes and scheduler wiring, read as data."""

from __future__ import annotations

from doctype_meta import DOCTYPES, fields_of

import yam_agri_core.hooks as hooks
from yam_agri_core.rules import alerting
from yam_agri_core.rules import settings as knobs
from yam_agri_core.rules.sites import SITE_DOCTYPES


def meta(name: str) -> dict:
	return DOCTYPES[name]


def fields(name: str) -> dict[str, dict]:
	return fields_of(name)


def test_settings_is_a_single_with_the_issue_knobs_and_defaults():
	settings = meta("YAM Agri Settings")
	assert settings["issingle"] == 1
	f = fields("YAM Agri Settings")
	for fieldname, default in knobs.SETTING_DEFAULTS.items():
		assert fieldname in f, fieldname
		assert float(f[fieldname]["default"]) == float(default), fieldname


def test_alert_log_key_is_unique_and_types_match_the_rules():
	f = fields("YAM Alert Log")
	assert f["alert_key"]["unique"] == 1 and f["alert_key"]["reqd"] == 1
	assert f["alert_type"]["options"].split("\n") == list(alerting.ALERT_TYPES)
	assert f["reference_name"]["fieldtype"] == "Dynamic Link"


def test_alert_log_is_isolated_per_site_and_written_by_nobody():
	assert "YAM Alert Log" in SITE_DOCTYPES
	for perm in meta("YAM Alert Log")["permissions"]:
		assert not perm.get("write") and not perm.get("create"), perm["role"]


def test_scheduler_runs_the_daily_and_frequent_jobs():
	events = hooks.scheduler_events
	assert "yam_agri_core.alerts.jobs.update_certificate_statuses_and_alert" in events["daily"]
	assert "yam_agri_core.alerts.jobs.send_calibration_due_alerts" in events["daily"]
	frequent = [path for paths in events["cron"].values() for path in paths]
	assert "yam_agri_core.alerts.jobs.send_quarantine_alerts" in frequent
	assert "yam_agri_core.alerts.jobs.send_silent_sensor_alerts" in frequent
	assert all(expr.startswith("*/") for expr in events["cron"])
