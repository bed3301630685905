"""What the field page (``/field``) sends: a phone's batch of captured items, each with its own key.

The phone keeps captures in an outbox and sends them when the link returns; a send that timed out is
repeated with the same keys, so the server must recognise an item it already stored. These rules read
the batch (item kinds, keys, photos, the GPS position) without Frappe; the lot's and the test's own
rules stay in their controllers (``rules.lots``, ``rules.qc``) and are not repeated here.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

from yam_agri_core.rules.messages import Kind, RuleError, _

LOT, MOISTURE = "lot", "moisture"
KINDS = (LOT, MOISTURE)
#: a key made on the phone: letters, digits, dot, dash, underscore; long enough to be unguessable
KEY_PATTERN = re.compile(r"^[A-Za-z0-9._-]{16,64}$")
#: a batch larger than this is refused as a whole (the phone sends a few items at a time)
MAX_ITEMS = 50
MAX_PHOTOS = 3
#: a photo shrunk on the phone (1280 px, JPEG ~80) is 100-400 KB; anything much larger was not shrunk
MAX_PHOTO_BYTES = 2 * 1024 * 1024
PHOTO_SIGNATURES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png", b"RIFF": "webp"}
#: a phone's fix worse than this is not a position of the field
MAX_ACCURACY_M = 10_000.0

#: the fields of a lot the phone may set (everything else is the controller's: status, available, ...)
LOT_FIELDS = ("site", "crop", "variety", "season", "declared_qty_kg", "harvest_date", "supplier", "notes")
#: the fields of a moisture reading the phone may set
MOISTURE_FIELDS = ("value", "instrument", "test_date", "remarks")


@dataclass(frozen=True)
class Photo:
	file_name: str
	content: bytes


@dataclass(frozen=True)
class Position:
	latitude: float
	longitude: float
	accuracy_m: float | None


@dataclass(frozen=True)
class Capture:
	"""One item of a batch, read: its key, kind, the record's fields, and for a lot its position and
	photos; for a moisture reading the lot it belongs to (its name, or the key of a lot in the batch)."""

	key: str
	kind: str
	values: dict
	position: Position | None = None
	photos: tuple[Photo, ...] = ()
	lot: str | None = None
	lot_key: str | None = None


def check_batch(items: object) -> list:
	"""The batch must be a list of at most :data:`MAX_ITEMS` items."""
	if not isinstance(items, list):
		raise RuleError(Kind.VALIDATION, _("The captures must be sent as a list"))
	if len(items) > MAX_ITEMS:
		raise RuleError(Kind.VALIDATION, _("Send at most {0} captures at a time"), MAX_ITEMS)
	return items


def item_key(item: object) -> str | None:
	"""The item's key when it has a well-formed one (so that a refusal can still name the item)."""
	key = item.get("key") if isinstance(item, Mapping) else None
	return key if isinstance(key, str) and KEY_PATTERN.match(key) else None


def read_capture(item: object) -> Capture:
	"""Read one item of the batch; a malformed item is refused with the reason."""
	if not isinstance(item, Mapping):
		raise RuleError(Kind.VALIDATION, _("A capture must be a record of fields"))
	key = item_key(item)
	if not key:
		raise RuleError(
			Kind.VALIDATION,
			_("A capture needs a key of 16 to 64 letters, digits, dots, dashes or underscores"),
			field="key",
		)
	kind = item.get("kind")
	if kind not in KINDS:
		raise RuleError(Kind.VALIDATION, _("Unknown capture kind {0}"), str(kind), field="kind")
	data = item.get("data") or {}
	if not isinstance(data, Mapping):
		raise RuleError(Kind.VALIDATION, _("A capture must be a record of fields"))
	if kind == LOT:
		return Capture(
			key=key,
			kind=kind,
			values=_pick(data, LOT_FIELDS),
			position=read_position(data.get("gps")),
			photos=read_photos(data.get("photos"), key),
		)
	lot, lot_key = data.get("lot") or None, data.get("lot_key") or None
	if not lot and not lot_key:
		raise RuleError(Kind.VALIDATION, _("Choose the lot of the moisture reading"), field="lot")
	return Capture(
		key=key,
		kind=kind,
		values=_pick(data, MOISTURE_FIELDS),
		lot=str(lot) if lot else None,
		lot_key=str(lot_key) if lot_key else None,
	)


def _pick(data: Mapping, fields: tuple[str, ...]) -> dict:
	values = {}
	for field in fields:
		value = data.get(field)
		if isinstance(value, str):
			value = value.strip()
		if value not in (None, ""):
			values[field] = value
	return values


def read_position(gps: object) -> Position | None:
	"""The phone's fix ``{latitude, longitude, accuracy}`` (degrees, metres), or None when it had none."""
	if not gps:
		return None
	if not isinstance(gps, Mapping):
		raise RuleError(Kind.VALIDATION, _("The GPS position is not readable"), field="gps")
	try:
		latitude = float(gps.get("latitude"))
		longitude = float(gps.get("longitude"))
		accuracy = gps.get("accuracy")
		accuracy = None if accuracy in (None, "") else float(accuracy)
	except (TypeError, ValueError):
		raise RuleError(Kind.VALIDATION, _("The GPS position is not readable"), field="gps") from None
	validate_position(latitude, longitude, accuracy)
	return Position(latitude, longitude, accuracy)


