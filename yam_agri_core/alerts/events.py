"""Alerts raised by a document event, in the same transaction as the event: a mismatched scale
ticket on submit, a Critical nonconformance when it is opened (or raised to Critical)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import format_datetime, strip_html

from yam_agri_core.alerts import delivery
from yam_agri_core.alerts.delivery import AlertItem, Message
from yam_agri_core.rules import alerting, capa, weighing


def alert_scale_ticket_mismatch(ticket) -> None:
	"""The site's Quality Managers learn of the ticket, its deviation and its nonconformance."""
	if not ticket.mismatch_flag:
		return
	item = AlertItem(
		key=alerting.alert_key(alerting.SCALE_TICKET_MISMATCH, ticket.name),
		doctype="Scale Ticket",
		name=ticket.name,
		occurrence=str(ticket.ticket_datetime or ""),
	)
	delivery.send_alert(
		alerting.SCALE_TICKET_MISMATCH, ticket.site, [item], lambda claimed: mismatch_message(ticket)
	)


def alert_critical_nonconformance(nc) -> None:
	"""The site's Quality Managers and Platform Owners learn of a Critical nonconformance once."""
	if nc.severity != capa.CRITICAL or nc.status == capa.CLOSED:
		return
	item = AlertItem(
		key=alerting.alert_key(alerting.CRITICAL_NONCONFORMANCE, nc.name),
		doctype="Nonconformance",
		name=nc.name,
	)
	delivery.send_alert(
		alerting.CRITICAL_NONCONFORMANCE, nc.site, [item], lambda claimed: critical_nc_message(nc)
	)


def mismatch_message(ticket) -> Message:
	label = delivery.site_label(ticket.site)
	deviation = f"{ticket.deviation_pct:+.2f}%"
	net_kg, expected_kg = weighing.format_kg(ticket.net_kg), weighing.format_kg(ticket.expected_net_kg)

	def sheet(lang: str) -> delivery.Sheet:
		return delivery.Sheet(
			subject=_("[{0}] Scale ticket {1} weight mismatch {2}", lang=lang).format(
				ticket.site, ticket.ticket_no or ticket.name, deviation
			),
			intro=_(
				"Scale ticket {0} of site {1} weighed {2} kg net against {3} kg expected: a deviation of {4}, "
				"beyond the tolerance of {5}%.",
				lang=lang,
			).format(
				ticket.ticket_no or ticket.name,
				label,
				net_kg,
				expected_kg,
				deviation,
				f"{ticket.tolerance_pct:g}",
			),
			headers=delivery.fact_headers(lang),
			rows=[
				(_("Scale Ticket", lang=lang), delivery.link("Scale Ticket", ticket.name)),
				(_("Ticket No", lang=lang), frappe.utils.escape_html(ticket.ticket_no or "")),
				(_("Ticket Date and Time", lang=lang), format_datetime(ticket.ticket_datetime)),
				(_("Direction", lang=lang), _(ticket.direction, lang=lang) if ticket.direction else ""),
				(_("Vehicle", lang=lang), frappe.utils.escape_html(ticket.vehicle or "")),
				(_("Lot", lang=lang), delivery.link("Lot", ticket.lot) if ticket.lot else ""),
				(_("Net Weight (kg)", lang=lang), net_kg),
				(_("Expected Net Weight (kg)", lang=lang), expected_kg),
				(_("Deviation (%)", lang=lang), deviation),
				(_("Tolerance (%)", lang=lang), f"{ticket.tolerance_pct:g}%"),
				(
					_("Nonconformance", lang=lang),
					delivery.link("Nonconformance", ticket.nonconformance) if ticket.nonconformance else "",
				),
			],
			todo=_(
				"What to do: investigate the nonconformance: re-weigh the truck if it is still on site, check "
				"the sender's declared weight and the scale's calibration, and record the root cause.",
				lang=lang,
			),
		)

	return delivery.sheet_message("Scale Ticket", ticket.name, sheet)


def critical_nc_message(nc) -> Message:
	label = delivery.site_label(nc.site)
	summary = strip_html(nc.description or "").strip()
	if len(summary) > 300:
		summary = summary[:300] + "…"

	def sheet(lang: str) -> delivery.Sheet:
		return delivery.Sheet(
			subject=_("[{0}] Critical nonconformance {1}: {2}", lang=lang).format(
				nc.site, nc.name, _(nc.nc_type, lang=lang)
			),
			intro=_("A Critical nonconformance was opened at site {0}.", lang=lang).format(label),
			headers=delivery.fact_headers(lang),
			rows=[
				(_("Nonconformance", lang=lang), delivery.link("Nonconformance", nc.name)),
				(_("Type", lang=lang), _(nc.nc_type, lang=lang)),
				(_("Status", lang=lang), _(nc.status, lang=lang)),
				(_("Due Date", lang=lang), frappe.format_value(nc.due_date, {"fieldtype": "Date"})),
				(_("Lot", lang=lang), delivery.link("Lot", nc.lot) if nc.lot else ""),
				(_("Description", lang=lang), frappe.utils.escape_html(summary)),
			],
			todo=_(
				"What to do: contain the affected lots now (hold, do not release or ship), assign an owner and "
				"record the root cause. Only a Quality Manager can close a Critical nonconformance.",
				lang=lang,
			),
		)

	return delivery.sheet_message("Nonconformance", nc.name, sheet)
