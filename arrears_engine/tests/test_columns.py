"""The column tables fail loudly at the boundary: wrong dtype, ragged lengths, impossible states."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from arrears_engine import (
    ColumnError,
    Customers,
    DunningPolicy,
    OpenItems,
    Step,
    Strategy,
    Trigger,
    plan_dunning_run,
)
from arrears_engine.codes import Channel, Reason
from arrears_engine.policy import PolicyError


def columns(**overrides):
    base = {
        "document_id": np.array([1, 2], np.int64),
        "customer": np.array([0, 0], np.int64),
        "due_date": np.array(["2026-03-01", "2026-03-02"], "datetime64[D]"),
        "issue_date": np.array(["2026-02-01", "2026-02-02"], "datetime64[D]"),
        "open_minor": np.array([100, 200], np.int64),
        "currency": np.array([0, 0], np.int64),
        "currencies": ("EUR",),
    }
    return base | overrides


def test_valid_columns_get_defaults_and_become_read_only():
    items = OpenItems(**columns())

    assert items.level.tolist() == [-1, -1]
    assert np.isnat(items.last_sent).all()
    assert items.promise_covered.tolist() == [True, True]
    with pytest.raises(ValueError, match="read-only"):
        items.open_minor[0] = 5


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"open_minor": np.array([1.0, 2.0])}, r"OpenItems.open_minor: expected int64, got float64"),
        ({"open_minor": np.array([1, 2], np.int32)}, r"OpenItems.open_minor: expected int64, got int32"),
        ({"due_date": np.array(["2026-03-01"], "datetime64[D]")}, r"OpenItems.due_date: length 1 differs"),
        ({"due_date": np.array(["2026-03-01", "2026-03-02"], "datetime64[s]")}, r"expected datetime64\[D\]"),
        ({"customer": [0, 0]}, r"OpenItems.customer: expected a numpy array, got list"),
        ({"level": np.array([0, -1], np.int16)}, r"OpenItems.last_sent: row 0 has a level but no date sent"),
        ({"currency": np.array([0, 1], np.int64)}, r"OpenItems.currency: row 1 is 1, outside the 1 codes"),
        ({"due_date": np.array(["NaT", "2026-03-02"], "datetime64[D]")}, r"OpenItems.due_date: row 0 is NaT"),
    ],
)
def test_bad_columns_are_refused_with_the_table_column_and_row(override, message):
    with pytest.raises(ColumnError, match=message):
        OpenItems(**columns(**override))


def test_from_sequences_converts_exactly_and_refuses_floats():
    items = OpenItems.from_sequences(
        document_id=[1], customer=[0], due_date=[date(2026, 3, 1)], issue_date=[date(2026, 2, 1)],
        open_minor=[12_345], currency=[0], last_sent=[None], currencies=("EUR",),
    )
    assert items.open_minor.dtype == np.int64
    assert np.isnat(items.last_sent[0])
    with pytest.raises(ColumnError, match=r"OpenItems.open_minor: expected integers, got float64"):
        OpenItems.from_sequences(
            document_id=[1], customer=[0], due_date=[date(2026, 3, 1)], issue_date=[date(2026, 2, 1)],
            open_minor=[123.45], currency=[0], currencies=("EUR",),
        )


def test_references_to_missing_customers_strategies_or_calendars_are_refused():
    items = OpenItems(**columns(customer=np.array([0, 3], np.int64)))
    customers = Customers(strategy=np.array([0], np.int64), business_unit=np.array([0], np.int64))
    policy = DunningPolicy(strategies=(Strategy("s", steps=()),))
    with pytest.raises(ColumnError, match=r"OpenItems.customer: row 1 refers to customer 3 of 1"):
        plan_dunning_run(items, customers, policy, as_of=date(2026, 3, 5))
    items = OpenItems(**columns())
    with pytest.raises(ColumnError, match=r"Customers.business_unit: row 0 has no calendar"):
        plan_dunning_run(
            items, Customers(strategy=np.array([0]), business_unit=np.array([1])), policy, as_of=date(2026, 3, 5)
        )


def test_a_policy_whose_ladders_are_empty_plans_nothing():
    items = OpenItems(**columns())
    customers = Customers(strategy=np.array([0], np.int64), business_unit=np.array([0], np.int64))

    plan = plan_dunning_run(items, customers, DunningPolicy(strategies=(Strategy("empty", steps=()),)), as_of=date(2026, 9, 1))

    assert plan.items.reason.tolist() == [Reason.NOTHING_DUE, Reason.NOTHING_DUE]
    assert len(plan.messages) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"trigger": Trigger.EVENT, "offset_days": 0, "channel": Channel.EMAIL},  # no event kind
        {"trigger": Trigger.DAYS_AFTER_PREVIOUS, "offset_days": -1, "channel": Channel.EMAIL},
        {"trigger": Trigger.DAYS_FROM_DUE, "offset_days": 7, "channel": Channel.EMAIL, "min_amount_minor": -1},
    ],
)
def test_impossible_steps_are_refused(kwargs):
    with pytest.raises(PolicyError):
        Step(**kwargs)
