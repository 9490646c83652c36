"""The next step for each open item: which rung of its strategy's ladder is due as of a date.

Items are grouped by strategy (one stable radix sort), so that within a group every step's trigger,
offset, rule and minimum are scalars and each step costs a handful of whole-array operations.
The rules are stated one item at a time in ``tests/reference.py`` and in docs/engine.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arrears_engine.codes import EventKind, Trigger
from arrears_engine.columns import Events
from arrears_engine.policy import StepTables

_DATE_BITS = 21  # event dates are stored as offsets below 2**21 days (5,700 years)
_N_KINDS = len(EventKind)


@dataclass(frozen=True, slots=True)
class EventIndex:
    """Events up to as_of, sorted by (customer, kind, date), for "first event after a date" look-ups."""

    keys: np.ndarray  # int64: ((customer * kinds + kind) << DATE_BITS) | (date - base)
    base: int

    @classmethod
    def build(cls, events: Events, as_of_day: int) -> EventIndex:
        day = events.date.view(np.int64)
        keep = day <= as_of_day
        if not keep.any():
            return cls(keys=np.zeros(0, np.int64), base=0)
        day = day[keep]
        base = int(day.min())
        if as_of_day - base >= 1 << _DATE_BITS:
            raise ValueError("events span more than 5,700 years")
        group = events.customer[keep].astype(np.int64) * _N_KINDS + events.kind[keep]
        keys = np.sort((group << _DATE_BITS) | (day - base))
        return cls(keys=keys, base=base)

    def first_after(self, customer: np.ndarray, kind: int, after_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each row: is there an event of ``kind`` for ``customer`` dated after ``after_day``,
        and the date (int days) of the first such event."""
        if self.keys.size == 0:
            return np.zeros(customer.shape, bool), np.zeros(customer.shape, np.int64)
        group = customer.astype(np.int64) * _N_KINDS + kind
        rel = np.clip(after_day - self.base + 1, 0, (1 << _DATE_BITS) - 1)
        pos = np.searchsorted(self.keys, (group << _DATE_BITS) | rel, side="left")
        hit = self.keys[np.minimum(pos, self.keys.size - 1)]
        found = (pos < self.keys.size) & ((hit >> _DATE_BITS) == group)
        return found, (hit & ((1 << _DATE_BITS) - 1)) + self.base


@dataclass(frozen=True, slots=True)
class ItemState:
    """The per-item columns the ladder needs (days are int64 days since 1970-01-01)."""

    strategy: np.ndarray  # -1: none
    level: np.ndarray
    due: np.ndarray
    issue: np.ndarray
    last_sent: np.ndarray  # meaningful where has_last
    has_last: np.ndarray
    ready: np.ndarray  # False where the item already had a step on or after as_of
    amount: np.ndarray  # compared with each step's minimum
    unit: np.ndarray  # business unit (calendar index)
    customer: np.ndarray


def next_steps(
    state: ItemState,
    tables: StepTables,
    events: EventIndex,
    due_table: np.ndarray,
    lo: int,
    as_of_day: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Returns ``(step, met)``: the step each item advances to (-1: none) and whether any step above
    its level had its date come (so an item with ``step == -1`` and ``met`` is below the minimum)."""
    n = state.level.size
    chosen = np.full(n, -1, np.int16)
    met_any = np.zeros(n, bool)
    if n == 0 or tables.trigger.shape[1] == 0:
        return chosen, met_any
    n_strategies = tables.n_steps.size - 1
    group = state.strategy.astype(np.int16 if n_strategies < 32_000 else np.int64)
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(n_strategies + 1), side="left")
    ends = np.searchsorted(group[order], np.arange(n_strategies + 1), side="right")
    width = due_table.shape[-1]
    flat = due_table.reshape(-1)
    per_rule = due_table.shape[1] * width
    for s in range(n_strategies):
        k_count = int(tables.n_steps[s])
        if k_count == 0 or starts[s] == ends[s]:
            continue
        idx = order[starts[s] : ends[s]]
        whole = idx.size == n

        def take(column: np.ndarray, idx: np.ndarray = idx, whole: bool = whole) -> np.ndarray:
            return column if whole else column[idx]  # one group covering everything is not copied

        level = np.where(take(state.ready), take(state.level), k_count)  # not ready: no step is above it
        due = take(state.due)
        amount = take(state.amount)
        unit_base = take(state.unit).astype(np.int64) * width
        last = has_last = anchor = customer = None
        highest = np.full(idx.size, -1, np.int16)
        first_fixed = np.full(idx.size, k_count, np.int16)  # first due step that may not be skipped
        met_group = np.zeros(idx.size, bool)
        for k in range(k_count):
            trigger = int(tables.trigger[s, k])
            offset = int(tables.offset[s, k])
            candidate = level < k
            if trigger == Trigger.DAYS_FROM_DUE or (trigger == Trigger.DAYS_AFTER_PREVIOUS and k == 0):
                raw = due + offset
                if trigger == Trigger.DAYS_FROM_DUE and offset < 0:
                    candidate &= due >= as_of_day  # a pre-due reminder is stale once the item is past due
            elif trigger == Trigger.DAYS_AFTER_PREVIOUS:
                if last is None:
                    last = take(state.last_sent)
                candidate &= level == k - 1
                raw = last + offset
            else:
                if anchor is None:
                    last, has_last = take(state.last_sent), take(state.has_last)
                    issue = take(state.issue)
                    anchor = np.where(has_last, np.maximum(last, issue - 1), issue - 1)
                    customer = take(state.customer)
                found, day = events.first_after(customer, int(tables.event[s, k]), anchor)
                candidate &= found
                raw = day + offset
            pos = unit_base + np.clip(raw - lo, 0, width - 1)
            met = candidate & flat[int(tables.rule[s, k]) * per_rule + pos]
            ok = met & (amount >= tables.min_amount[s, k])
            highest[ok] = k
            if not tables.allow_skip[s, k]:
                first_fixed[ok & (first_fixed == k_count)] = k
            met_group |= met
        pick = np.where(highest >= 0, np.minimum(highest, first_fixed), -1).astype(np.int16)
        if whole:
            chosen, met_any = pick, met_group
        else:
            chosen[idx] = pick
            met_any[idx] = met_group
    return chosen, met_any

