"""The shaping rules of the Desk reports: which sites a report reads, certificate days left,
nonconformance ageing, quarantine grouping, scale ticket differences, lot stock totals, device health
and the flags of the monthly access review. No Frappe here; the reports read rows set-based and hand
them to these functions as plain mappings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from yam_agri_core.rules import alerting, certificates, thresholds
from yam_agri_core.rules.messages import Kind, RuleError, _
from yam_agri_core.rules.roles import SYSTEM_MANAGER
from yam_agri_core.rules.weighing import mismatch_severity

# --- which sites a report reads -------------------------------------------------------------------


def sites_to_read(allowed: Sequence[str] | None, requested: str | None) -> list[str] | None:
	"""The sites a report reads: ``None`` for every site (an unrestricted user who asked for none),
	else a list; an empty list means no rows (no grant, or a site the user is not granted)."""
	if allowed is None:
		return [requested] if requested else None
	if requested:
		return [requested] if requested in allowed else []
	return sorted(set(allowed))


def days_between(later: dt.date | None, earlier: dt.date | None) -> int | None:
	if not later or not earlier:
		return None
	return (_as_date(later) - _as_date(earlier)).days


def _as_date(value: dt.date | dt.datetime) -> dt.date:
	return value.date() if isinstance(value, dt.datetime) else value


# --- Certificate Register -------------------------------------------------------------------------


def certificate_status_today(
	stored_status: str | None, expiry_date: dt.date | None, today: dt.date, warning_days: int
) -> str | None:
	"""A certificate's status on ``today``: Revoked stays Revoked, every other follows the dates."""
	if stored_status == certificates.REVOKED or not expiry_date:
		return stored_status
	return certificates.status_from_dates(_as_date(expiry_date), today, warning_days)


def shape_certificate(row: Mapping, today: dt.date, warning_days: int) -> dict:
	"""A register row: the status today and the days left (negative once expired)."""
	shaped = dict(row)
	shaped["status"] = certificate_status_today(
		row.get("status"), row.get("expiry_date"), today, warning_days
	)
	shaped["days_left"] = days_between(row.get("expiry_date"), today)
	shaped["needs_action"] = int(shaped["status"] in (certificates.EXPIRING_SOON, certificates.EXPIRED))
	return shaped


def count_by(rows: Iterable[Mapping], key: str, keys: Sequence[str]) -> dict[str, int]:
	"""How many rows carry each of ``keys`` under ``key`` (every key listed, zero included)."""
	counts = dict.fromkeys(keys, 0)
	for row in rows:
		if row.get(key) in counts:
			counts[row[key]] += 1
	return counts


# --- Nonconformance Ageing ------------------------------------------------------------------------

CLOSED = "Closed"
#: Ageing buckets (upper bound in days, inclusive; ``None`` = no bound) and their labels.
AGE_BUCKETS: tuple[tuple[int | None, str], ...] = (
	(7, _("0-7 days")),
	(30, _("8-30 days")),
	(90, _("31-90 days")),
	(None, _("Over 90 days")),
)
SEVERITY_ORDER = {"Critical": 0, "Major": 1, "Minor": 2}


def age_bucket(age_days: int) -> str:
	for bound, label in AGE_BUCKETS:
		if bound is None or age_days <= bound:
			return label
	return AGE_BUCKETS[-1][1]


def shape_nonconformance(row: Mapping, today: dt.date) -> dict:
	"""An ageing row: age since opened, days overdue (0 when not overdue), and who owns it (the
	assignee, else whoever opened it)."""
	shaped = dict(row)
	age = max(0, days_between(today, row.get("opened_on")) or 0)
	overdue_days = days_between(today, row.get("due_date"))
	overdue = row.get("status") != CLOSED and overdue_days is not None and overdue_days > 0
	shaped.update(
		age_days=age,
		age_bucket=age_bucket(age),
		days_overdue=overdue_days if overdue else 0,
		overdue=int(overdue),
		responsible=row.get("assigned_to") or row.get("owner"),
	)
	return shaped


def ageing_order(row: Mapping) -> tuple:
	"""Overdue first (most overdue first), then by severity, then oldest first."""
	return (
		-row["overdue"],
		-row["days_overdue"],
		SEVERITY_ORDER.get(row.get("severity"), 9),
		-row["age_days"],
		row.get("name") or "",
	)


# --- Quarantine Review ----------------------------------------------------------------------------

MAX_REASONS = 5


