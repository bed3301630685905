"""The arithmetic of hourly rollups: flags, merges, late readings landing in a closed hour, re-flags."""

import datetime as dt
import random
from decimal import Decimal

from yam_agri_core.rules import rollups
from yam_agri_core.rules.rollups import EMPTY, Key, Partial, merge, of_reading, partials_of

H = dt.datetime(2026, 6, 1, 14)


def reading(value, flag="Valid", minute=0, hour=H, device="T-1", site="A", bin_="A-S1", metric="Temperature"):
	return {
		"site": site,
		"device": device,
		"reported_device_id": None,
		"storage_bin": bin_,
		"metric": metric,
		"observed_at": hour + dt.timedelta(minutes=minute),
		"value": value,
		"quality_flag": flag,
	}


def group_by(readings) -> dict[Key, Partial]:
	"""The reference: what a GROUP BY over the raw readings gives, computed from scratch."""
	out = {}
	for key in {rollups.key_of(r) for r in readings}:
		mine = [r for r in readings if rollups.key_of(r) == key]
		charted = [rollups.stored(r["value"]) for r in mine if r["quality_flag"] in ("Valid", "Warning")]
		held = [rollups.stored(r["value"]) for r in mine if r["quality_flag"] == "Quarantine"]
		out[key] = Partial(
			readings=len(mine),
			valid=sum(r["quality_flag"] == "Valid" for r in mine),
			warning=sum(r["quality_flag"] == "Warning" for r in mine),
			quarantine=len(held),
			value_sum=sum(charted, Decimal()),
			value_min=min(charted, default=None),
			value_max=max(charted, default=None),
			quarantine_sum=sum(held, Decimal()),
			quarantine_max=max(held, default=None),
		)
	return out


def test_quarantined_readings_are_counted_but_never_in_min_max_or_mean():
	(p,) = partials_of(
		[
			reading(21.5),
			reading(33, "Warning", 1),
			reading(43.7, "Quarantine", 2),
			reading(-40, "Quarantine", 3),
		]
	).values()
	assert (p.readings, p.valid, p.warning, p.quarantine) == (4, 1, 1, 2)
	assert (p.value_min, p.value_max, p.mean) == (Decimal("21.5"), Decimal("33"), Decimal("27.25"))
	assert p.value_sum == Decimal("54.5")
	assert (p.quarantine_sum, p.quarantine_max) == (Decimal("3.7"), Decimal("43.7"))


def test_an_hour_of_only_quarantined_readings_has_no_mean_min_or_max():
	(p,) = partials_of([reading(43.7, "Quarantine"), reading(44.1, "Quarantine", 5)]).values()
	assert (p.readings, p.charted, p.mean, p.value_min, p.value_max) == (2, 0, None, None, None)


def test_a_reading_without_a_flag_is_counted_and_never_charted():
	assert of_reading(20, None) == Partial(readings=1)


def test_readings_fall_in_the_hour_they_were_observed():
	readings = [reading(20, minute=0), reading(21, minute=59), reading(22, minute=60)]
	partials = partials_of(readings)
	assert sorted((k.hour, p.readings) for k, p in partials.items()) == [(H, 2), (H + rollups.HOUR, 1)]
	assert rollups.hour_of(dt.datetime(2026, 6, 1, 14, 59, 59, 999999)) == H


def test_keys_separate_sites_devices_bins_metrics_and_unregistered_ids():
	unregistered = {**reading(20, "Quarantine"), "device": None, "reported_device_id": "X-9"}
	readings = [
		reading(20),
		reading(20, device="T-2"),
		reading(20, bin_=None),
		reading(20, metric="Humidity"),
		reading(20, site="B"),
		unregistered,
	]
	keys = set(partials_of(readings))
	assert len(keys) == 6
	assert Key("A", "", "X-9", "A-S1", "Temperature", H) in keys
	assert Key("A", "T-1", "", "", "Temperature", H) in keys
	# a registered device's reading never carries a reported id into the key
	assert rollups.key_of({**reading(20), "reported_device_id": "T-1"}).reported_device_id == ""


def test_values_are_kept_as_the_database_keeps_them():
	assert rollups.stored(21.123456789567) == Decimal("21.123456790")
	assert rollups.stored(0.1) + rollups.stored(0.2) == Decimal("0.3")
	(p,) = partials_of([reading(0.1), reading(0.2)]).values()
	assert p.value_sum == Decimal("0.3") and p.mean == Decimal("0.15")


def test_merge_is_the_aggregate_of_the_union_in_any_order():
	rng = random.Random(7)
	readings = [
		reading(round(rng.uniform(-5, 50), 3), rng.choice(["Valid", "Warning", "Quarantine"]), minute=m)
		for m in range(60)
	]
	(whole,) = group_by(readings).values()
	for _attempt in range(20):
		rng.shuffle(readings)
		cut = rng.randrange(len(readings) + 1)
		(a,) = partials_of(readings[:cut]).values() or [EMPTY]
		(b,) = partials_of(readings[cut:]).values() or [EMPTY]
		assert merge(a, b) == merge(b, a) == whole
	assert merge(whole, EMPTY) == whole


