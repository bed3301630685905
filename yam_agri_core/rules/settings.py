"""Every default and range of the app's knobs, in one place.

YAM Agri Settings (the single DocType), Site, Device, Crop and the alert jobs all read their defaults
and allowed ranges from here, so that a value is decided once. No Frappe here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from yam_agri_core.rules.messages import Kind, RuleCollector, RuleError, _


@dataclass(frozen=True)
class Knob:
	"""A numeric setting: its field, its label (marked for translation) and its inclusive range."""

	fieldname: str
	label: str
	smallest: float
	largest: float


# --- scale tolerance (Site, Scale Ticket, YAM Agri Settings) --------------------------------------

#: A scale ticket's tolerance can be 0 % (any deviation is a mismatch) up to this.
MAX_TOLERANCE_PCT = 50.0
DEFAULT_SCALE_TOLERANCE_PCT = 2.0

# --- lot transfers --------------------------------------------------------------------------------

DEFAULT_TRANSFER_LOSS_TOLERANCE_PCT = 1.0

# --- devices ----------------------------------------------------------------------------------------

#: A device that sends nothing for this long is silent (Device.stale_after_minutes).
DEFAULT_STALE_AFTER_MINUTES = 60

# --- crops ------------------------------------------------------------------------------------------

MOISTURE_RANGE = Knob("max_storage_moisture_pct", _("Max Storage Moisture (%)"), 5, 40)

# --- readings: retention ---------------------------------------------------------------------------

#: Readings older than this leave MariaDB for the Parquet archive, a whole month at a time.
DEFAULT_KEEP_READINGS_LIVE_DAYS = 180

# --- YAM Agri Settings ------------------------------------------------------------------------------

SETTING_DEFAULTS: dict[str, object] = {
	"send_alert_emails": 1,
	"certificate_warning_days": 30,
	"calibration_lead_days": 7,
	"quarantine_window_minutes": 15,
	"alert_lookback_days": 2,
	"default_scale_tolerance_pct": DEFAULT_SCALE_TOLERANCE_PCT,
	"transfer_loss_tolerance_pct": DEFAULT_TRANSFER_LOSS_TOLERANCE_PCT,
	"keep_readings_live_days": DEFAULT_KEEP_READINGS_LIVE_DAYS,
}

#: Every numeric knob of YAM Agri Settings with its range.
SETTING_RANGES: tuple[Knob, ...] = (
	Knob("certificate_warning_days", _("Certificate Warning Days"), 1, 365),
	Knob("calibration_lead_days", _("Calibration Lead Days"), 0, 365),
	Knob("quarantine_window_minutes", _("Quarantine Batching Window (Minutes)"), 1, 1440),
	Knob("alert_lookback_days", _("Quarantine Alert Lookback (Days)"), 1, 90),
	Knob("default_scale_tolerance_pct", _("Default Scale Tolerance (%)"), 0, MAX_TOLERANCE_PCT),
	Knob("transfer_loss_tolerance_pct", _("Transfer Loss Tolerance (%)"), 0, 50),
	Knob("keep_readings_live_days", _("Keep Readings Live For (days)"), 7, 3650),
)


def out_of_range(knob: Knob, value: float | None) -> RuleError | None:
	"""The error for ``value`` outside ``knob``'s range, or ``None`` (a blank value is not checked)."""
	if value is None or knob.smallest <= value <= knob.largest:
		return None
	return RuleError(
		Kind.VALIDATION,
		_("{0} must be between {1} and {2}"),
		knob.label,
		knob.smallest,
		knob.largest,
		field=knob.fieldname,
	)


def validate_settings(values: Mapping[str, float | int | None]) -> None:
	"""Every knob lies in its range; all out-of-range knobs are reported at once."""
	found = RuleCollector()
	for knob in SETTING_RANGES:
		error = out_of_range(knob, values.get(knob.fieldname))
		if error:
			found.extend([error])
	found.raise_if_any()


def setting_or_default(fieldname: str, value: object) -> object:
	"""A saved setting, or its default when it was never saved (blank)."""
	if value is None or value == "":
		return SETTING_DEFAULTS[fieldname]
	return value


# --- where each record's own value comes from ----------------------------------------------------


def site_tolerance(own_tolerance_pct: float | None, default_tolerance_pct: float) -> float:
	"""A site's scale tolerance: its own when it has one (0 % included), else the settings default."""
	return default_tolerance_pct if own_tolerance_pct is None else own_tolerance_pct


def ticket_tolerance(own_tolerance_pct: float | None, site_tolerance_pct: float | None) -> float:
	"""A scale ticket's tolerance: its own when typed (0 % included), else its site's (0 % included)."""
	if own_tolerance_pct is not None:
		return own_tolerance_pct
	return DEFAULT_SCALE_TOLERANCE_PCT if site_tolerance_pct is None else site_tolerance_pct


def stale_after_minutes(own_minutes: int | None) -> int:
	"""How long a device may stay quiet before it is silent."""
	return own_minutes or DEFAULT_STALE_AFTER_MINUTES


def validate_stale_after(minutes: int | None) -> None:
	if minutes is None or minutes <= 0:
		raise RuleError(
			Kind.VALIDATION,
			_("Silent After (minutes) must be greater than zero"),
			field="stale_after_minutes",
		)


def validate_max_storage_moisture(value: float | None) -> None:
	if not MOISTURE_RANGE.smallest <= (value or 0) <= MOISTURE_RANGE.largest:
		raise RuleError(
			Kind.VALIDATION,
			_("Max Storage Moisture (%) must be between {0} and {1}"),
			MOISTURE_RANGE.smallest,
			MOISTURE_RANGE.largest,
			field=MOISTURE_RANGE.fieldname,
		)


def validate_calibration_dates(last_calibration: object | None, due: object | None) -> None:
	"""A device's next calibration cannot be due before its last one (dates or ISO strings)."""
	if last_calibration and due and str(due) < str(last_calibration):
		raise RuleError(
			Kind.DATES,
			_("Calibration Due Date cannot be before Last Calibration Date"),
			field="calibration_due_date",
		)
