import datetime as dt
import json

import pytest

from yam_agri_core.rules.ingest import parse_reading
from yam_agri_core.rules.messages import RuleError

GOOD = {
	"device": " T-01 ",
	"observed_at": "2026-03-01T14:30:00",
	"metric": "Temperature",
	"value": "22.5",
	"unit": "C",
}


def test_good_reading():
	reading = parse_reading(GOOD, 1)
	assert reading["device"] == "T-01"
	assert reading["value"] == 22.5
	assert reading["observed_at"] == dt.datetime(2026, 3, 1, 14, 30)
	assert json.loads(reading["raw_payload"])["value"] == "22.5"


def test_site_is_upper_cased():
	assert parse_reading({**GOOD, "site": "yem-a"}, 1)["site"] == "YEM-A"


def test_timezone_is_kept_for_the_caller():
	assert (
		parse_reading({**GOOD, "observed_at": "2026-03-01T14:30:00+03:00"}, 1)["observed_at"].tzinfo
		is not None
	)


@pytest.mark.parametrize(
	"change, field",
	[
		({"device": ""}, "device"),
		({"value": None}, "value"),
		({"value": "hot"}, "value"),
		({"value": "nan"}, "value"),
		({"metric": "Pressure"}, "metric"),
		({"observed_at": "yesterday"}, "observed_at"),
	],
)
def test_bad_readings_name_row_and_field(change, field):
	with pytest.raises(RuleError) as error:
		parse_reading({**GOOD, **change}, 7)
	assert error.value.field == field
	assert error.value.params[0] == 7


def test_not_an_object():
	with pytest.raises(RuleError):
		parse_reading(["x"], 3)
