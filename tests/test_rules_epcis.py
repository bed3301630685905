"""The EPCIS 2.0 export, validated against GS1's own JSON Schema (``shared/standards/epcis``)."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from yam_agri_core.rules.epcis import (
	LotRecord,
	QCRecord,
	ReadingRecord,
	SiteRecord,
	TicketRecord,
	TransferRecord,
	build_epcis_document,
)
from yam_agri_core.rules.epcis_ids import (
	EPCIS_CONTEXT,
	IdScheme,
	check_gln,
	gs1_check_digit,
	gtin14,
	iso_time,
	local_time,
)
from yam_agri_core.rules.messages import RuleError

#: GS1's EPCIS 2.0 schema and examples, laid beside this repository (as in CI).
EPCIS_DIR = Path(__file__).resolve().parents[2] / "shared" / "standards" / "epcis"
BASE = "https://yam-agri.example/id/"
FARM, SILO = "YEM-SAN-FARM-01", "YEM-TAI-SILO-01"


# --- the validator -----------------------------------------------------------------------------------

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@pytest.fixture(scope="session")
def validator():
	"""A Draft 7 validator of GS1's schema that also checks the ``uri`` and ``date-time`` formats
	(jsonschema skips them without optional packages, and most of the schema's rules on extension
	names rest on them)."""
	jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in requirements-ops.txt")
	path = EPCIS_DIR / "EPCIS-JSON-Schema.json"
	if not path.exists():
		pytest.skip(f"GS1's EPCIS schema is not at {path}")
	schema = json.loads(path.read_text(encoding="utf-8"))
	assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
	checker = jsonschema.FormatChecker(formats=())
	checker.checks("uri")(lambda value: not isinstance(value, str) or bool(_URI.match(value)))
	checker.checks("date-time")(lambda value: not isinstance(value, str) or bool(_DATE_TIME.match(value)))
	return jsonschema.Draft7Validator(schema, format_checker=checker)


def errors(validator, document) -> list[str]:
	return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize("example", ["Example_9.6.4-TransformationEvent.jsonld", "SensorDataExample1.jsonld"])
def test_gs1_examples_validate(validator, example):
	document = json.loads((EPCIS_DIR / example).read_text(encoding="utf-8"))
	assert errors(validator, document) == []


def test_the_validator_refuses_a_broken_gs1_example(validator):
	document = json.loads((EPCIS_DIR / "SensorDataExample1.jsonld").read_text(encoding="utf-8"))
	del document["epcisBody"]["eventList"][0]["eventTimeZoneOffset"]
	assert errors(validator, document)


# --- a known genealogy -----------------------------------------------------------------------------
# generation 1: LOT-1 harvested at the farm, LOT-2 received at the silo (weighed in);
# generation 2: LTR-1 blends them into LOT-3 (10 kg lost); generation 3: LTR-2 splits LOT-3 into
# LOT-4 (shipped) and LOT-5.

SITES = [
	SiteRecord(FARM, "مزرعة سنحان", "Sana'a"),
	SiteRecord(SILO, "Ta'iz Silo", "Ta'iz", utc_offset="+03:00"),
]
LOTS = [
	LotRecord(
		"LOT-2026-00001",
		"Wheat",
		FARM,
		variety="Bohoth 13",
		lot_type="Harvest",
		season="2026-Spring",
		declared_qty_kg=1000,
		harvest_date=date(2026, 3, 1),
		supplier="Ali Farms",
	),
	LotRecord(
		"LOT-2026-00002",
		"Wheat",
		SILO,
		variety="Bohoth 13",
		lot_type="Storage",
		declared_qty_kg=2000,
		receipt_date=date(2026, 3, 3),
		supplier="Hassan Traders",
	),
	LotRecord("LOT-2026-00003", "Wheat", SILO, lot_type="Storage", declared_qty_kg=2990),
	LotRecord("LOT-2026-00004", "Wheat", SILO, lot_type="Shipment", declared_qty_kg=1500),
	LotRecord("LOT-2026-00005", "Wheat", SILO, lot_type="Storage", declared_qty_kg=1490),
]
TICKETS = [
	TicketRecord(
		"SCL-2026-00001", FARM, "LOT-2026-00001", "Outbound", 1000, datetime(2026, 3, 2, 7, 15), "F-17"
	),
	TicketRecord(
		"SCL-2026-00002", SILO, "LOT-2026-00002", "Inbound", 1995, datetime(2026, 3, 3, 9, 40), "T-901"
	),
	TicketRecord(
		"SCL-2026-00003", SILO, "LOT-2026-00004", "Outbound", 1500, datetime(2026, 3, 9, 14, 5), "T-950"
	),
]
TRANSFERS = [
	TransferRecord(
		"LTR-2026-00001",
		SILO,
		date(2026, 3, 4),
		inputs=[("LOT-2026-00001", 1000), ("LOT-2026-00002", 2000)],
		outputs=[("LOT-2026-00003", 2990)],
		loss_kg=10,
		transfer_type="Blend",
		posted_at=datetime(2026, 3, 4, 11, 0),
	),
	TransferRecord(
		"LTR-2026-00002",
		SILO,
		date(2026, 3, 8),
		inputs=[("LOT-2026-00003", 2990)],
		outputs=[("LOT-2026-00004", 1500), ("LOT-2026-00005", 1490)],
		transfer_type="Split",
	),
]
QC_TESTS = [
	QCRecord("QCT-2026-00001", "LOT-2026-00003", SILO, "Moisture", date(2026, 3, 5), "Pass", 12.5, "%"),
	QCRecord("QCT-2026-00002", "LOT-2026-00005", SILO, "Aflatoxin", date(2026, 3, 8), "Fail", 22.0, "ppb"),
	QCRecord("QCT-2026-00003", "LOT-2026-00004", SILO, "Visual", date(2026, 3, 8)),
]
READINGS = [
	ReadingRecord(
		"TMP-01", SILO, "Temperature", 25.0, "°C", datetime(2026, 3, 6, 8, 0), "LOT-2026-00003", "B1", "Valid"
	),
	ReadingRecord(
		"TMP-01",
		SILO,
		"Temperature",
		42.0,
		"°C",
		datetime(2026, 3, 6, 9, 0),
		"LOT-2026-00003",
		"B1",
		"Quarantine",
		"42 °C is above the critical maximum of 35 °C",
	),
	ReadingRecord(
		"HUM-01", SILO, "Humidity", 65.0, "%", datetime(2026, 3, 6, 8, 0), "LOT-2026-00003", "B1", "Valid"
	),
	ReadingRecord(
		"CO2-01",
		SILO,
		"CO2",
		1500.0,
		"ppm",
		datetime(2026, 3, 6, 8, 0),
		"LOT-2026-00003",
		"B1",
		"Warning",
		"high",
	),
	ReadingRecord(
		"MST-01", SILO, "Grain Moisture", 13.1, "%", datetime(2026, 3, 7, 8, 0), "LOT-2026-00003", "", "Valid"
	),
	ReadingRecord("VLT-01", SILO, "Other", 12.0, "V", datetime(2026, 3, 7, 8, 0)),
]
CREATED = datetime(2026, 3, 10, 6, 0, tzinfo=timezone.utc)


def build(ids: IdScheme | None = None, **overrides) -> dict:
	records = dict(lots=LOTS, tickets=TICKETS, transfers=TRANSFERS, qc_tests=QC_TESTS, readings=READINGS)
	records.update(overrides)
	return build_epcis_document(
		ids or IdScheme(BASE), SITES, **records, created_at=CREATED, document_id="trace-1"
	)


def events_of(document, kind=None, step=None) -> list[dict]:
	return [
		e
		for e in document["epcisBody"]["eventList"]
		if (kind is None or e["type"] == kind) and (step is None or e.get("bizStep") == step)
	]


# --- the document ----------------------------------------------------------------------------------


def test_the_genealogy_document_validates_against_gs1_schema(validator):
	document = build()
	assert errors(validator, document) == []
	json.dumps(document, ensure_ascii=False)  # plain JSON all the way down
	assert document["@context"] == [EPCIS_CONTEXT, {"yam": BASE + "voc/"}]
	assert document["type"] == "EPCISDocument" and document["schemaVersion"] == "2.0"
	assert document["creationDate"] == "2026-03-10T06:00:00.000Z"
	assert document["id"] == BASE + "epcis/trace-1"


def test_every_record_is_one_event_in_time_order():
	document = build()
	events = document["epcisBody"]["eventList"]
	# 1 harvest + 1 receipt (lots) + 3 tickets + 2 transfers + 3 QC + 5 devices' days of readings
	assert len(events) == 15
	times = [datetime.fromisoformat(e["eventTime"].replace("Z", "+00:00")) for e in events]
	assert times == sorted(times)
	assert len({e["eventID"] for e in events}) == 15
	assert {e["eventTimeZoneOffset"] for e in events} == {"+03:00"}


def test_lots_are_commissioned_at_harvest_and_added_at_receipt():
	document = build()
	(harvest,) = events_of(document, "ObjectEvent", "commissioning")
	assert harvest["action"] == "ADD"
	assert harvest["eventTime"] == "2026-03-01T00:00:00.000+03:00"
	assert harvest["quantityList"] == [
		{"epcClass": BASE + "lot/LOT-2026-00001", "quantity": 1000.0, "uom": "KGM"}
	]
	assert harvest["readPoint"] == {"id": BASE + f"site/{FARM}"} == harvest["bizLocation"]
	assert harvest["sourceList"] == [{"type": "owning_party", "source": BASE + "party/Ali%20Farms"}]
	assert harvest["ilmd"] == {
		"yam:crop": "Wheat",
		"yam:variety": "Bohoth 13",
		"yam:season": "2026-Spring",
		"yam:lotType": "Harvest",
	}
	receipt = [e for e in events_of(document, "ObjectEvent", "receiving") if e["action"] == "ADD"]
	assert [e["quantityList"][0]["epcClass"] for e in receipt] == [BASE + "lot/LOT-2026-00002"]


def test_weighings_carry_the_net_weight_in_kgm():
	document = build()
	tickets = [
		e for e in events_of(document, "ObjectEvent") if "bizTransactionList" in e and "yam:ticketNo" in e
	]
	by_no = {e["yam:ticketNo"]: e for e in tickets}
	assert set(by_no) == {"F-17", "T-901", "T-950"}
	inbound = by_no["T-901"]
	assert (inbound["action"], inbound["bizStep"], inbound["disposition"]) == (
		"OBSERVE",
		"receiving",
		"in_progress",
	)
	assert inbound["quantityList"] == [
		{"epcClass": BASE + "lot/LOT-2026-00002", "quantity": 1995.0, "uom": "KGM"}
	]
	assert inbound["eventTime"] == "2026-03-03T09:40:00.000+03:00"
	assert inbound["bizTransactionList"][0]["bizTransaction"] == BASE + "ticket/SCL-2026-00002"
	assert (by_no["T-950"]["bizStep"], by_no["T-950"]["disposition"]) == ("shipping", "in_transit")


def test_a_transfer_is_a_transformation_with_its_quantities():
	document = build()
	blend, split = events_of(document, "TransformationEvent")
	assert blend["transformationID"] == BASE + "transfer/LTR-2026-00001"
	assert blend["eventTime"] == "2026-03-04T11:00:00.000+03:00"
	assert [
		(q["epcClass"].rsplit("/", 1)[1], q["quantity"], q["uom"]) for q in blend["inputQuantityList"]
	] == [
		("LOT-2026-00001", 1000.0, "KGM"),
		("LOT-2026-00002", 2000.0, "KGM"),
	]
	assert blend["outputQuantityList"] == [
		{"epcClass": BASE + "lot/LOT-2026-00003", "quantity": 2990.0, "uom": "KGM"}
	]
	assert (blend["yam:processLossKg"], blend["yam:transferType"]) == (10.0, "Blend")
	assert split["eventTime"] == "2026-03-08T00:00:00.000+03:00"
	assert len(split["outputQuantityList"]) == 2


def test_qc_tests_are_inspections_with_their_result():
	by_type = {e["yam:testType"]: e for e in events_of(build(), "ObjectEvent", "inspecting")}
	assert by_type["Moisture"]["disposition"] == "conformant"
	assert (by_type["Moisture"]["yam:testValue"], by_type["Moisture"]["yam:testUnit"]) == (12.5, "%")
	assert by_type["Aflatoxin"]["disposition"] == "non_conformant"
	assert by_type["Aflatoxin"]["yam:testResult"] == "Fail"
	assert by_type["Aflatoxin"]["bizTransactionList"] == [
		{"type": "testres", "bizTransaction": BASE + "qc/QCT-2026-00002"}
	]
	assert "disposition" not in by_type["Visual"] and "yam:testValue" not in by_type["Visual"]


def test_readings_are_sensor_reports_and_quarantined_ones_are_flagged():
	reports = events_of(build(), "ObjectEvent", "sensor_reporting")
	assert len(reports) == 5  # one per device and day: three in bin B1 on the 6th, two on the 7th
	bin_day = [e for e in reports if e["readPoint"]["id"].endswith("/bin/B1")]
	temperature = next(e for e in bin_day if "yam:quarantinedReadings" in e)
	assert temperature["yam:quarantinedReadings"] == 1
	first, second = temperature["sensorElementList"]
	assert first["sensorReport"] == [{"type": "Temperature", "value": 25.0, "uom": "CEL"}]
	assert first["yam:qualityFlag"] == "Valid" and "yam:flagReason" not in first
	assert second["yam:qualityFlag"] == "Quarantine"
	assert second["yam:flagReason"].startswith("42 °C")
	assert second["sensorMetadata"] == {
		"time": "2026-03-06T09:00:00.000+03:00",
		"deviceID": BASE + "device/TMP-01",
	}
	assert temperature["eventTime"] == "2026-03-06T09:00:00.000+03:00"
	assert temperature["quantityList"] == [{"epcClass": BASE + "lot/LOT-2026-00003"}]


def test_reading_types_and_units():
	document = build(readings=READINGS[2:])
	reports = [
		r for e in events_of(document) for el in e.get("sensorElementList", []) for r in el["sensorReport"]
	]
	assert {"type": "RelativeHumidity", "value": 65.0, "uom": "P1"} in reports
	co2 = next(r for r in reports if r["type"] == "VolumeFraction")
	assert co2["uom"] == "59" and co2["chemicalSubstance"].startswith("https://identifiers.org/inchikey:")
	assert {"type": BASE + "voc/GrainMoisture", "value": 13.1, "uom": "P1"} in reports
	assert {"type": BASE + "voc/Other", "value": 12.0, "uom": "VLT"} in reports
	no_lot = next(
		e
		for e in events_of(document, step="sensor_reporting")
		if e["sensorElementList"][0]["sensorMetadata"]["deviceID"].endswith("VLT-01")
	)
	assert "quantityList" not in no_lot and no_lot["readPoint"] == {"id": BASE + f"site/{SILO}"}


def test_master_data_names_sites_and_lot_classes(validator):
	header = build()["epcisHeader"]["epcisMasterData"]["vocabularyList"]
	locations, classes = header
	assert locations["type"] == "urn:epcglobal:epcis:vtype:BusinessLocation"
	farm = next(v for v in locations["vocabularyElementList"] if v["id"].endswith(FARM))
	assert {"id": "urn:epcglobal:cbv:mda#name", "attribute": "مزرعة سنحان"} in farm["attributes"]
	assert len(classes["vocabularyElementList"]) == 5


def test_a_site_outside_utc_plus_3_and_aware_times():
	sites = [SiteRecord(SILO, "Silo", utc_offset="+04:00")]
	ticket = TicketRecord(
		"SCL-9", SILO, "LOT-9", "Inbound", 10, datetime(2026, 3, 3, 6, 0, tzinfo=timezone.utc)
	)
	document = build_epcis_document(IdScheme(BASE), sites, tickets=[ticket], created_at=CREATED)
	(event,) = events_of(document)
	assert (event["eventTime"], event["eventTimeZoneOffset"]) == ("2026-03-03T10:00:00.000+04:00", "+04:00")
	assert iso_time(local_time(date(2026, 1, 2), "-05:30")) == "2026-01-02T00:00:00.000-05:30"


def test_an_empty_period_is_still_a_valid_document(validator):
	document = build_epcis_document(IdScheme(BASE), SITES, created_at=CREATED)
	assert document["epcisBody"]["eventList"] == []
	assert errors(validator, document) == []


# --- GS1 identifiers -------------------------------------------------------------------------------


def test_check_digits():
	assert gs1_check_digit("400638133393") == "1"  # GTIN-13 4006381333931
	assert gtin14("6291234", "00001") == "0629123400001" + gs1_check_digit("0629123400001")
	gln = "629123400005" + gs1_check_digit("629123400005")
	assert check_gln(f" {gln} ") == gln
	with pytest.raises(RuleError):
		check_gln(gln[:12] + str((int(gln[12]) + 1) % 10))
	with pytest.raises(RuleError):
		gtin14("62912", "0001")


def test_digital_link_identifiers_with_a_company_prefix(validator):
	ids = IdScheme("https://yam-agri.example/id", "6291234", {"Wheat": "00001"})
	gln = "629123400005" + gs1_check_digit("629123400005")
	sites = [SiteRecord(FARM, "Farm"), SiteRecord(SILO, "Silo", gln=gln)]
	document = build_epcis_document(
		ids, sites, LOTS, TICKETS, TRANSFERS, QC_TESTS, READINGS, created_at=CREATED
	)
	assert errors(validator, document) == []
	gtin = gtin14("6291234", "00001")
	blend = events_of(document, "TransformationEvent")[0]
	assert blend["outputQuantityList"][0]["epcClass"] == f"https://id.gs1.org/01/{gtin}/10/LOT-2026-00003"
	assert blend["readPoint"] == {"id": f"https://id.gs1.org/414/{gln}"}
	assert document["@context"][1] == {"yam": BASE + "voc/"}


def test_digital_links_need_a_gtin_per_crop():
	ids = IdScheme(BASE, "6291234", {"Sorghum": "00002"})
	with pytest.raises(RuleError, match="GTIN item reference for crop Wheat"):
		build(ids)


def test_bad_configuration_is_refused():
	with pytest.raises(RuleError):
		IdScheme("yam-agri.example/id")
	with pytest.raises(RuleError):
		build_epcis_document(IdScheme(BASE), [SiteRecord(SILO, utc_offset="+3")], tickets=TICKETS[1:2])
	with pytest.raises(RuleError, match="direction"):
		build(tickets=[TicketRecord("SCL-X", SILO, "LOT-2026-00002", "Sideways", 1, datetime(2026, 3, 3))])
	with pytest.raises(RuleError, match="source and destination"):
		build(transfers=[TransferRecord("LTR-X", SILO, date(2026, 3, 3), inputs=[("LOT-2026-00001", 1)])])


# --- broken documents fail -------------------------------------------------------------------------


def _break(document, kind, step, change):
	broken = copy.deepcopy(document)
	change(events_of(broken, kind, step)[0])
	return broken


@pytest.mark.parametrize(
	"kind,step,change",
	[
		("TransformationEvent", None, lambda e: e.pop("eventTime")),
		("TransformationEvent", None, lambda e: e.pop("eventTimeZoneOffset")),
		("ObjectEvent", "receiving", lambda e: e["quantityList"][0].update(uom="kg")),
		("ObjectEvent", "receiving", lambda e: e["quantityList"][0].update(quantity="1995")),
		("ObjectEvent", "receiving", lambda e: e["quantityList"][0].update(unit="KGM")),
		("ObjectEvent", "shipping", lambda e: e.update(action="MOVE")),
		("ObjectEvent", "shipping", lambda e: e.pop("action")),
		("ObjectEvent", "shipping", lambda e: e.update(bizStep="harvesting")),
		("ObjectEvent", "shipping", lambda e: e.update(eventTime="2026-03-09 14:05")),
		("ObjectEvent", "shipping", lambda e: e.update(eventTimeZoneOffset="+3")),
		("ObjectEvent", "inspecting", lambda e: e.update({"test result": "Pass"})),
		("ObjectEvent", "sensor_reporting", lambda e: e["sensorElementList"][0].update(sensorReport=[])),
		(
			"ObjectEvent",
			"sensor_reporting",
			lambda e: e["sensorElementList"][0]["sensorReport"][0].pop("type"),
		),
		("ObjectEvent", "commissioning", lambda e: e.update(type="TransformationEvent")),
		("TransformationEvent", None, lambda e: e.pop("outputQuantityList") and e.pop("transformationID")),
	],
)
def test_broken_events_fail_validation(validator, kind, step, change):
	document = build()
	assert errors(validator, document) == []
	assert errors(validator, _break(document, kind, step, change))


@pytest.mark.parametrize(
	"change",
	[
		lambda d: d.pop("@context"),
		lambda d: d.pop("creationDate"),
		lambda d: d.update(schemaVersion=2),
		lambda d: d.update(type="EPCISDoc", schemaVersion=2.0),
		lambda d: d["epcisBody"].update(eventList={}),
		lambda d: d.update({"my field": 1}),
	],
)
def test_broken_documents_fail_validation(validator, change):
	document = build()
	change(document)
	assert errors(validator, document)