def test_a_batch_of_many_hours_equals_the_group_by():
	rng = random.Random(11)
	readings = [
		reading(
			round(rng.uniform(0, 60), 2),
			rng.choice(["Valid", "Valid", "Warning", "Quarantine"]),
			minute=rng.randrange(0, 60 * 30),
			device=rng.choice(["T-1", "T-2", "T-3"]),
			bin_=rng.choice(["A-S1", "A-S2"]),
		)
		for _ in range(2000)
	]
	assert partials_of(readings) == group_by(readings)


def test_a_late_reading_lands_in_its_closed_hour():
	stored = partials_of([reading(20, minute=m) for m in range(60)])
	later = partials_of([reading(30, minute=60 + m) for m in range(10)])
	late = partials_of([reading(35, "Warning", minute=30, device="T-1")])  # hours after H closed
	merged = dict(stored)
	for partials in (later, late):
		for key, p in partials.items():
			merged[key] = merge(merged.get(key, EMPTY), p)
	everything = [reading(20, minute=m) for m in range(60)]
	everything += [reading(30, minute=60 + m) for m in range(10)]
	everything += [reading(35, "Warning", minute=30)]
	assert merged == group_by(everything)
	h = merged[rollups.key_of(reading(20))]
	assert (h.readings, h.warning, h.value_max) == (61, 1, Decimal("35"))
	# a late quarantined reading is counted in its hour and moves nothing of what is charted
	q = merge(h, of_reading(90, "Quarantine"))
	assert (q.readings, q.quarantine, q.value_max, q.mean) == (62, 1, h.value_max, h.mean)


def test_a_reflag_is_recomputed_from_the_readings_of_the_hours_it_touches():
	readings = [reading(20 + m / 10, minute=m) for m in range(60)]
	readings += [reading(25, minute=m, hour=H + rollups.HOUR) for m in range(5)]
	before = group_by(readings)[rollups.key_of(readings[0])]
	# the hottest reading of the hour turns out to be a fault: its maximum cannot be taken back
	readings[59] = {**readings[59], "quality_flag": "Quarantine"}
	after = partials_of(readings)[rollups.key_of(readings[0])]
	assert after.value_max == rollups.stored(20 + 58 / 10) < before.value_max
	assert (after.valid, after.quarantine, after.readings) == (59, 1, 60)
	assert rollups.hours_touched([readings[59]]) == {"A": [(H, H + rollups.HOUR)]}


def test_hours_touched_joins_consecutive_hours_per_site():
	changed = [
		reading(1, minute=5),
		reading(1, minute=65),
		reading(1, minute=60 * 5),
		reading(1, minute=10, site="B"),
		reading(1, minute=20),
	]
	assert rollups.hours_touched(changed) == {
		"A": [(H, H + 2 * rollups.HOUR), (H + 5 * rollups.HOUR, H + 6 * rollups.HOUR)],
		"B": [(H, H + rollups.HOUR)],
	}


def test_hour_window_widens_to_whole_hours():
	assert rollups.hour_window(H + dt.timedelta(minutes=5), H + dt.timedelta(minutes=70)) == (
		H,
		H + 2 * rollups.HOUR,
	)
	assert rollups.hour_window(H, H + rollups.HOUR) == (H, H + rollups.HOUR)


def test_days_merge_their_hours_exactly():
	rng = random.Random(13)
	readings = [
		reading(
			round(rng.uniform(0, 50), 3),
			rng.choice(["Valid", "Warning", "Quarantine"]),
			minute=rng.randrange(0, 60 * 72),
			device=rng.choice(["T-1", "T-2"]),
		)
		for _ in range(1500)
	]
	days = rollups.by_day(partials_of(readings))
	for key, p in days.items():
		mine = [r for r in readings if rollups.day_key(rollups.key_of(r)) == key]
		(expected,) = group_by(
			[{**r, "observed_at": dt.datetime.combine(key.day, dt.time())} for r in mine]
		).values()
		assert p == expected
	assert {k.day for k in days} == {r["observed_at"].date() for r in readings}


def test_a_rebuild_leaves_the_hours_of_an_archived_month_alone():
	rows = [
		("h1", "SITE-A", dt.datetime(2026, 3, 4, 5)),
		("h2", "SITE-A", dt.datetime(2026, 4, 1, 0)),
		("h3", "SITE-B", dt.datetime(2026, 3, 9, 23)),
		("h4", "SITE-A", "2026-03-31 23:00:00"),
	]
	kept = rollups.outside_archived(rows, {("SITE-A", "2026-03")}, site_at=1, hour_at=2)
	assert [r[0] for r in kept] == ["h2", "h3"]
	assert rollups.outside_archived(rows, set(), 1, 2) == rows
