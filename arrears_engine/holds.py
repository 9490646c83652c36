"""Holds as masks: which items must not advance today, and why (a :class:`Reason` code)."""

from __future__ import annotations

import numpy as np

from arrears_engine.codes import Reason
from arrears_engine.columns import Customers, OpenItems

NO_HOLD = -1


def dunnable_minor(items: OpenItems) -> np.ndarray:
    """The undisputed remainder of each item's open amount (never below zero)."""
    return np.maximum(items.open_minor - np.maximum(items.disputed_minor, 0), 0)


def customer_reasons(customers: Customers) -> np.ndarray:
    """Per customer: NO_STRATEGY or the first customer-level hold, else NO_HOLD (int8)."""
    code = np.full(len(customers), NO_HOLD, dtype=np.int8)
    # lowest priority first, so that higher priorities overwrite
    code[customers.paused] = Reason.HOLD_PAUSED
    code[customers.do_not_contact] = Reason.HOLD_DO_NOT_CONTACT
    code[customers.cease_communication] = Reason.HOLD_CEASE_COMMUNICATION
    code[customers.bankruptcy] = Reason.HOLD_BANKRUPTCY
    code[customers.strategy < 0] = Reason.NO_STRATEGY
    return code


def promise_active(customers: Customers, as_of_day: int) -> np.ndarray:
    until = customers.promise_until
    return ~np.isnat(until) & (until.view(np.int64) >= as_of_day)


def item_reasons(items: OpenItems, customers: Customers, dunnable: np.ndarray, as_of_day: int) -> np.ndarray:
    """Per item: NOT_DUNNABLE, NO_STRATEGY or the first hold that applies, else NO_HOLD (int8)."""
    cust = items.customer
    code = customer_reasons(customers)[cust]
    free = code == NO_HOLD
    disputed = free & (dunnable <= 0)
    code[disputed] = Reason.HOLD_DISPUTE
    promised = free & items.promise_covered & promise_active(customers, as_of_day)[cust]
    code[promised] = Reason.HOLD_PROMISE
    planned = free & items.plan_covered & customers.plan_active[cust]
    code[planned] = Reason.HOLD_PAYMENT_PLAN
    code[items.open_minor <= 0] = Reason.NOT_DUNNABLE
    return code
