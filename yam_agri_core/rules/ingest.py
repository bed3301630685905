"""Parsing of readings sent by sensor gateways (one JSON object per reading)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from dateutil import parser as date_parser

from yam_agri_core.rules.messages import Kind, RuleError, _
from yam_agri_core.rules.thresholds import METRICS

MAX_BATCH = 5000
#: A Float column is DECIMAL(21,9): twelve digits before the point.
MAX_VALUE = 1e12
REQUIRED = ("device", "observed_at", "metric", "value", "unit")


def parse_reading(raw: Mapping, row: int) -> dict:
	"""Fields of an Observation from one gateway reading; errors name the row and the field."""
	if not isinstance(raw, Mapping):
		raise RuleError(Kind.VALIDATION, _("Row {0}: a reading must be an object"), row)
	missing = [key for key in REQUIRED if raw.get(key) in (None, "")]
	if missing:
		raise RuleError(
			Kind.VALIDATION, _("Row {0}: {1} is missing"), row, ", ".join(missing), field=missing[0]
		)
	metric = str(raw["metric"]).strip()
	if metric not in METRICS:
		raise RuleError(
			Kind.VALIDATION,
			_("Row {0}: Metric {1} is not one of {2}"),
			row,
			metric,
			", ".join(METRICS),
			field="metric",
		)
	try:
		value = float(raw["value"])
	except (TypeError, ValueError):
		raise RuleError(
			Kind.VALIDATION, _("Row {0}: Value {1} is not a number"), row, raw["value"], field="value"
		)
	if value != value or value in (float("inf"), float("-inf")):
		raise RuleError(
			Kind.VALIDATION, _("Row {0}: Value {1} is not a number"), row, raw["value"], field="value"
		)
	if abs(value) >= MAX_VALUE:
		raise RuleError(
			Kind.VALIDATION,
			_("Row {0}: Value {1} is too large to be a reading"),
			row,
			raw["value"],
			field="value",
		)
	observed_at = parse_timestamp(raw["observed_at"], row)
	reading = {
		"device": str(raw["device"]).strip(),
		"observed_at": observed_at,
		"metric": metric,
		"value": value,
		"unit": str(raw["unit"]).strip(),
		"raw_payload": json.dumps(dict(raw), ensure_ascii=False, default=str, sort_keys=True),
	}
	if raw.get("site"):
		reading["site"] = str(raw["site"]).strip().upper()
	return reading


def parse_timestamp(value: object, row: int) -> dt.datetime:
	"""A naive local datetime; an aware one is converted to the server's zone by the caller."""
	try:
		parsed = value if isinstance(value, dt.datetime) else date_parser.isoparse(str(value).strip())
	except (TypeError, ValueError, OverflowError):
		raise RuleError(
			Kind.VALIDATION,
			_("Row {0}: Observed At {1} is not a date and time like 2026-03-01 14:30:00"),
			row,
			value,
			field="observed_at",
		)
	return parsed
