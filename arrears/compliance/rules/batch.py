"""Vectorised gate for the nightly run: the time-window and call-frequency rules over columns.

The scalar `evaluate` is the readable reference; this kernel applies the same arithmetic to a million
planned contacts at once (numpy, no Python loop per row). What it covers:

- contact window (start inclusive, end exclusive, minute precision) in *every* candidate zone of the
  row's zone set, with the zone's real UTC offset at that instant (DST transitions are looked up in
  a per-zone transition table built from zoneinfo);
- Reg F 7-in-7 (`calls_in_window` >= cap) and the post-conversation window (`days_since_conversation`
  in 0..6) — counts the caller computed per debt over the consumer's local dates;
- a per-row `hold` column for the static holds the caller evaluated once per customer with `evaluate`.

Rows with designated-inconvenient windows, time consents or holiday calendars must go through the
scalar `evaluate` (the nightly run has few of them). Rows are in one profile/policy per call.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .model import ComplianceInputError
from .policy import Policy
from .zones import zone

TIME = np.uint8(1)
FREQ_7_IN_7 = np.uint8(2)
FREQ_POST_CONVERSATION = np.uint8(4)
HOLD = np.uint8(8)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@functools.lru_cache(maxsize=256)
def _transitions(zone_name: str, first_year: int, last_year: int) -> tuple[np.ndarray, np.ndarray]:
    """(instants, offsets): the zone's UTC offset in seconds from each instant on, for whole UTC years
    first_year..last_year (a day's margin either side). Found by sampling once a day (no zone changes
    its offset twice within a day; Morocco's Ramadan suspensions, the closest pair, are weeks apart)
    and bisecting each change to the exact second."""
    tz = zone(zone_name)

    def offset(seconds: int) -> int:
        moment = _EPOCH + dt.timedelta(seconds=seconds)
        delta = moment.astimezone(tz).utcoffset()
        assert delta is not None
        return int(delta.total_seconds())

    step = 24 * 3600
    first = int(dt.datetime(first_year, 1, 1, tzinfo=dt.UTC).timestamp()) - 86400
    last = int(dt.datetime(last_year + 1, 1, 1, tzinfo=dt.UTC).timestamp()) + 86400
    instants, offsets = [first], [offset(first)]
    previous = offsets[0]
    for sample in range(first + step, last + step, step):
        current = offset(sample)
        if current != previous:
            lo, hi = sample - step, sample  # offset(lo) == previous, offset(hi) == current
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(mid) == previous:
                    lo = mid
                else:
                    hi = mid
            instants.append(hi)
            offsets.append(current)
            previous = current
    return np.asarray(instants, dtype=np.int64), np.asarray(offsets, dtype=np.int64)


def _year(seconds: int) -> int:
    return (_EPOCH + dt.timedelta(seconds=seconds)).year


def local_minute_of_day(at_s: np.ndarray, zone_name: str) -> np.ndarray:
    """Minute of the local day (0..1439) of each UTC epoch second in `zone_name`."""
    if at_s.size == 0:
        return np.zeros(0, dtype=np.int64)
    instants, offsets = _transitions(zone_name, _year(int(at_s.min())), _year(int(at_s.max())))
    index = np.searchsorted(instants, at_s, side="right") - 1
    local_s = at_s + offsets[index]
    return (local_s // 60) % 1440


@dataclass(frozen=True, slots=True)
class GateColumns:
    at_s: np.ndarray  # int64 UTC epoch seconds of the planned contact
    zone_set: np.ndarray  # int32 index into zone_sets
    zone_sets: tuple[tuple[str, ...], ...]  # candidate zones per set (from zones.candidate_zones)
    is_call: np.ndarray  # bool: telephone call (frequency rules apply)
    calls_in_window: np.ndarray  # int32 counted calls about the debt in the 7 local days ending that day
    days_since_conversation: np.ndarray  # int32, -1 = no conversation
    hold: np.ndarray  # bool: a static hold blocks this row

    def __post_init__(self) -> None:
        n = len(self.at_s)
        for name, dtype in (
            ("at_s", np.int64),
            ("zone_set", np.int32),
            ("is_call", np.bool_),
            ("calls_in_window", np.int32),
            ("days_since_conversation", np.int32),
            ("hold", np.bool_),
        ):
            column = getattr(self, name)
            if column.dtype != dtype:
                raise ComplianceInputError(f"GateColumns.{name}: dtype {column.dtype}, expected {np.dtype(dtype)}")
            if len(column) != n:
                raise ComplianceInputError(f"GateColumns.{name}: {len(column)} rows, expected {n}")
        if n and (self.zone_set.min() < 0 or self.zone_set.max() >= len(self.zone_sets)):
            raise ComplianceInputError("GateColumns.zone_set: index outside zone_sets")
        if any(not s for s in self.zone_sets):
            raise ComplianceInputError("GateColumns.zone_sets: every zone set needs at least one zone")


def gate_columns(
    *,
    at: Sequence[dt.datetime],
    zone_sets_per_row: Sequence[tuple[str, ...]],
    is_call: Sequence[bool],
    calls_in_window: Sequence[int],
    days_since_conversation: Sequence[int],
    hold: Sequence[bool],
) -> GateColumns:
    """Build columns from Python values (tests, small batches); big batches build arrays directly."""
    table: dict[tuple[str, ...], int] = {}
    ids = [table.setdefault(tuple(s), len(table)) for s in zone_sets_per_row]
    return GateColumns(
        at_s=np.asarray([int(a.timestamp()) for a in at], dtype=np.int64),
        zone_set=np.asarray(ids, dtype=np.int32),
        zone_sets=tuple(table),
        is_call=np.asarray(is_call, dtype=np.bool_),
        calls_in_window=np.asarray(calls_in_window, dtype=np.int32),
        days_since_conversation=np.asarray(days_since_conversation, dtype=np.int32),
        hold=np.asarray(hold, dtype=np.bool_),
    )


def gate_batch(columns: GateColumns, policy: Policy, *, reg_f: bool = True) -> np.ndarray:
    """A uint8 reason mask per row: 0 = allowed; TIME | FREQ_7_IN_7 | FREQ_POST_CONVERSATION | HOLD."""
    n = len(columns.at_s)
    reasons = np.zeros(n, dtype=np.uint8)
    window = policy.window
    if window is not None and n:
        zones = sorted({z for s in columns.zone_sets for z in s})
        membership = np.zeros((len(columns.zone_sets), len(zones)), dtype=np.bool_)
        for i, zone_set in enumerate(columns.zone_sets):
            for z in zone_set:
                membership[i, zones.index(z)] = True
        for j, z in enumerate(zones):
            rows = membership[columns.zone_set, j]
            if not rows.any():
                continue
            minute = local_minute_of_day(columns.at_s, z)
            outside = (minute < window.start_minute) | (minute >= window.end_minute)
            reasons |= np.where(rows & outside, TIME, np.uint8(0))
    if reg_f:
        calls = columns.is_call
        reasons |= np.where(calls & (columns.calls_in_window >= policy.reg_f_call_cap), FREQ_7_IN_7, np.uint8(0))
        recent = (columns.days_since_conversation >= 0) & (columns.days_since_conversation < policy.post_conversation_days)
        reasons |= np.where(calls & recent, FREQ_POST_CONVERSATION, np.uint8(0))
    reasons |= np.where(columns.hold, HOLD, np.uint8(0))
    return reasons
