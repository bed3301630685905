"""The field page's batch rules (yam_agri_core.rules.field_capture): keys, kinds, photos, GPS."""

from __future__ import annotations

import base64
import json

import pytest

from yam_agri_core.rules import field_capture as fc
from yam_agri_core.rules.messages import RuleError

KEY = "f-0123456789abcdef0123456789abcdef"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def b64(content: bytes) -> str:
	return base64.b64encode(content).decode()


def lot_item(**data):
	return {"key": KEY, "kind": "lot", "data": {"site": "YEM-SAN-FARM-01", "crop": "Wheat", **data}}


def test_a_lot_keeps_only_the_fields_the_phone_may_set_trimmed():
	capture = fc.read_capture(
		lot_item(
			season=" 2026-Spring ", declared_qty_kg=1200, notes="", status="Released", available_qty_kg=9
		)
	)
	assert capture.kind == "lot"
	assert capture.values == {
		"site": "YEM-SAN-FARM-01",
		"crop": "Wheat",
		"season": "2026-Spring",
		"declared_qty_kg": 1200,
	}
	assert capture.position is None and capture.photos == ()


@pytest.mark.parametrize("key", [None, "", "short", "x" * 65, "f-has space-000000000", 42])
def test_a_capture_needs_a_well_formed_key(key):
	with pytest.raises(RuleError) as error:
		fc.read_capture({"key": key, "kind": "lot", "data": {}})
	assert error.value.field == "key"
	assert fc.item_key({"key": key}) is None


def test_unknown_kind_and_non_record_items_are_refused():
	with pytest.raises(RuleError, match="Unknown capture kind"):
		fc.read_capture({"key": KEY, "kind": "ticket", "data": {}})
	with pytest.raises(RuleError, match="record of fields"):
		fc.read_capture(["not", "a", "record"])
	with pytest.raises(RuleError, match="record of fields"):
		fc.read_capture({"key": KEY, "kind": "lot", "data": "site=X"})


def test_batch_must_be_a_short_list():
	assert fc.check_batch([]) == []
	with pytest.raises(RuleError, match="as a list"):
		fc.check_batch({"key": KEY})
	with pytest.raises(RuleError, match="at most"):
		fc.check_batch([{}] * (fc.MAX_ITEMS + 1))


def test_moisture_names_its_lot_by_name_or_by_the_key_of_a_captured_lot():
	by_name = fc.read_capture(
		{"key": KEY, "kind": "moisture", "data": {"lot": "LOT-2026-00001", "value": 12.5, "instrument": "M1"}}
	)
	assert (by_name.lot, by_name.lot_key, by_name.values) == (
		"LOT-2026-00001",
		None,
		{"value": 12.5, "instrument": "M1"},
	)
	by_key = fc.read_capture({"key": KEY, "kind": "moisture", "data": {"lot_key": "f-lot", "value": 13}})
	assert (by_key.lot, by_key.lot_key) == (None, "f-lot")
	with pytest.raises(RuleError, match="Choose the lot"):
		fc.read_capture({"key": KEY, "kind": "moisture", "data": {"value": 13}})


def test_gps_position_is_read_and_checked():
	capture = fc.read_capture(lot_item(gps={"latitude": "15.3694", "longitude": 44.191, "accuracy": 12.5}))
	assert capture.position == fc.Position(15.3694, 44.191, 12.5)
	assert fc.read_position({"latitude": 15, "longitude": 44}).accuracy_m is None
	for gps, field in (
		({"latitude": 91, "longitude": 44}, "gps_latitude"),
		({"latitude": 15, "longitude": -181}, "gps_longitude"),
		({"latitude": 15, "longitude": 44, "accuracy": -1}, "gps_accuracy_m"),
		({"latitude": 15, "longitude": 44, "accuracy": fc.MAX_ACCURACY_M + 1}, "gps_accuracy_m"),
		({"latitude": "north", "longitude": 44}, "gps"),
		({"longitude": 44}, "gps"),
		("15,44", "gps"),
	):
		with pytest.raises(RuleError) as error:
			fc.read_position(gps)
		assert error.value.field == field, gps


def test_stored_position_treats_zero_zero_as_none_as_frappe_keeps_empty_floats():
	assert fc.stored_position(0.0, 0.0, 0.0) is None
	assert fc.stored_position(15.5, 44.2, 0.0) == fc.Position(15.5, 44.2, None)
	with pytest.raises(RuleError, match="accuracy needs"):
		fc.stored_position(0.0, 0.0, 8.0)
	with pytest.raises(RuleError):
		fc.stored_position(95.0, 44.0, 3.0)


def test_position_geojson_is_a_feature_collection_frappe_draws_with_an_accuracy_circle():
	geo = fc.position_geojson(15.36941234, 44.19100009, 12.34)
	json.dumps(geo)
	assert geo["type"] == "FeatureCollection"
	point, circle = geo["features"]
	assert point["geometry"] == {"type": "Point", "coordinates": [44.1910001, 15.3694123]}
	assert circle["properties"] == {"point_type": "circle", "radius": 12.3}
	assert len(fc.position_geojson(15, 44, None)["features"]) == 1


def test_photos_are_decoded_named_after_the_key_and_limited():
	capture = fc.read_capture(lot_item(photos=[{"data": b64(JPEG)}, "data:image/png;base64," + b64(PNG)]))
	assert [p.file_name for p in capture.photos] == [f"field-{KEY}-1.jpg", f"field-{KEY}-2.png"]
	assert capture.photos[0].content == JPEG
	with pytest.raises(RuleError, match="At most 3 photos"):
		fc.read_photos([b64(JPEG)] * 4, KEY)
	with pytest.raises(RuleError, match="not a JPEG"):
		fc.read_photos([b64(b"GIF89a" + b"\x00" * 10)], KEY)
	with pytest.raises(RuleError, match="not readable"):
		fc.read_photos(["***"], KEY)
	with pytest.raises(RuleError, match="larger than 2 MB"):
		fc.read_photos([b64(JPEG + b"\x00" * fc.MAX_PHOTO_BYTES)], KEY)
	assert fc.photo_extension(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
	assert fc.photo_extension(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None


def test_lots_are_stored_before_the_readings_that_name_them():
	assert fc.order_for_storing(["moisture", "lot", None, "lot", "moisture"]) == [1, 3, 0, 2, 4]