@dataclass
class QuarantineDay:
	"""The quarantined readings of one device on one day."""

	device: str
	site: str
	day: dt.date
	storage_bin: str | None = None
	count: int = 0
	worst: dict[str, tuple[float, str | None]] = field(default_factory=dict)
	reasons: list[str] = field(default_factory=list)
	first_at: dt.datetime | None = None
	last_at: dt.datetime | None = None

	def as_row(self, label: Callable[[str], str] = str) -> dict:
		"""The report row; ``label`` translates a metric's name."""
		return {
			"device": self.device,
			"site": self.site,
			"storage_bin": self.storage_bin,
			"day": self.day,
			"readings": self.count,
			"metrics": ", ".join(label(m) for m in sorted(self.worst)),
			"worst_value": worst_text(self.worst, label),
			"reasons": "; ".join(self.reasons[:MAX_REASONS])
			+ (f" (+{len(self.reasons) - MAX_REASONS})" if len(self.reasons) > MAX_REASONS else ""),
			"first_at": self.first_at,
			"last_at": self.last_at,
		}


def worst_text(worst: Mapping[str, tuple[float, str | None]], label: Callable[[str], str] = str) -> str:
	return ", ".join(
		f"{label(metric)} {value:g}{(' ' + unit) if unit else ''}"
		for metric, (value, unit) in sorted(worst.items())
	)


def group_quarantine(
	aggregates: Iterable[Mapping], bands: Mapping[str, thresholds.Band | None] | None = None
) -> list[QuarantineDay]:
	"""One row per device and day from the GROUP BY device, day and metric of the report: the
	readings added up, the worst value of each metric (the extreme farther outside its valid band,
	as the quarantine alert says it) and the distinct reasons. Newest day first, then by device."""
	bands = thresholds.DEFAULT_BANDS if bands is None else bands
	days: dict[tuple[str, dt.date], QuarantineDay] = {}
	for agg in aggregates:
		day = days.setdefault(
			(agg["device"], agg["day"]), QuarantineDay(agg["device"], agg["site"], agg["day"])
		)
		day.storage_bin = day.storage_bin or agg.get("storage_bin")
		day.count += int(agg["count"])
		worst = alerting.worst_value(agg["min_value"], agg["max_value"], bands.get(agg["metric"]))
		day.worst[agg["metric"]] = (worst, agg.get("unit"))
		for reason in split_reasons(agg.get("reasons")):
			if reason not in day.reasons:
				day.reasons.append(reason)
		day.first_at = min(filter(None, (day.first_at, agg.get("first_at"))), default=None)
		day.last_at = max(filter(None, (day.last_at, agg.get("last_at"))), default=None)
	return sorted(days.values(), key=lambda d: (-d.day.toordinal(), d.device))


def split_reasons(text: str | None) -> list[str]:
	"""The distinct reasons of a GROUP_CONCAT (newline separated)."""
	return [r.strip() for r in (text or "").split("\n") if r.strip()]


# --- Scale Ticket Mismatches ----------------------------------------------------------------------


def shape_mismatch(row: Mapping) -> dict:
	"""A mismatch row: the difference in kg (net less expected; negative = short), how far beyond
	its tolerance the ticket lies, and the severity its nonconformance was opened with."""
	shaped = dict(row)
	net, expected = row.get("net_kg") or 0.0, row.get("expected_net_kg") or 0.0
	deviation, tolerance = row.get("deviation_pct") or 0.0, row.get("tolerance_pct") or 0.0
	shaped["difference_kg"] = round(net - expected, 3) if expected else None
	shaped["beyond_tolerance_pct"] = round(max(0.0, abs(deviation) - tolerance), 4)
	shaped["severity"] = mismatch_severity(deviation, tolerance)
	return shaped


def mismatch_totals(rows: Sequence[Mapping]) -> dict[str, float]:
	short = sum(r["difference_kg"] for r in rows if (r.get("difference_kg") or 0) < 0)
	over = sum(r["difference_kg"] for r in rows if (r.get("difference_kg") or 0) > 0)
	return {
		"tickets": len(rows),
		"short_kg": round(-short, 3),
		"over_kg": round(over, 3),
		"without_nc": sum(1 for r in rows if not r.get("nonconformance")),
	}


# --- Lot Stock ------------------------------------------------------------------------------------

#: Statuses whose grain is no longer in the bins (the stock view leaves them out unless asked).
CLOSED_LOT_STATUSES = ("Shipped", "Rejected")
QUANTITIES = ("declared_qty_kg", "weighed_qty_kg", "available_qty_kg", "weight_difference_kg")


