"""One mismatch digest per scale ticket import, instead of one mail per ticket.

Each ticket is claimed under the same alert key a single submit uses
(:func:`yam_agri_core.alerts.events.alert_scale_ticket_mismatch`), so a ticket is never alerted twice
whichever path alerts it first.
"""

from __future__ import annotations

from collections.abc import Sequence

import frappe
from frappe import _

from yam_agri_core.alerts import delivery
from yam_agri_core.alerts.delivery import AlertItem, Digest, Message
from yam_agri_core.rules import alerting, weighing


def alert_import_mismatches(site: str, tickets: Sequence, import_name: str | None = None) -> int:
	"""Tell the site's Quality Managers, once, about the mismatched ``tickets`` (Scale Ticket documents
	or dicts with their fields) of one import; returns how many tickets the digest lists."""
	tickets = [frappe._dict(t.as_dict() if hasattr(t, "as_dict") else t) for t in tickets]
	tickets = [t for t in tickets if t.mismatch_flag]
	if not tickets:
		return 0
	by_name = {t.name: t for t in tickets}
	items = [
		AlertItem(
			key=alerting.alert_key(alerting.SCALE_TICKET_MISMATCH, t.name),
			doctype="Scale Ticket",
			name=t.name,
			occurrence=str(t.ticket_datetime or ""),
		)
		for t in tickets
	]

	def message(claimed: Sequence[AlertItem]) -> Message:
		return import_digest_message(site, [by_name[item.name] for item in claimed], import_name)

	sent = delivery.send_alert(alerting.SCALE_TICKET_MISMATCH, site, items, message)
	return len(sent.items) if sent else 0


def import_digest_message(site: str, tickets: Sequence[dict], import_name: str | None) -> Message:
	def write(lang: str, label: str) -> Digest:
		source = import_name or _("a file", lang=lang)
		return Digest(
			one=_("[{0}] Scale ticket import {1}: 1 weight mismatch", lang=lang).format(site, source),
			many=_("[{0}] Scale ticket import {1}: {2} weight mismatches", lang=lang).format(
				site, source, len(tickets)
			),
			intro=_(
				"The scale ticket import {0} of site {1} brought in {2} tickets whose net weight deviates "
				"from the expected weight beyond the tolerance; each has its Weight Mismatch nonconformance.",
				lang=lang,
			).format(source, label, len(tickets)),
			headers=(
				_("Scale Ticket", lang=lang),
				_("Ticket No", lang=lang),
				_("Lot", lang=lang),
				_("Net Weight (kg)", lang=lang),
				_("Expected Net Weight (kg)", lang=lang),
				_("Deviation (%)", lang=lang),
				_("Nonconformance", lang=lang),
			),
			cells=lambda t: (
				delivery.link("Scale Ticket", t.name),
				frappe.utils.escape_html(t.ticket_no or ""),
				delivery.link("Lot", t.lot) if t.lot else "",
				weighing.format_kg(t.net_kg),
				weighing.format_kg(t.expected_net_kg),
				f"{t.deviation_pct:+.2f}%",
				delivery.link("Nonconformance", t.nonconformance) if t.nonconformance else "",
			),
			todo=_(
				"What to do: investigate each nonconformance: re-weigh the trucks still on site, check the "
				"senders' declared weights and the scale's calibration, and record the root causes.",
				lang=lang,
			),
		)

	return delivery.digest_message(site, tickets, "Scale Ticket", write)
