"""Strategies, their steps and the business-day calendars: the policy a run applies.

A strategy is an ordered ladder of steps; a step's position in the ladder is its *level*. An item's
``level`` column says which step was sent last. See docs/engine.md for the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from arrears_engine.business_days import WEEKENDS_ONLY, BusinessCalendar
from arrears_engine.codes import BusinessDayRule, Channel, EventKind, Trigger


class PolicyError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Step:
    """One rung of a strategy's ladder.

    ``offset_days``: for DAYS_FROM_DUE, days after the due date (negative: before it); for
    DAYS_AFTER_PREVIOUS and EVENT, days (>= 0) after the previous step was sent / the event.
    ``min_amount_minor``: the item's dunnable amount must be at least this (item's own minor units).
    ``allow_skip``: a run may jump over this step when a higher step is due as well; if False, an
    item whose next due step is this one gets this one first (one level per run).
    ``key``: the caller's identifier (e.g. a database id), carried but not interpreted.
    """

    trigger: Trigger
    offset_days: int
    channel: Channel
    min_amount_minor: int = 0
    business_days: BusinessDayRule = BusinessDayRule.NEXT
    allow_skip: bool = True
    event: EventKind | None = None
    key: int | None = None
    template: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "trigger", Trigger(self.trigger))
        object.__setattr__(self, "channel", Channel(self.channel))
        object.__setattr__(self, "business_days", BusinessDayRule(self.business_days))
        if self.event is not None:
            object.__setattr__(self, "event", EventKind(self.event))
        if (self.trigger == Trigger.EVENT) != (self.event is not None):
            raise PolicyError("a step has an event exactly when its trigger is EVENT")
        if self.trigger != Trigger.DAYS_FROM_DUE and self.offset_days < 0:
            raise PolicyError(f"{self.trigger.name} steps need offset_days >= 0, got {self.offset_days}")
        if abs(self.offset_days) > 10_000:
            raise PolicyError(f"offset_days {self.offset_days} is out of range")
        if self.min_amount_minor < 0:
            raise PolicyError("min_amount_minor must be >= 0")


@dataclass(frozen=True, slots=True)
class Strategy:
    name: str
    steps: tuple[Step, ...]
    key: int | None = None
    thank_you: bool = False  # send a thank-you on an on-time payment or a kept promise
    thank_you_channel: Channel = Channel.EMAIL
    thank_you_within_days: int = 7  # events older than this (relative to as_of) earn no thank-you

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "thank_you_channel", Channel(self.thank_you_channel))
        if len(self.steps) > 1000:
            raise PolicyError(f"strategy {self.name!r}: too many steps")
        if self.thank_you_within_days < 0:
            raise PolicyError(f"strategy {self.name!r}: thank_you_within_days must be >= 0")


@dataclass(frozen=True, slots=True)
class StepTables:
    """The policy as (strategy, step) arrays, padded to the longest ladder. Row -1 is "no strategy"."""

    n_steps: np.ndarray  # (S+1,) int16
    trigger: np.ndarray  # (S+1, K) int8, -1 where the strategy has no such step
    offset: np.ndarray  # (S+1, K) int64
    channel: np.ndarray  # (S+1, K) int8
    min_amount: np.ndarray  # (S+1, K) int64
    rule: np.ndarray  # (S+1, K) int8
    allow_skip: np.ndarray  # (S+1, K) bool
    event: np.ndarray  # (S+1, K) int8, -1 where not an event step
    thank_you: np.ndarray  # (S+1,) bool
    thank_you_channel: np.ndarray  # (S+1,) int8
    thank_you_within: np.ndarray  # (S+1,) int64


@dataclass(frozen=True, slots=True)
class DunningPolicy:
    """The strategies (indexed by ``Customers.strategy``) and calendars (by ``Customers.business_unit``)."""

    strategies: tuple[Strategy, ...]
    calendars: tuple[BusinessCalendar, ...] = (WEEKENDS_ONLY,)
    tables: StepTables = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategies", tuple(self.strategies))
        object.__setattr__(self, "calendars", tuple(self.calendars))
        if not self.calendars:
            raise PolicyError("a policy needs at least one business-day calendar")
        object.__setattr__(self, "tables", _tables(self.strategies))

    @property
    def max_steps(self) -> int:
        return int(self.tables.trigger.shape[1])


def _tables(strategies: tuple[Strategy, ...]) -> StepTables:
    s_count = len(strategies)
    k = max((len(s.steps) for s in strategies), default=0)
    shape = (s_count + 1, k)
    t = StepTables(
        n_steps=np.zeros(s_count + 1, np.int16),
        trigger=np.full(shape, -1, np.int8),
        offset=np.zeros(shape, np.int64),
        channel=np.full(shape, -1, np.int8),
        min_amount=np.zeros(shape, np.int64),
        rule=np.zeros(shape, np.int8),
        allow_skip=np.ones(shape, bool),
        event=np.full(shape, -1, np.int8),
        thank_you=np.zeros(s_count + 1, bool),
        thank_you_channel=np.full(s_count + 1, -1, np.int8),
        thank_you_within=np.zeros(s_count + 1, np.int64),
    )
    for i, strategy in enumerate(strategies):
        t.n_steps[i] = len(strategy.steps)
        t.thank_you[i] = strategy.thank_you
        t.thank_you_channel[i] = strategy.thank_you_channel
        t.thank_you_within[i] = strategy.thank_you_within_days
        for j, step in enumerate(strategy.steps):
            t.trigger[i, j] = step.trigger
            t.offset[i, j] = step.offset_days
            t.channel[i, j] = step.channel
            t.min_amount[i, j] = step.min_amount_minor
            t.rule[i, j] = step.business_days
            t.allow_skip[i, j] = step.allow_skip
            t.event[i, j] = -1 if step.event is None else step.event
    for name in ("n_steps", "trigger", "offset", "channel", "min_amount", "rule", "allow_skip", "event",
                 "thank_you", "thank_you_channel", "thank_you_within"):
        getattr(t, name).flags.writeable = False
    return t
