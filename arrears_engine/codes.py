"""Small integer codes used in the engine's columns, each with a name.

Columns hold the integer values (int8) so that a million rows stay small; the Django side maps them
back with ``Channel(value).name.lower()`` and the like. The values are part of the public API: do not
renumber them, append new members instead.
"""

from __future__ import annotations

from enum import IntEnum


class Channel(IntEnum):
    """How a step reaches the customer (or who acts on it)."""

    EMAIL = 0
    LETTER = 1
    SMS = 2
    CALL_TASK = 3  # a task for the customer's collector
    ESCALATE_LEAD = 4  # an escalation to the collector's team lead
    AGENCY = 5  # hand-over to a collection agency
    LEGAL = 6  # hand-over to legal
    WRITE_OFF_PROPOSAL = 7


class Trigger(IntEnum):
    """When a step becomes due for an item."""

    DAYS_FROM_DUE = 0  # due date + offset days (offset < 0: a pre-due reminder)
    DAYS_AFTER_PREVIOUS = 1  # date the previous step of the ladder was sent + offset days
    EVENT = 2  # first event of the step's kind after the item's last step, + offset days


class BusinessDayRule(IntEnum):
    """What happens when a step's date falls on a weekend or public holiday."""

    NONE = 0  # the date stands
    NEXT = 1  # moves to the next business day
    PREVIOUS = 2  # moves to the previous business day


class EventKind(IntEnum):
    PAYMENT_RECEIVED = 0
    PROMISE_BROKEN = 1
    INSTALMENT_MISSED = 2
    DISPUTE_RESOLVED = 3
    PROMISE_KEPT = 4


class Reason(IntEnum):
    """Why an item does (or does not) get a step in this run. Values >= 10 are holds.

    Exactly one reason per item, chosen in this order: not dunnable, no strategy, holds (in the
    order below), then nothing due / below minimum / step due.
    """

    STEP_DUE = 0  # the item advances to ``step`` in this run
    NOTHING_DUE = 1  # no step above the item's level is due yet (or the ladder is finished)
    BELOW_MINIMUM = 2  # a step's date has come but the dunnable amount is below its minimum
    NO_STRATEGY = 3  # the customer is assigned to no strategy
    NOT_DUNNABLE = 4  # the open amount is zero or negative (a credit)
    HOLD_BANKRUPTCY = 10
    HOLD_CEASE_COMMUNICATION = 11
    HOLD_DO_NOT_CONTACT = 12
    HOLD_PAUSED = 13
    HOLD_PAYMENT_PLAN = 14  # an active payment plan covers the item
    HOLD_PROMISE = 15  # an active promise to pay covers the item
    HOLD_DISPUTE = 16  # the whole open amount is disputed

    @property
    def is_hold(self) -> bool:
        return self.value >= 10


class MessageKind(IntEnum):
    DUNNING = 0
    THANK_YOU = 1


class Arm(IntEnum):
    CHAMPION = 0
    CHALLENGER = 1


NO_STEP = -1  # in step / level / channel columns: none