def validate_position(latitude: float | None, longitude: float | None, accuracy_m: float | None) -> None:
	"""Latitude and longitude come together, within the globe; the accuracy is a radius in metres."""
	if latitude is None and longitude is None:
		if accuracy_m:
			raise RuleError(
				Kind.VALIDATION, _("A GPS accuracy needs a latitude and longitude"), field="gps_accuracy_m"
			)
		return
	if latitude is None or longitude is None:
		raise RuleError(Kind.VALIDATION, _("A GPS position needs both latitude and longitude"), field="gps")
	if not -90 <= latitude <= 90:
		raise RuleError(
			Kind.VALIDATION, _("Latitude {0} must be between -90 and 90"), latitude, field="gps_latitude"
		)
	if not -180 <= longitude <= 180:
		raise RuleError(
			Kind.VALIDATION, _("Longitude {0} must be between -180 and 180"), longitude, field="gps_longitude"
		)
	if accuracy_m is not None and not 0 <= accuracy_m <= MAX_ACCURACY_M:
		raise RuleError(
			Kind.VALIDATION,
			_("GPS accuracy {0} m must be between 0 and {1} m"),
			accuracy_m,
			MAX_ACCURACY_M,
			field="gps_accuracy_m",
		)


def stored_position(latitude: float, longitude: float, accuracy_m: float) -> Position | None:
	"""A lot's stored position, checked. Frappe keeps an empty Float as 0, so a lot whose latitude and
	longitude are both 0 has none (the point 0, 0 is at sea, in the Gulf of Guinea)."""
	if not latitude and not longitude:
		validate_position(None, None, accuracy_m or None)
		return None
	validate_position(latitude, longitude, accuracy_m or None)
	return Position(latitude, longitude, accuracy_m or None)


def position_geojson(latitude: float, longitude: float, accuracy_m: float | None) -> dict:
	"""The position as Frappe's Geolocation field keeps it (a GeoJSON FeatureCollection, like a Site's
	``location``): a marker, and the accuracy as a circle around it (Frappe draws ``point_type`` circle)."""
	point = {"type": "Point", "coordinates": [round(longitude, 7), round(latitude, 7)]}
	features = [{"type": "Feature", "properties": {}, "geometry": point}]
	if accuracy_m:
		features.append(
			{
				"type": "Feature",
				"properties": {"point_type": "circle", "radius": round(accuracy_m, 1)},
				"geometry": point,
			}
		)
	return {"type": "FeatureCollection", "features": features}


def read_photos(photos: object, key: str) -> tuple[Photo, ...]:
	"""Up to :data:`MAX_PHOTOS` images (base64, with or without a ``data:`` prefix), each one a JPEG,
	PNG or WebP of at most :data:`MAX_PHOTO_BYTES`; named after the capture's key."""
	if not photos:
		return ()
	if not isinstance(photos, list):
		raise RuleError(Kind.VALIDATION, _("The photos are not readable"), field="photos")
	if len(photos) > MAX_PHOTOS:
		raise RuleError(
			Kind.VALIDATION,
			_("At most {0} photos per lot ({1} sent)"),
			MAX_PHOTOS,
			len(photos),
			field="photos",
		)
	return tuple(read_photo(photo, key, number) for number, photo in enumerate(photos, start=1))


def read_photo(photo: object, key: str, number: int) -> Photo:
	data = photo.get("data") if isinstance(photo, Mapping) else photo
	if not isinstance(data, str):
		raise RuleError(Kind.VALIDATION, _("Photo {0} is not readable"), number, field="photos")
	if data.startswith("data:"):
		data = data.partition(",")[2]
	if len(data) > (MAX_PHOTO_BYTES * 4) // 3 + 4:
		raise _too_large(number)
	try:
		content = base64.b64decode(data, validate=True)
	except (binascii.Error, ValueError):
		raise RuleError(Kind.VALIDATION, _("Photo {0} is not readable"), number, field="photos") from None
	if len(content) > MAX_PHOTO_BYTES:
		raise _too_large(number)
	extension = photo_extension(content)
	if not extension:
		raise RuleError(
			Kind.VALIDATION, _("Photo {0} is not a JPEG, PNG or WebP image"), number, field="photos"
		)
	return Photo(file_name=f"field-{key}-{number}.{extension}", content=content)


def _too_large(number: int) -> RuleError:
	return RuleError(
		Kind.VALIDATION,
		_("Photo {0} is larger than {1} MB: shrink it before sending"),
		number,
		MAX_PHOTO_BYTES // (1024 * 1024),
		field="photos",
	)


def photo_extension(content: bytes) -> str | None:
	for signature, extension in PHOTO_SIGNATURES.items():
		if content.startswith(signature):
			if extension == "webp" and content[8:12] != b"WEBP":
				continue
			return extension
	return None


def order_for_storing(kinds: list[str | None]) -> list[int]:
	"""Indexes of a batch's items in the order to store them: lots first, then the rest as sent, so a
	reading that names a lot of the same batch by its key finds the lot stored."""
	lots = [i for i, kind in enumerate(kinds) if kind == LOT]
	return lots + [i for i, kind in enumerate(kinds) if kind != LOT]
