"""Chart sources of the Desk (Dashboard Chart Source): each reads through ``frappe.get_list`` for the
session user, so a user sees only the sites granted to them (and nothing without a grant).

Frappe calls a source's method with ``chart_name``, ``filters`` and the chart's time arguments."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, cint, format_date, format_datetime, getdate, now_datetime, today

from yam_agri_core.desk import scope
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
	"""Chart source "Bin Temperature": mean temperature per bin over 24 hours (per hour), 7 or 30 days
	(per day) or a year (per month), read from the hourly rollups (``Observation Hourly``) through the
	user's site permissions. Valid and Warning readings only (quarantined ones when the filter asks).

	A bucket where a bin has nothing to draw is a gap (frappe-charts draws a missing value of a line at
	zero, so the chart is a bar chart: no bar, not a bar at 0 °C), and a bin with quarantined readings
	in the window says so in its legend name."""
	filters = scope.parse_filters(filters)
	now = now_datetime()
	start, bucket = dashboards.period_window(filters.get("period"), now)
	conditions = {
		**scope.site_filter(filters),
		"metric": "Temperature",
		"hour": [">=", start],
		"storage_bin": ["is", "set"],
	}
	if filters.get("storage_bin"):
		conditions["storage_bin"] = filters.storage_bin
	slot_fields, group = SLOT_FIELDS[bucket]
	rows = scope.read(
		"Observation Hourly",
		filters=conditions,
		fields=[
			"storage_bin",
			*slot_fields,
			"sum(value_sum) as total",
			"sum(valid_count) as valid",
			"sum(warning_count) as warning",
			"max(value_max) as highest",
			"sum(quarantine_count) as quarantined",
			"sum(quarantine_sum) as quarantined_total",
			"max(quarantine_max) as highest_quarantined",
		],
		group_by=f"storage_bin, {group}",
		order_by="storage_bin",
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


#: The fields and GROUP BY of each bucket of the temperature chart (over the rollups' ``hour``).
SLOT_FIELDS = {
	dashboards.HOURLY: (["hour"], "hour"),
	dashboards.DAILY: (["date(hour) as day"], "day"),
	dashboards.MONTHLY: (["year(hour) as year", "month(hour) as month"], "year, month"),
}


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
