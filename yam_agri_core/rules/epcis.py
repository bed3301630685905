"""The EPCIS 2.0 export: a genealogy or a site's period as GS1 traceability events (JSON-LD).

``build_epcis_document`` turns plain records (read by the Frappe side) into one ``EPCISDocument``:

- a lot harvested (``lot_type`` Harvest): ObjectEvent ADD ``commissioning`` at its harvest date, and
  ``receiving`` OBSERVE when it also has a receipt date; any other lot with a receipt date: ObjectEvent
  ADD ``receiving`` (its supplier as the owning source). Lots made by a transfer have no event of their
  own: the transfer's TransformationEvent creates them;
- a submitted scale ticket: ObjectEvent OBSERVE ``receiving`` (Inbound) or ``shipping`` (Outbound)
  with the net weight as ``quantityList`` in KGM and the ticket as business transaction;
- a submitted lot transfer: TransformationEvent with its sources and destinations in KGM,
  ``transformationID`` the transfer, the process loss as ``yam:processLossKg``;
- a QC test: ObjectEvent OBSERVE ``inspecting``, disposition ``conformant`` / ``non_conformant`` from
  its result, the test as business transaction ``testres`` and its type, value and unit as
  ``yam:`` extension fields;
- readings: per device, lot and day, one ObjectEvent OBSERVE ``sensor_reporting`` with a
  ``sensorElementList`` (a ``sensorReport`` per reading, in UN/ECE units); every element carries its
  ``yam:qualityFlag`` and, when it is not Valid, its ``yam:flagReason``, so a quarantined reading is
  exported for review but plainly marked.

Times are the sites' local times with their offsets (``+03:00`` by default); events are ordered by time.
The caller chooses the records (a lot's genealogy, or a site and period) and passes only submitted,
not cancelled, tickets and transfers. Identifiers: ``rules.epcis_ids``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from urllib.parse import quote

from yam_agri_core.rules.epcis_ids import (
	CO2_SUBSTANCE,
	EPCIS_CONTEXT,
	KGM,
	NS_PREFIX,
	UNECE_UNITS,
	IdScheme,
	iso_time,
	local_time,
	measurement_type,
)
from yam_agri_core.rules.messages import Kind, RuleError, _

HARVEST = "Harvest"
INBOUND, OUTBOUND = "Inbound", "Outbound"
QUARANTINE = "Quarantine"


@dataclass(frozen=True)
class SiteRecord:
	code: str
	name: str = ""
	governorate: str = ""
	gln: str = ""
	utc_offset: str = ""


@dataclass(frozen=True)
class LotRecord:
	name: str
	crop: str
	site: str
	variety: str = ""
	lot_type: str = ""
	status: str = ""
	season: str = ""
	declared_qty_kg: float = 0.0
	available_qty_kg: float = 0.0
	harvest_date: date | None = None
	receipt_date: date | datetime | None = None
	supplier: str = ""


@dataclass(frozen=True)
class TicketRecord:
	name: str
	site: str
	lot: str
	direction: str
	net_kg: float
	ticket_datetime: datetime
	ticket_no: str = ""


@dataclass(frozen=True)
class TransferRecord:
	name: str
	site: str
	transfer_date: date | datetime
	#: (lot, kg) taken from each source and put into each destination
	inputs: Sequence[tuple[str, float]] = ()
	outputs: Sequence[tuple[str, float]] = ()
	loss_kg: float = 0.0
	transfer_type: str = ""
	#: when it was submitted, if known (more precise than the transfer date)
	posted_at: datetime | None = None


@dataclass(frozen=True)
class QCRecord:
	name: str
	lot: str
	site: str
	test_type: str
	test_date: date | datetime
	result: str = ""
	value: float | None = None
	unit: str = ""


@dataclass(frozen=True)
class ReadingRecord:
	device: str
	site: str
	metric: str
	value: float
	unit: str
	observed_at: datetime
	lot: str = ""
	storage_bin: str = ""
	quality_flag: str = ""
	flag_reason: str = ""


@dataclass
class _Context:
	ids: IdScheme
	sites: dict[str, SiteRecord]
	crops: dict[str, str] = field(default_factory=dict)

	def site(self, code: str) -> SiteRecord:
		return self.sites.get(code) or SiteRecord(code=code)

	def lot(self, name: str) -> str:
		return self.ids.lot(name, self.crops.get(name, ""))

	def where(self, site_code: str, storage_bin: str = "") -> dict:
		site = self.site(site_code)
		location = self.ids.site(site.code, site.gln)
		read_point = (
			f"{location}/bin/{quote(storage_bin, safe='')}" if storage_bin and not site.gln else location
		)
		return {"readPoint": {"id": read_point}, "bizLocation": {"id": location}}

	def when(self, value: date | datetime, site_code: str) -> dict:
		at = local_time(value, self.site(site_code).utc_offset)
		return {"eventTime": iso_time(at), "eventTimeZoneOffset": at.isoformat()[-6:]}

	def qty(self, lot: str, kg: float | None = None) -> dict:
		element = {"epcClass": self.lot(lot)}
		if kg is not None:
			element.update(quantity=round(float(kg), 3), uom=KGM)
		return element


def build_epcis_document(
	ids: IdScheme,
	sites: Iterable[SiteRecord],
	lots: Iterable[LotRecord] = (),
	tickets: Iterable[TicketRecord] = (),
	transfers: Iterable[TransferRecord] = (),
	qc_tests: Iterable[QCRecord] = (),
	readings: Iterable[ReadingRecord] = (),
	*,
	created_at: datetime | None = None,
	document_id: str = "",
	crops: dict[str, str] | None = None,
) -> dict:
	"""One EPCIS 2.0 ``EPCISDocument`` of the records (see the module docstring).

	``crops`` maps lots not in ``lots`` (a transfer's or a ticket's) to their crop, which a GS1 Digital
	Link needs."""
	lots = list(lots)
	ctx = _Context(ids, {s.code: s for s in sites}, dict(crops or {}))
	ctx.crops.update({lot.name: lot.crop for lot in lots})
	events = [
		*(event for lot in lots for event in _lot_events(ctx, lot)),
		*(_ticket_event(ctx, ticket) for ticket in tickets if ticket.lot),
		*(_transfer_event(ctx, transfer) for transfer in transfers),
		*(_qc_event(ctx, test) for test in qc_tests),
		*_reading_events(ctx, readings),
	]
	events.sort(key=lambda event: (_instant(event["eventTime"]), event["eventID"]))
	created_at = (created_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
	document = {
		"@context": [EPCIS_CONTEXT, {NS_PREFIX: ids.namespace}],
		"type": "EPCISDocument",
		"schemaVersion": "2.0",
		"creationDate": iso_time(created_at),
		"epcisHeader": {"epcisMasterData": {"vocabularyList": _master_data(ctx, lots)}},
		"epcisBody": {"eventList": events},
	}
	if document_id:
		document = {"id": ids.uri("epcis", document_id), **document}
	return document


def _instant(text: str) -> datetime:
	return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _lot_events(ctx: _Context, lot: LotRecord) -> list[dict]:
	declared = ctx.qty(lot.name, lot.declared_qty_kg) if lot.declared_qty_kg else ctx.qty(lot.name)
	common = {"type": "ObjectEvent", "quantityList": [declared], **ctx.where(lot.site)}
	if lot.supplier:
		party = ctx.ids.uri("party", lot.supplier)
		common["sourceList"] = [{"type": "owning_party", "source": party}]
	events = []
	harvested = lot.lot_type == HARVEST and lot.harvest_date is not None
	if harvested:
		events.append(
			{
				"eventID": ctx.ids.event("harvest", lot.name),
				**ctx.when(lot.harvest_date, lot.site),
				**common,
				"action": "ADD",
				"bizStep": "commissioning",
				"disposition": "active",
				"ilmd": _lot_master(ctx, lot),
			}
		)
	if lot.receipt_date:
		events.append(
			{
				"eventID": ctx.ids.event("receipt", lot.name),
				**ctx.when(lot.receipt_date, lot.site),
				**common,
				"action": "OBSERVE" if harvested else "ADD",
				"bizStep": "receiving",
				"disposition": "in_progress",
				**({} if harvested else {"ilmd": _lot_master(ctx, lot)}),
			}
		)
	return events


def _lot_master(ctx: _Context, lot: LotRecord) -> dict:
	values = {"crop": lot.crop, "variety": lot.variety, "season": lot.season, "lotType": lot.lot_type}
	return {ctx.ids.term(key): value for key, value in values.items() if value}


def _ticket_event(ctx: _Context, ticket: TicketRecord) -> dict:
	if ticket.direction not in (INBOUND, OUTBOUND):
		raise RuleError(
			Kind.VALIDATION,
			_("Scale ticket {0}: direction must be Inbound or Outbound"),
			ticket.name,
			field="direction",
		)
	inbound = ticket.direction == INBOUND
	event = {
		"eventID": ctx.ids.event("ticket", ticket.name),
		"type": "ObjectEvent",
		**ctx.when(ticket.ticket_datetime, ticket.site),
		"action": "OBSERVE",
		"bizStep": "receiving" if inbound else "shipping",
		"disposition": "in_progress" if inbound else "in_transit",
		"quantityList": [ctx.qty(ticket.lot, ticket.net_kg)],
		**ctx.where(ticket.site),
		"bizTransactionList": [
			{"type": ctx.ids.vocab_uri("scaleTicket"), "bizTransaction": ctx.ids.uri("ticket", ticket.name)}
		],
	}
	if ticket.ticket_no:
		event[ctx.ids.term("ticketNo")] = ticket.ticket_no
	return event


def _transfer_event(ctx: _Context, transfer: TransferRecord) -> dict:
	if not transfer.inputs or not transfer.outputs:
		raise RuleError(
			Kind.VALIDATION,
			_("Lot transfer {0} needs source and destination lots to be exported"),
			transfer.name,
		)
	event = {
		"eventID": ctx.ids.event("transfer", transfer.name),
		"type": "TransformationEvent",
		**ctx.when(transfer.posted_at or transfer.transfer_date, transfer.site),
		"inputQuantityList": [ctx.qty(lot, kg) for lot, kg in transfer.inputs],
		"outputQuantityList": [ctx.qty(lot, kg) for lot, kg in transfer.outputs],
		"transformationID": ctx.ids.uri("transfer", transfer.name),
		"bizStep": "commissioning",
		"disposition": "active",
		**ctx.where(transfer.site),
		ctx.ids.term("processLossKg"): round(float(transfer.loss_kg or 0), 3),
	}
	if transfer.transfer_type:
		event[ctx.ids.term("transferType")] = transfer.transfer_type
	return event


def _qc_event(ctx: _Context, test: QCRecord) -> dict:
	event = {
		"eventID": ctx.ids.event("qc", test.name),
		"type": "ObjectEvent",
		**ctx.when(test.test_date, test.site),
		"action": "OBSERVE",
		"bizStep": "inspecting",
		"quantityList": [ctx.qty(test.lot)],
		**ctx.where(test.site),
		"bizTransactionList": [{"type": "testres", "bizTransaction": ctx.ids.uri("qc", test.name)}],
		ctx.ids.term("testType"): test.test_type,
	}
	if test.result in ("Pass", "Fail"):
		event["disposition"] = "conformant" if test.result == "Pass" else "non_conformant"
		event[ctx.ids.term("testResult")] = test.result
	if test.value is not None:
		event[ctx.ids.term("testValue")] = float(test.value)
		if test.unit:
			event[ctx.ids.term("testUnit")] = test.unit
	return event


def _reading_events(ctx: _Context, readings: Iterable[ReadingRecord]) -> list[dict]:
	groups: dict[tuple, list[tuple[datetime, ReadingRecord]]] = {}
	for reading in readings:
		at = local_time(reading.observed_at, ctx.site(reading.site).utc_offset)
		key = (reading.site, reading.device, reading.lot, reading.storage_bin, at.date())
		groups.setdefault(key, []).append((at, reading))
	return [_reading_event(ctx, key, sorted(group, key=lambda g: g[0])) for key, group in groups.items()]


def _reading_event(ctx: _Context, key: tuple, group: list[tuple[datetime, ReadingRecord]]) -> dict:
	site, device, lot, storage_bin, day = key
	last_at = group[-1][0]
	event = {
		"eventID": ctx.ids.event("readings", f"{site}/{device}/{lot}/{storage_bin}/{day.isoformat()}"),
		"type": "ObjectEvent",
		"eventTime": iso_time(last_at),
		"eventTimeZoneOffset": last_at.isoformat()[-6:],
		"action": "OBSERVE",
		"bizStep": "sensor_reporting",
		**({"quantityList": [ctx.qty(lot)]} if lot else {}),
		**ctx.where(site, storage_bin),
		"sensorElementList": [_sensor_element(ctx, at, reading) for at, reading in group],
	}
	quarantined = sum(1 for _at, reading in group if reading.quality_flag == QUARANTINE)
	if quarantined:
		event[ctx.ids.term("quarantinedReadings")] = quarantined
	return event


def _sensor_element(ctx: _Context, at: datetime, reading: ReadingRecord) -> dict:
	report = {"type": measurement_type(ctx.ids, reading.metric), "value": float(reading.value)}
	if reading.unit in UNECE_UNITS:
		report["uom"] = UNECE_UNITS[reading.unit]
	elif reading.unit:
		report[ctx.ids.term("unit")] = reading.unit
	if reading.metric == "CO2":
		report["chemicalSubstance"] = CO2_SUBSTANCE
	element = {
		"sensorMetadata": {"time": iso_time(at), "deviceID": ctx.ids.uri("device", reading.device)},
		"sensorReport": [report],
	}
	if reading.quality_flag:
		element[ctx.ids.term("qualityFlag")] = reading.quality_flag
	if reading.quality_flag and reading.quality_flag != "Valid" and reading.flag_reason:
		element[ctx.ids.term("flagReason")] = reading.flag_reason
	return element


def _master_data(ctx: _Context, lots: Sequence[LotRecord]) -> list[dict]:
	"""Names of the sites (business locations) and crops of the lots (lot classes), for a reader who
	has no access to the app."""
	locations = [
		{
			"id": ctx.ids.site(site.code, site.gln),
			"attributes": [
				{"id": attr, "attribute": value}
				for attr, value in (
					("urn:epcglobal:cbv:mda#name", site.name or site.code),
					("urn:epcglobal:cbv:mda#countryCode", "YE"),
					(ctx.ids.vocab_uri("governorate"), site.governorate),
				)
				if value
			],
		}
		for site in ctx.sites.values()
	]
	classes = [
		{
			"id": ctx.lot(lot.name),
			"attributes": [
				{"id": ctx.ids.vocab_uri(term.split(":", 1)[1]), "attribute": value}
				for term, value in _lot_master(ctx, lot).items()
			],
		}
		for lot in lots
	]
	vocabularies = [
		{"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": locations}
	]
	if classes:
		vocabularies.append({"type": "urn:epcglobal:epcis:vtype:EPCClass", "vocabularyElementList": classes})
	return vocabularies
