"""Days past due and ageing buckets, for all items at once."""

from __future__ import annotations

from datetime import date

import numpy as np

# Bucket edges in days past due: not due, 1-30, 31-60, 61-90, 91-120, over 120.
AGEING_EDGES = np.array([0, 30, 60, 90, 120], dtype=np.int32)
AGEING_LABELS = ("current", "1-30", "31-60", "61-90", "91-120", "120+")


def as_day(as_of: date) -> int:
    """``as_of`` as days since 1970-01-01 (the int64 value of ``datetime64[D]``)."""
    if not isinstance(as_of, date):
        raise TypeError(f"as_of must be a datetime.date, got {type(as_of).__name__}")
    return int(np.datetime64(as_of, "D").astype(np.int64))


def days_past_due(due_date: np.ndarray, as_of: date) -> np.ndarray:
    """``as_of - due_date`` in days (int32); negative before the due date."""
    return (as_day(as_of) - due_date.view(np.int64)).astype(np.int32)


def ageing_bucket(days: np.ndarray, edges: np.ndarray = AGEING_EDGES) -> np.ndarray:
    """Index into ``AGEING_LABELS`` for each days-past-due value (0 = not yet due)."""
    return np.searchsorted(edges, days, side="left").astype(np.int8)
