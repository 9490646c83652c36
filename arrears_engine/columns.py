"""Columnar inputs and outputs: frozen dataclasses holding one 1-D numpy array per column.

Constructors check each column's dtype and that all columns have the same length, and fail with a
:class:`ColumnError` naming the table and column. They never convert silently: build arrays with the
right dtype, or use ``from_sequences`` which converts Python sequences exactly (and refuses floats).
Arrays are stored as read-only views.

Indices: ``OpenItems.customer`` indexes the rows of :class:`Customers`; ``Customers.strategy``
indexes ``DunningPolicy.strategies`` (-1 = no strategy); ``Customers.business_unit`` indexes
``DunningPolicy.calendars``; ``OpenItems.currency`` indexes ``OpenItems.currencies``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

DATE = np.dtype("datetime64[D]")
NAT = np.datetime64("NaT", "D")


class ColumnError(ValueError):
    pass


# dtype specs: "int64", "int16", "int8", "bool", "date", or "index" (any signed integer dtype)
def _check(table: str, name: str, arr: Any, spec: str) -> np.ndarray:
    if not isinstance(arr, np.ndarray):
        raise ColumnError(f"{table}.{name}: expected a numpy array, got {type(arr).__name__}")
    if arr.ndim != 1:
        raise ColumnError(f"{table}.{name}: expected a 1-D array, got shape {arr.shape}")
    if spec == "index":
        ok = arr.dtype.kind == "i"
    elif spec == "date":
        ok = arr.dtype == DATE
    else:
        ok = arr.dtype == np.dtype(spec)
    if not ok:
        want = {"index": "a signed integer dtype", "date": "datetime64[D]"}.get(spec, spec)
        raise ColumnError(f"{table}.{name}: expected {want}, got {arr.dtype}")
    view = arr.view()
    view.flags.writeable = False
    return view


def _coerce(table: str, name: str, values: Any, spec: str) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        raise ColumnError(f"{table}.{name}: floats are not accepted")
    if spec == "date":
        return np.asarray(values, dtype=DATE)
    if spec == "bool":
        arr = np.asarray(values)
        if arr.size and arr.dtype != np.bool_:
            raise ColumnError(f"{table}.{name}: expected booleans, got {arr.dtype}")
        return arr.astype(np.bool_)
    arr = np.asarray(values)
    if arr.size and arr.dtype.kind not in "iu":
        raise ColumnError(f"{table}.{name}: expected integers, got {arr.dtype}")
    dtype = np.int64 if spec == "index" else np.dtype(spec)
    if arr.size and (arr.min() < np.iinfo(dtype).min or arr.max() > np.iinfo(dtype).max):
        raise ColumnError(f"{table}.{name}: values do not fit in {np.dtype(dtype)}")
    return arr.astype(dtype)


class _Table:
    """Base for the column tables: checks every array field in ``__post_init__``."""

    SPECS: ClassVar[dict[str, str]] = {}
    DEFAULTS: ClassVar[dict[str, Any]] = {}  # optional columns: fill value when passed None

    def __post_init__(self) -> None:
        table = type(self).__name__
        n: int | None = None
        first = ""
        for name, spec in self.SPECS.items():
            arr = getattr(self, name)
            if arr is None:
                continue
            arr = _check(table, name, arr, spec)
            object.__setattr__(self, name, arr)
            if n is None:
                n, first = len(arr), name
            elif len(arr) != n:
                raise ColumnError(f"{table}.{name}: length {len(arr)} differs from {first} ({n})")
        for name, fill in self.DEFAULTS.items():
            if getattr(self, name) is None:
                spec = self.SPECS[name]
                dtype = DATE if spec == "date" else np.dtype(spec)
                arr = np.full(n or 0, fill, dtype=dtype)
                arr.flags.writeable = False
                object.__setattr__(self, name, arr)
        self._validate()

    def _validate(self) -> None:
        pass

    def __len__(self) -> int:
        return len(getattr(self, next(iter(self.SPECS))))

    @classmethod
    def from_sequences(cls, **columns: Any) -> Any:
        """Build from Python sequences (ints, bools, ``date``/None), converting exactly."""
        table = cls.__name__
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in columns:
                continue
            value = columns.pop(f.name)
            spec = cls.SPECS.get(f.name)
            kwargs[f.name] = _coerce(table, f.name, value, spec) if spec and value is not None else value
        if columns:
            raise ColumnError(f"{table}: unknown columns {sorted(columns)}")
        return cls(**kwargs)


@dataclass(frozen=True, slots=True, eq=False)
class OpenItems(_Table):
    """One row per open document (invoice, debit note...).

    ``level`` is the position of the last step sent for the item in its customer's strategy
    (-1: none yet) and ``last_sent`` the date it was sent (NaT if none). ``open_minor`` and
    ``disputed_minor`` are in the minor units of the item's currency; only the undisputed remainder is
    dunnable. ``promise_covered``/``plan_covered`` say whether the customer's active promise or
    payment plan covers this item (default: yes).
    """

    document_id: np.ndarray
    customer: np.ndarray
    due_date: np.ndarray
    issue_date: np.ndarray
    open_minor: np.ndarray
    currency: np.ndarray
    disputed_minor: np.ndarray | None = None
    level: np.ndarray | None = None
    last_sent: np.ndarray | None = None
    promise_covered: np.ndarray | None = None
    plan_covered: np.ndarray | None = None
    currencies: tuple[str, ...] = field(default=())

    SPECS: ClassVar[dict[str, str]] = {
        "document_id": "int64",
        "customer": "index",
        "due_date": "date",
        "issue_date": "date",
        "open_minor": "int64",
        "currency": "index",
        "disputed_minor": "int64",
        "level": "int16",
        "last_sent": "date",
        "promise_covered": "bool",
        "plan_covered": "bool",
    }
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "disputed_minor": 0,
        "level": -1,
        "last_sent": NAT,
        "promise_covered": True,
        "plan_covered": True,
    }

    def _validate(self) -> None:
        if len(self) == 0:
            return
        if np.isnat(self.due_date).any():
            raise ColumnError(f"OpenItems.due_date: row {int(np.flatnonzero(np.isnat(self.due_date))[0])} is NaT")
        if np.isnat(self.issue_date).any():
            raise ColumnError(
                f"OpenItems.issue_date: row {int(np.flatnonzero(np.isnat(self.issue_date))[0])} is NaT"
            )
        bad = np.flatnonzero(self.level < -1)
        if bad.size:
            raise ColumnError(f"OpenItems.level: row {int(bad[0])} is {int(self.level[bad[0]])} (minimum -1)")
        bad = np.flatnonzero((self.level >= 0) & np.isnat(self.last_sent))
        if bad.size:
            raise ColumnError(f"OpenItems.last_sent: row {int(bad[0])} has a level but no date sent")
        bad = np.flatnonzero(self.customer < 0)
        if bad.size:
            raise ColumnError(f"OpenItems.customer: row {int(bad[0])} is negative")
        bad = np.flatnonzero((self.currency < 0) | (self.currency >= max(len(self.currencies), 1)))
        if bad.size:
            raise ColumnError(
                f"OpenItems.currency: row {int(bad[0])} is {int(self.currency[bad[0]])}, "
                f"outside the {len(self.currencies)} codes in OpenItems.currencies"
            )


@dataclass(frozen=True, slots=True, eq=False)
class Customers(_Table):
    """One row per customer; row ``i`` is the customer that ``OpenItems.customer == i`` refers to.

    ``strategy`` is already resolved (see :func:`arrears_engine.segments.assign_strategies`).
    ``promise_until``: last day of an active promise to pay (NaT: none). ``last_thank_you``: date the
    last thank-you was sent (NaT: never). ``arm``: 0 champion, 1 challenger (recorded on messages).
    """

    strategy: np.ndarray
    business_unit: np.ndarray
    cease_communication: np.ndarray | None = None
    do_not_contact: np.ndarray | None = None
    bankruptcy: np.ndarray | None = None
    paused: np.ndarray | None = None
    promise_until: np.ndarray | None = None
    plan_active: np.ndarray | None = None
    arm: np.ndarray | None = None
    last_thank_you: np.ndarray | None = None

    SPECS: ClassVar[dict[str, str]] = {
        "strategy": "index",
        "business_unit": "index",
        "cease_communication": "bool",
        "do_not_contact": "bool",
        "bankruptcy": "bool",
        "paused": "bool",
        "promise_until": "date",
        "plan_active": "bool",
        "arm": "int8",
        "last_thank_you": "date",
    }
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "cease_communication": False,
        "do_not_contact": False,
        "bankruptcy": False,
        "paused": False,
        "promise_until": NAT,
        "plan_active": False,
        "arm": 0,
        "last_thank_you": NAT,
    }

    def _validate(self) -> None:
        bad = np.flatnonzero(self.strategy < -1)
        if bad.size:
            raise ColumnError(f"Customers.strategy: row {int(bad[0])} is below -1")
        bad = np.flatnonzero(self.business_unit < 0)
        if bad.size:
            raise ColumnError(f"Customers.business_unit: row {int(bad[0])} is negative")


@dataclass(frozen=True, slots=True, eq=False)
class Events(_Table):
    """Customer events (see :class:`arrears_engine.codes.EventKind`), one row each.

    ``on_time`` matters for PAYMENT_RECEIVED only: the payment settled its documents on or before
    their due dates (the loader decides; it earns a thank-you where the strategy sends them).
    """

    customer: np.ndarray
    kind: np.ndarray
    date: np.ndarray
    on_time: np.ndarray | None = None

    SPECS: ClassVar[dict[str, str]] = {"customer": "index", "kind": "int8", "date": "date", "on_time": "bool"}
    DEFAULTS: ClassVar[dict[str, Any]] = {"on_time": False}

    def _validate(self) -> None:
        if len(self) and np.isnat(self.date).any():
            raise ColumnError(f"Events.date: row {int(np.flatnonzero(np.isnat(self.date))[0])} is NaT")

    @classmethod
    def empty(cls) -> Events:
        return cls(
            customer=np.zeros(0, np.int64), kind=np.zeros(0, np.int8), date=np.zeros(0, DATE)
        )


@dataclass(frozen=True, slots=True, eq=False)
class ItemPlan(_Table):
    """The plan for each open item, aligned with the input rows of :class:`OpenItems`.

    ``reason`` (:class:`~arrears_engine.codes.Reason`) says what happens; with STEP_DUE the item gets
    ``step`` on ``channel`` and its level becomes ``new_level``. ``due_step`` is the step that would
    be due ignoring holds (so held items show what they block). ``message`` indexes the customer's
    message in :class:`Messages` (-1: none).
    """

    document_id: np.ndarray
    customer: np.ndarray
    days_past_due: np.ndarray
    dunnable_minor: np.ndarray
    reason: np.ndarray
    due_step: np.ndarray
    step: np.ndarray
    new_level: np.ndarray
    channel: np.ndarray
    message: np.ndarray

    SPECS: ClassVar[dict[str, str]] = {
        "document_id": "int64",
        "customer": "int64",
        "days_past_due": "int32",
        "dunnable_minor": "int64",
        "reason": "int8",
        "due_step": "int16",
        "step": "int16",
        "new_level": "int16",
        "channel": "int8",
        "message": "int64",
    }


@dataclass(frozen=True, slots=True, eq=False)
class Messages(_Table):
    """At most one message per customer per run, ordered by customer.

    A DUNNING message is at the highest step among the customer's items that advance (``step``,
    ``channel`` of that step); a THANK_YOU message has ``step`` -1 and the strategy's thank-you channel.
    """

    customer: np.ndarray
    strategy: np.ndarray
    arm: np.ndarray
    kind: np.ndarray
    step: np.ndarray
    channel: np.ndarray
    n_items: np.ndarray

    SPECS: ClassVar[dict[str, str]] = {
        "customer": "int64",
        "strategy": "int64",
        "arm": "int8",
        "kind": "int8",
        "step": "int16",
        "channel": "int8",
        "n_items": "int64",
    }


@dataclass(frozen=True, slots=True, eq=False)
class MessageTotals(_Table):
    """Dunnable total per message and currency, ordered by (message, currency)."""

    message: np.ndarray
    currency: np.ndarray
    amount_minor: np.ndarray
    n_items: np.ndarray

    SPECS: ClassVar[dict[str, str]] = {
        "message": "int64",
        "currency": "int64",
        "amount_minor": "int64",
        "n_items": "int64",
    }


def table_equal(a: _Table, b: _Table) -> bool:
    """Column-by-column equality (dtypes and values; NaT equals NaT)."""
    if type(a) is not type(b):
        return False
    for name in a.SPECS:
        x, y = getattr(a, name), getattr(b, name)
        if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(x, y, equal_nan=x.dtype.kind in "fmM"):
            return False
    return True
