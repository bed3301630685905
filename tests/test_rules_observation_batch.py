import datetime as dt
import random

import pytest

from yam_agri_core.rules.observation_batch import (
	HistoryNeed,
	Stored,
	ToFlag,
	flag_in_time_order,
	history_needs,
	stored_value,
)
from yam_agri_core.rules.observations import DeviceState, PreviousReading, assess
from yam_agri_core.rules.thresholds import QUARANTINE, Band, resolve_band

NOW = dt.datetime(2026, 6, 1, 12, 0)
ACTIVE = DeviceState(exists=True, is_active=True, site="A")
TEMP = resolve_band("Temperature")


def to_flag(row, value, minutes_ago, device="T-1", metric="Temperature", band=TEMP, state=ACTIVE, unit="°C"):
	return ToFlag(
		row=row,
		device=device,
		metric=metric,
		value=value,
		unit=unit,
		observed_at=NOW - dt.timedelta(minutes=minutes_ago),
		site="A",
		device_state=state if device else DeviceState(exists=False),
		band=band,
	)


def one_by_one(readings, history, now=NOW):
	"""The reference: each reading saved in time order, its history read as the controller read it
	(all stored values of the pair up to its time, newest first; the latest one not quarantined)."""
	stored = {pair: list(items) for pair, items in history.items()}
	result = {}
	for r in sorted(readings, key=lambda r: (r.observed_at, r.row)):
		past = sorted(
			(s for s in stored.get((r.device, r.metric), []) if s.observed_at <= r.observed_at),
			key=lambda s: s.observed_at,
			reverse=True,
		)
		good = [s for s in past if s.flag != QUARANTINE]
		count = r.band.stuck_repeat_count
		assessment = assess(
			metric=r.metric,
			value=r.value,
			unit=r.unit,
			observed_at=r.observed_at,
			now=now,
			site=r.site,
			device=r.device_state,
			band=r.band,
			recent_values=[s.value for s in past[: count - 1]] if r.device and count > 1 else [],
			previous_good=PreviousReading(good[0].value, good[0].observed_at) if r.device and good else None,
		)
		result[r.row] = assessment
		if r.device:
			stored.setdefault((r.device, r.metric), []).append(
				Stored(stored_value(r.value), r.observed_at, assessment.flag)
			)
	return result


def test_a_stuck_run_spans_stored_history_and_the_batch():
	history = {
		("T-1", "Temperature"): [Stored(21.5, NOW - dt.timedelta(minutes=60 - i), "Valid") for i in range(10)]
	}
	batch = [to_flag(row, 21.5, 40 - row) for row in range(1, 11)]
	flags = flag_in_time_order(batch, history, NOW)
	assert [flags[row].flag for row in range(1, 10)] == ["Valid"] * 9
	assert flags[10].flag == QUARANTINE and "stuck" in flags[10].reasons[0][0]


def test_rows_are_judged_in_time_order_not_in_the_order_sent():
	batch = [to_flag(1, 33.0, 5), to_flag(2, 20.0, 10)]  # row 2 is older: row 1 jumps from it
	flags = flag_in_time_order(batch, {}, NOW)
	assert flags[2].flag == "Valid"
	assert flags[1].flag == QUARANTINE and "jump" in flags[1].reasons[0][0]


def test_a_jump_is_measured_from_the_last_good_reading_not_a_quarantined_one():
	history = {
		("T-1", "Temperature"): [
			Stored(20.0, NOW - dt.timedelta(minutes=30), "Valid"),
			Stored(42.0, NOW - dt.timedelta(minutes=20), QUARANTINE),
		]
	}
	flags = flag_in_time_order([to_flag(1, 31.0, 10)], history, NOW)
	assert flags[1].flag == QUARANTINE and "+11" in flags[1].reasons[0][1]


def test_devices_and_metrics_do_not_share_history():
	batch = [to_flag(1, 20.0, 10, device="T-1"), to_flag(2, 33.0, 5, device="T-2")]
	batch.append(to_flag(3, 80.1, 4, metric="Humidity", unit="%", band=resolve_band("Humidity")))
	flags = flag_in_time_order(batch, {}, NOW)
	assert flags[2].flag == "Warning" and flags[3].flag == QUARANTINE
	assert not any("jump" in t for t, _p in flags[2].reasons)


def test_an_unregistered_device_has_no_history():
	batch = [to_flag(row, 21.5, 30 - row, device=None) for row in range(1, 25)]
	flags = flag_in_time_order(batch, {}, NOW)
	assert all([t for t, _p in flags[row].reasons] == ["the device is not registered"] for row in flags)


def test_history_needs_cover_the_batch_span_and_the_largest_band():
	site_band = Band(0, 25, -5, 28, stuck_repeat_count=5, max_jump=None)
	batch = [to_flag(1, 20, 10), to_flag(2, 20, 30, band=site_band), to_flag(3, 20, 5, device=None)]
	needs = history_needs(batch)
	assert needs == {
		("T-1", "Temperature"): HistoryNeed(
			NOW - dt.timedelta(minutes=30), NOW - dt.timedelta(minutes=10), TEMP.stuck_repeat_count - 1, 60
		)
	}


@pytest.mark.parametrize(
	"value, stored", [(21.5, 21.5), (0.1234567895, 0.12345679), (-0.1234567895, -0.12345679), (1e-10, 0.0)]
)
def test_stored_value_is_what_a_decimal_21_9_column_keeps(value, stored):
	assert stored_value(value) == stored


@pytest.mark.parametrize("seed", range(40))
def test_randomized_batches_flag_as_one_by_one_in_time_order(seed):
	rng = random.Random(seed)
	bands = [TEMP, Band(10, 30, 5, 35, stuck_repeat_count=3, max_jump=2.0), Band(None, None, None, None, 0)]
	devices = ["T-1", "T-2", None]
	minutes = rng.sample(range(1, 400), 120)
	history = {}
	for device in devices[:2]:
		history[(device, "Temperature")] = [
			Stored(
				rng.choice([21.5, 22.0, 30.0, 36.0]),
				NOW - dt.timedelta(minutes=m),
				rng.choice(["Valid", QUARANTINE]),
			)
			for m in minutes[:20]
			if rng.random() < 0.5
		]
	batch = []
	for row, m in enumerate(minutes[20:], start=1):
		device = rng.choice(devices)
		if any(
			s.observed_at == NOW - dt.timedelta(minutes=m) for s in history.get((device, "Temperature"), [])
		):
			continue
		value = rng.choice([21.5, 21.5, 21.5, 22.0, 30.0, 30.1, 35.0, 35.1, 45.0, 100.0, 4.9])
		state = ACTIVE if rng.random() < 0.9 else DeviceState(exists=True, is_active=False, site="B")
		batch.append(
			to_flag(row, value, m - 0.5 * rng.random(), device, band=rng.choice(bands[:2]), state=state)
		)
	rng.shuffle(batch)
	got = flag_in_time_order(batch, history, NOW)
	want = one_by_one(batch, history)
	assert {row: (a.flag, a.reasons) for row, a in got.items()} == {
		row: (a.flag, a.reasons) for row, a in want.items()
	}
