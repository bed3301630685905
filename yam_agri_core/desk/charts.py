"""Chart sources of the Desk (Dashboard Chart Source): each reads through ``frappe.get_list`` for the
session user, so a user sees only the sites granted to them (and nothing without a grant).

Frappe calls a source's method with ``chart_name``, ``filters`` and the chart's time arguments."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder import Table
from frappe.query_builder.functions import Date, Extract, Max, Sum
from frappe.utils import add_days, cint, format_date, format_datetime, getdate, now_datetime, today
from pypika.enums import DatePart

from yam_agri_core.desk import scope
from yam_agri_core.monitoring import rollups
from yam_agri_core.permissions import get_allowed_sites
from yam_agri_core.rules import dashboards


def chart(labels: list[str], datasets: list[tuple[str, list]], chart_type: str | None = None) -> dict:
	"""The chart's data; ``{}`` when there is nothing to draw: Desk then says "No Data" (frappe-charts
	throws on a chart with no labels or no datasets)."""
	if not labels or not datasets:
		return {}
	out = {"labels": labels, "datasets": [{"name": name, "values": values} for name, values in datasets]}
	if chart_type:
		out["type"] = chart_type
	return out


@frappe.whitelist()
def get_bin_temperature(
	chart_name: str | None = None, filters: str | list | dict | None = None, **kwargs
) -> dict:
	"""Chart source "Bin Temperature": mean temperature per bin over 24 hours (per hour, from the hourly
	rollups ``Observation Hourly``), 7 or 30 days (per day) or a year (per month, from their day table),
	through the user's site permissions. Valid and Warning readings only (quarantined ones when the filter asks).

	A bucket where a bin has nothing to draw is a gap (frappe-charts draws a missing value of a line at
	zero, so the chart is a bar chart: no bar, not a bar at 0 °C), and a bin with quarantined readings
	in the window says so in its legend name."""
	filters = scope.parse_filters(filters)
	now = now_datetime()
	start, bucket = dashboards.period_window(filters.get("period"), now)
	rows = (
		hourly_rows(filters, start)
		if bucket == dashboards.HOURLY
		else daily_rows(filters, start.date(), bucket)
	)
	drawn = dashboards.temperature_series(
		rows, start, now, bucket, include_quarantined=bool(cint(filters.get("include_quarantined")))
	)
	if not drawn.series:
		return {}
	bins = [name for name, _values in drawn.series]
	info = {
		name: (code, site)
		for name, code, site in frappe.get_all(
			"Storage Bin", {"name": ["in", bins]}, ["name", "bin_code", "site"], as_list=True
		)
	}
	legend = dashboards.legend_names(bins, info)
	pattern = dashboards.LABEL_FORMATS[bucket]
	show = format_datetime if bucket == dashboards.HOURLY else format_date
	return chart(
		[show(slot, pattern) for slot in drawn.slots],
		[
			(
				(_("{0} (quarantined)").format(legend[b][0]) if b in drawn.quarantined else legend[b][0])
				+ legend[b][1],
				values,
			)
			for b, values in drawn.series
		],
	)


#: What the temperature chart sums per bin and bucket.
FIGURES = (
	"sum(value_sum) as total",
	"sum(valid_count) as valid",
	"sum(warning_count) as warning",
	"max(value_max) as highest",
	"sum(quarantine_count) as quarantined",
	"sum(quarantine_sum) as quarantined_total",
	"max(quarantine_max) as highest_quarantined",
)


def hourly_rows(filters: frappe._dict, start) -> list[dict]:
	"""The last hours per bin from the hourly rollups, through ``frappe.get_list`` (site permissions)."""
	conditions = {
		**scope.site_filter(filters),
		"metric": "Temperature",
		"hour": [">=", start],
		"storage_bin": ["is", "set"],
	}
	if filters.get("storage_bin"):
		conditions["storage_bin"] = filters.storage_bin
	return scope.read(
		"Observation Hourly",
		filters=conditions,
		fields=["storage_bin", "hour", *FIGURES],
		group_by="storage_bin, hour",
		order_by="storage_bin",
	)


def daily_rows(filters: frappe._dict, start, bucket: str) -> list[dict]:
	"""Days (or months) per bin from the day table of the rollups, restricted to the sites the user
	may read Observation Hourly of (the permission the hourly rows are read with)."""
	if not scope.can_read("Observation Hourly"):
		return []
	sites = get_allowed_sites(doctype="Observation Hourly")
	if sites == []:
		return []
	day = Table(rollups.DAILY_TABLE.strip("`"))
	if bucket == dashboards.DAILY:
		slot = {"day": Date(day.day)}
	else:
		slot = {"year": Extract(DatePart.year, day.day), "month": Extract(DatePart.month, day.day)}
	figures = {
		"total": Sum(day.value_sum),
		"valid": Sum(day.valid_count),
		"warning": Sum(day.warning_count),
		"highest": Max(day.value_max),
		"quarantined": Sum(day.quarantine_count),
		"quarantined_total": Sum(day.quarantine_sum),
		"highest_quarantined": Max(day.quarantine_max),
	}
	query = (
		frappe.qb.from_(day)
		.select(day.storage_bin, *(term.as_(alias) for alias, term in {**slot, **figures}.items()))
		.where((day.metric == "Temperature") & (day.day >= start) & (day.storage_bin != ""))
		.groupby(day.storage_bin, *slot.values())
	)
	if sites is not None:
		query = query.where(day.site.isin(sites))
	if filters.get("site"):
		query = query.where(day.site == filters.site)
	if filters.get("storage_bin"):
		query = query.where(day.storage_bin == filters.storage_bin)
	return query.run(as_dict=True)


@frappe.whitelist()
def get_nonconformances_by_status(
	chart_name: str | None = None, filters: str | list | dict | None = None, **kwargs
) -> dict:
	"""Chart source "Nonconformances by Status and Severity"."""
	filters = scope.parse_filters(filters)
	rows = scope.read(
		"Nonconformance",
		filters=scope.site_filter(filters),
		fields=["status", "severity", "count(*) as count"],
		group_by="status, severity",
		order_by="status",
	)
	statuses, datasets = dashboards.status_severity_matrix(
		rows, bool(frappe.utils.cint(filters.get("include_closed")))
	)
	return chart([_(s) for s in statuses], [(_(sev), values) for sev, values in datasets])


@frappe.whitelist()
def get_weighed_per_day(
	chart_name: str | None = None, filters: str | list | dict | None = None, **kwargs
) -> dict:
	"""Chart source "Weighed kg per Day": net kg of submitted scale tickets, Inbound and Outbound."""
	filters = scope.parse_filters(filters)
	end = getdate(today())
	start = getdate(add_days(end, 1 - dashboards.clamp_days(filters.get("days"))))
	rows = scope.read(
		"Scale Ticket",
		filters={
			**scope.site_filter(filters),
			"docstatus": 1,
			"ticket_datetime": [">=", start],
		},
		fields=["date(ticket_datetime) as day", "direction", "sum(net_kg) as net_kg"],
		group_by="day, direction",
		order_by="day",
	)
	labels, datasets = dashboards.weighed_per_day(rows, start, end)
	return chart([format_date(d) for d in labels], [(_(d), values) for d, values in datasets])


@frappe.whitelist()
def get_grain_on_hand(
	chart_name: str | None = None, filters: str | list | dict | None = None, **kwargs
) -> dict:
	"""Chart source "Grain on Hand by Site and Crop": available kg of lots not Shipped or Rejected."""
	filters = scope.parse_filters(filters)
	rows = scope.read(
		"Lot",
		filters={**scope.site_filter(filters), "status": ["not in", dashboards.LOT_STATUSES_OFF_HAND]},
		fields=["site", "crop", "sum(available_qty_kg) as kg"],
		group_by="site, crop",
		order_by="site",
	)
	sites, datasets = dashboards.on_hand_matrix(rows)
	return chart(sites, [(_(crop) if crop else _("No Crop"), values) for crop, values in datasets])