def stock_totals(rows: Iterable[Mapping]) -> dict[str, float]:
	"""Lots and kg over the grouped stock rows."""
	totals = {"lots": 0, **dict.fromkeys(QUANTITIES, 0.0)}
	for row in rows:
		totals["lots"] += int(row.get("lots") or 0)
		for key in QUANTITIES:
			totals[key] += row.get(key) or 0.0
	return {k: round(v, 3) if isinstance(v, float) else v for k, v in totals.items()}


def shape_stock(row: Mapping) -> dict:
	"""A stock row: the kg taken out of the lots (declared less available) besides the sums."""
	shaped = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
	shaped["out_kg"] = round((row.get("declared_qty_kg") or 0.0) - (row.get("available_qty_kg") or 0.0), 3)
	return shaped


# --- Device Health --------------------------------------------------------------------------------

REPORTING, SILENT, NEVER_REPORTED = "Reporting", "Silent", "Never Reported"
CAL_OVERDUE, CAL_DUE_SOON, CAL_OK, CAL_NOT_SET = "Overdue", "Due Soon", "Up to Date", "Not Set"
#: Scales report only when a truck is weighed; their silence says nothing (as the silent alert).
NOT_CONTINUOUS = ("Scale",)


def calibration_state(due_date: dt.date | None, today: dt.date, lead_days: int) -> str:
	if not due_date:
		return CAL_NOT_SET
	if _as_date(due_date) < today:
		return CAL_OVERDUE
	return CAL_DUE_SOON if alerting.calibration_is_due(_as_date(due_date), today, lead_days) else CAL_OK


def shape_device(row: Mapping, now: dt.datetime, lead_days: int) -> dict:
	"""A health row: minutes since last heard, whether it is silent (the alert's rule), and its
	calibration state; ``problem`` when silent or calibration is due or overdue."""
	shaped = dict(row)
	last_seen = row.get("last_seen_at")
	continuous = row.get("device_type") not in NOT_CONTINUOUS and row.get("is_active")
	since = (
		alerting.silent_since(last_seen, row.get("creation") or now, now, row.get("stale_after_minutes"))
		if continuous
		else None
	)
	shaped["minutes_since_seen"] = int((now - last_seen).total_seconds() // 60) if last_seen else None
	shaped["silent"] = int(bool(since))
	shaped["connection"] = (NEVER_REPORTED if not last_seen else SILENT) if since else REPORTING
	shaped["calibration"] = calibration_state(row.get("calibration_due_date"), now.date(), lead_days)
	shaped["days_to_calibration"] = days_between(row.get("calibration_due_date"), now.date())
	shaped["problem"] = int(bool(since) or shaped["calibration"] in (CAL_OVERDUE, CAL_DUE_SOON))
	return shaped


# --- User Access Audit ----------------------------------------------------------------------------

DESK_USER = alerting.SYSTEM_USER
FLAG_NO_GRANT = _("Desk user with no site grant")
FLAG_DISABLED_WITH_GRANTS = _("Disabled user still holds site grants")
FLAG_SYSTEM_MANAGER = _("System Manager")
FLAG_API_KEY = _("API key")
FLAGS = (FLAG_NO_GRANT, FLAG_DISABLED_WITH_GRANTS, FLAG_SYSTEM_MANAGER, FLAG_API_KEY)
#: Users Frappe creates itself; never reviewed.
BUILT_IN_USERS = ("Guest",)


def access_flags(
	*, enabled: bool, user_type: str | None, roles: Iterable[str], sites: Sequence[str], has_api_key: bool
) -> list[str]:
	"""What the monthly access review must look at for one user. A System Manager sees every site
	without a grant, so lacking one is not flagged for them; being one is."""
	roles = set(roles)
	flags = []
	if enabled and user_type == DESK_USER and not sites and SYSTEM_MANAGER not in roles:
		flags.append(FLAG_NO_GRANT)
	if not enabled and sites:
		flags.append(FLAG_DISABLED_WITH_GRANTS)
	if SYSTEM_MANAGER in roles:
		flags.append(FLAG_SYSTEM_MANAGER)
	if has_api_key:
		flags.append(FLAG_API_KEY)
	return flags


def is_reviewed(user: str, enabled: bool, sites: Sequence[str]) -> bool:
	"""Every enabled user, and every disabled one still holding grants."""
	return user not in BUILT_IN_USERS and (enabled or bool(sites))


def check_date_order(start: dt.date | None, end: dt.date | None) -> None:
	"""A report's To Date may not come before its From Date (either may be open)."""
	if start and end and end < start:
		raise RuleError(
			Kind.DATES, _("To Date {0} must not be before From Date {1}"), end, start, field="to_date"
		)
