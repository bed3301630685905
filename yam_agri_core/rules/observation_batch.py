"""Quality flags of many readings at once, in time order, with the history already stored.

One reading through the Observation controller and 5,000 through the gateway batch are flagged by
the same :func:`flag_in_time_order`: readings of one device and metric are taken oldest first, each
sees the readings before it (stored earlier, or earlier in the same batch) exactly as it would had
they been saved one by one in time order, and each is judged by :func:`observations.assess`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from yam_agri_core.rules.observations import Assessment, DeviceState, PreviousReading, assess
from yam_agri_core.rules.thresholds import QUARANTINE, Band

#: A reading's history: (device, metric).
Pair = tuple[str, str]

#: Float columns are DECIMAL(21,9): what is stored, and read back as history, has 9 decimals.
_STORED_QUANTUM = Decimal("1e-9")


@dataclass(frozen=True)
class ToFlag:
	"""A reading ready to be judged: its device (``None`` when not registered), site and band resolved."""

	row: int
	device: str | None
	metric: str
	value: float
	unit: str
	observed_at: dt.datetime
	site: str
	device_state: DeviceState
	band: Band


@dataclass(frozen=True)
class Stored:
	"""A reading already in the database (or accepted earlier in the batch), as history sees it."""

	value: float
	observed_at: dt.datetime
	flag: str
	name: str | None = None


@dataclass(frozen=True)
class HistoryNeed:
	"""What history a (device, metric) pair needs: every stored reading in ``[first_at, last_at]``
	(they interleave with the batch; the same instant is a re-sent reading), the ``before`` latest
	ones before ``first_at`` (a stuck run), and the latest good one within ``window_minutes`` before
	``first_at`` (a jump)."""

	first_at: dt.datetime
	last_at: dt.datetime
	before: int
	window_minutes: int


def stored_value(value: float) -> float:
	"""``value`` as a DECIMAL(21,9) column keeps it (half up) and reads it back."""
	return float(Decimal(repr(float(value))).quantize(_STORED_QUANTUM, rounding=ROUND_HALF_UP))


def history_needs(readings: Iterable[ToFlag]) -> dict[Pair, HistoryNeed]:
	"""The history each (device, metric) pair of ``readings`` needs (unregistered devices have none)."""
	needs: dict[Pair, HistoryNeed] = {}
	for r in readings:
		if not r.device:
			continue
		pair = (r.device, r.metric)
		before = max(r.band.stuck_repeat_count - 1, 0)
		window = r.band.jump_window_minutes if r.band.max_jump else 0
		had = needs.get(pair)
		if had:
			needs[pair] = HistoryNeed(
				min(had.first_at, r.observed_at),
				max(had.last_at, r.observed_at),
				max(had.before, before),
				max(had.window_minutes, window),
			)
		else:
			needs[pair] = HistoryNeed(r.observed_at, r.observed_at, before, window)
	return needs


def flag_in_time_order(
	readings: Sequence[ToFlag], history: Mapping[Pair, Sequence[Stored]], now: dt.datetime
) -> dict[int, Assessment]:
	"""The assessment of every reading by row.

	``history`` holds each pair's stored readings (any order) as :func:`history_needs` asked for them.
	Readings must not repeat a stored instant or each other (those are duplicates, not readings).
	"""
	groups: dict[Pair | int, list[ToFlag]] = defaultdict(list)
	for r in readings:
		groups[(r.device, r.metric) if r.device else r.row].append(r)
	result: dict[int, Assessment] = {}
	for key, group in groups.items():
		past = history.get(key, ()) if isinstance(key, tuple) else ()
		result.update(_flag_pair(sorted(group, key=lambda r: (r.observed_at, r.row)), past, now))
	return result


def _flag_pair(group: Sequence[ToFlag], past: Sequence[Stored], now: dt.datetime) -> dict[int, Assessment]:
	stored = sorted(past, key=lambda s: s.observed_at)
	timeline: list[float] = []  # values, oldest first
	last_good: Stored | None = None
	i = 0
	result = {}
	for r in group:
		while i < len(stored) and stored[i].observed_at <= r.observed_at:
			timeline.append(stored[i].value)
			if stored[i].flag != QUARANTINE:
				last_good = stored[i]
			i += 1
		needed = r.band.stuck_repeat_count - 1
		recent = timeline[: -needed - 1 : -1] if r.device and needed > 0 else []
		previous = PreviousReading(last_good.value, last_good.observed_at) if r.device and last_good else None
		assessment = assess(
			metric=r.metric,
			value=r.value,
			unit=r.unit,
			observed_at=r.observed_at,
			now=now,
			site=r.site,
			device=r.device_state,
			band=r.band,
			recent_values=recent,
			previous_good=previous,
		)
		result[r.row] = assessment
		timeline.append(stored_value(r.value))
		if assessment.flag != QUARANTINE:
			last_good = Stored(stored_value(r.value), r.observed_at, assessment.flag)
	return result
