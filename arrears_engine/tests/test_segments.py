from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears_engine import Arm, CustomerAttributes, SegmentRule, assign_arm, assign_strategies

CONSUMER, COMMERCIAL = 0, 1


def attrs(n: int = 6) -> CustomerAttributes:
    return CustomerAttributes(
        customer_id=np.arange(100, 100 + n, dtype=np.int64),
        kind=np.array([CONSUMER, COMMERCIAL, COMMERCIAL, CONSUMER, COMMERCIAL, COMMERCIAL][:n]),
        jurisdiction=np.array([0, 1, 1, 2, 3, 1][:n]),
        segment=np.zeros(n, np.int64),
        risk_band=np.array([0, 1, 2, 3, 1, 0][:n]),
        balance_minor=np.array([10_00, 500_00, 50_000_00, 200_00, 5_00, 1_000_00][:n], np.int64),
        oldest_dpd=np.array([5, 40, 95, 0, 10, 200][:n]),
        currency=np.zeros(n, np.int64),
        business_unit=np.zeros(n, np.int64),
    )


def test_the_first_matching_rule_wins_and_the_rest_get_the_default():
    rules = [
        SegmentRule(strategy=2, kinds=frozenset({COMMERCIAL}), min_balance_minor=10_000_00, name="key accounts"),
        SegmentRule(strategy=1, kinds=frozenset({COMMERCIAL}), name="commercial"),
        SegmentRule(strategy=3, min_oldest_dpd=180, name="never reached for customer 5"),
        SegmentRule(strategy=0, kinds=frozenset({CONSUMER}), risk_bands=frozenset({0, 1}), name="low-risk consumers"),
    ]

    result = assign_strategies(attrs(), rules, default=9)

    assert result.strategy.tolist() == [0, 1, 2, 9, 1, 1]
    assert result.rule.tolist() == [3, 1, 0, -1, 1, 1]
    assert result.arm.tolist() == [0] * 6


def test_a_champion_challenger_rule_splits_its_segment_by_hash_and_records_the_arm():
    rule = SegmentRule(strategy=0, challenger=1, challenger_percent=50, salt="2026-Q1")
    many = CustomerAttributes.from_sequences(
        customer_id=list(range(10_000)), kind=[0] * 10_000, jurisdiction=[0] * 10_000, segment=[0] * 10_000,
        risk_band=[0] * 10_000, balance_minor=[0] * 10_000, oldest_dpd=[0] * 10_000, currency=[0] * 10_000,
        business_unit=[0] * 10_000,
    )

    result = assign_strategies(many, [rule], default=-1)

    assert ((result.arm == Arm.CHALLENGER) == (result.strategy == 1)).all()
    assert 4_800 < int((result.arm == Arm.CHALLENGER).sum()) < 5_200


def test_a_split_needs_a_salt():
    with pytest.raises(ValueError, match="salt"):
        SegmentRule(strategy=0, challenger=1, challenger_percent=10)


@given(st.lists(st.integers(0, 2**62), max_size=50), st.text(max_size=10), st.integers(0, 100), st.integers(0, 100))
def test_arms_are_deterministic_and_a_larger_share_only_adds_challengers(ids, salt, p, q):
    ids = np.array(ids, dtype=np.int64)
    low, high = sorted((p, q))

    assert (assign_arm(ids, salt, low) == assign_arm(ids.copy(), salt, low)).all()
    assert (assign_arm(ids, salt, low) <= assign_arm(ids, salt, high)).all()


def test_string_ids_are_hashed_with_blake2b_and_percent_takes_two_decimals():
    ids = [f"CUST-{i}" for i in range(2_000)]

    arms = assign_arm(ids, "salt", Decimal("12.5"))

    assert arms.tolist() == assign_arm(list(ids), "salt", Decimal("12.50")).tolist()
    assert 180 < int(arms.sum()) < 320
    assert assign_arm(ids, "salt", 0).sum() == 0
    assert assign_arm(ids, "salt", 100).sum() == 2_000
    with pytest.raises(TypeError):
        assign_arm(ids, "salt", 12.5)  # type: ignore[arg-type]
