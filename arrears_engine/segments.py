"""Assigning customers to strategies: segment rules (first match wins) and champion/challenger arms."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np

from arrears_engine.codes import Arm
from arrears_engine.columns import _Table

BASIS_POINTS = 10_000


@dataclass(frozen=True, slots=True, eq=False)
class CustomerAttributes(_Table):
    """The customer columns segment rules can test. Codes are the caller's small-int encodings
    (e.g. the index of ``Customer.kind`` among its choices). ``balance_minor`` is the customer's open
    balance in minor units of ``currency``; ``oldest_dpd`` the days past due of the oldest open item."""

    customer_id: np.ndarray
    kind: np.ndarray
    jurisdiction: np.ndarray
    segment: np.ndarray
    risk_band: np.ndarray
    balance_minor: np.ndarray
    oldest_dpd: np.ndarray
    currency: np.ndarray
    business_unit: np.ndarray

    SPECS: ClassVar[dict[str, str]] = {
        "customer_id": "int64",
        "kind": "index",
        "jurisdiction": "index",
        "segment": "index",
        "risk_band": "index",
        "balance_minor": "int64",
        "oldest_dpd": "index",
        "currency": "index",
        "business_unit": "index",
    }


@dataclass(frozen=True, slots=True)
class SegmentRule:
    """Matches customers whose every given condition holds (``None`` = any value).

    Sets hold codes; ranges are inclusive. With ``challenger`` set, ``challenger_percent`` of the
    matching customers (chosen by a hash of their id and ``salt``) get the challenger strategy.
    """

    strategy: int
    kinds: frozenset[int] | None = None
    jurisdictions: frozenset[int] | None = None
    segments: frozenset[int] | None = None
    risk_bands: frozenset[int] | None = None
    currencies: frozenset[int] | None = None
    business_units: frozenset[int] | None = None
    min_balance_minor: int | None = None
    max_balance_minor: int | None = None
    min_oldest_dpd: int | None = None
    max_oldest_dpd: int | None = None
    challenger: int | None = None
    challenger_percent: int | Decimal = 0
    salt: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        if self.challenger is not None and not self.salt:
            raise ValueError(f"rule {self.name!r}: a champion/challenger split needs a salt")
        _basis_points(self.challenger_percent)


@dataclass(frozen=True, slots=True)
class StrategyAssignment:
    strategy: np.ndarray  # int64, index into DunningPolicy.strategies (the default where no rule matched)
    arm: np.ndarray  # int8, Arm.CHAMPION / Arm.CHALLENGER
    rule: np.ndarray  # int32, index of the matching rule, -1 for the default


_SETS = (
    ("kinds", "kind"),
    ("jurisdictions", "jurisdiction"),
    ("segments", "segment"),
    ("risk_bands", "risk_band"),
    ("currencies", "currency"),
    ("business_units", "business_unit"),
)
_RANGES = (
    ("min_balance_minor", "balance_minor", np.greater_equal),
    ("max_balance_minor", "balance_minor", np.less_equal),
    ("min_oldest_dpd", "oldest_dpd", np.greater_equal),
    ("max_oldest_dpd", "oldest_dpd", np.less_equal),
)


def rule_matches(rule: SegmentRule, attrs: CustomerAttributes) -> np.ndarray:
    match = np.ones(len(attrs), bool)
    for field, column in _SETS:
        wanted = getattr(rule, field)
        if wanted is not None:
            match &= np.isin(getattr(attrs, column), np.fromiter(wanted, np.int64, len(wanted)))
    for field, column, compare in _RANGES:
        bound = getattr(rule, field)
        if bound is not None:
            match &= compare(getattr(attrs, column), bound)
    return match


def assign_strategies(
    attrs: CustomerAttributes, rules: Sequence[SegmentRule], *, default: int
) -> StrategyAssignment:
    """The first rule that matches each customer decides its strategy (and arm); else ``default``
    (which may be -1: not dunned)."""
    n = len(attrs)
    rule_of = np.full(n, -1, np.int32)
    open_ = np.ones(n, bool)
    for i, rule in enumerate(rules):
        hit = open_ & rule_matches(rule, attrs)
        rule_of[hit] = i
        open_ &= ~hit
    strategy = np.full(n, default, np.int64)
    arm = np.zeros(n, np.int8)
    for i, rule in enumerate(rules):
        mine = rule_of == i
        strategy[mine] = rule.strategy
        if rule.challenger is not None and mine.any():
            challenged = mine & (assign_arm(attrs.customer_id, rule.salt, rule.challenger_percent) == Arm.CHALLENGER)
            strategy[challenged] = rule.challenger
            arm[challenged] = Arm.CHALLENGER
    return StrategyAssignment(strategy=strategy, arm=arm, rule=rule_of)


def _basis_points(percent: int | Decimal) -> int:
    if isinstance(percent, float) or not isinstance(percent, int | Decimal):
        raise TypeError("percent must be an int or a Decimal (no floats)")
    bp = Decimal(percent) * 100
    if bp != bp.to_integral_value() or not 0 <= bp <= BASIS_POINTS:
        raise ValueError(f"percent must be between 0 and 100 with at most two decimals, got {percent}")
    return int(bp)


def _salt64(salt: str) -> np.uint64:
    return np.uint64(int.from_bytes(hashlib.blake2b(salt.encode(), digest_size=8).digest(), "little"))


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser on a uint64 array (wrapping arithmetic)."""
    z = x.astype(np.uint64, copy=True)
    z += np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def arm_hash(ids: np.ndarray | Sequence[Any], salt: str) -> np.ndarray:
    """A uint64 hash per id. Integer ids (a numpy int array): splitmix64(id XOR blake2b(salt));
    other ids (e.g. external id strings): blake2b of the id keyed with the salt."""
    if isinstance(ids, np.ndarray) and ids.dtype.kind in "iu":
        with np.errstate(over="ignore"):
            return splitmix64(ids.astype(np.int64).view(np.uint64) ^ _salt64(salt))
    key = salt.encode()[:64]
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(str(i).encode(), key=key, digest_size=8).digest(), "little")
            for i in ids
        ),
        dtype=np.uint64,
        count=len(ids),
    )


def assign_arm(ids: np.ndarray | Sequence[Any], salt: str, percent: int | Decimal) -> np.ndarray:
    """Deterministic champion/challenger split: ``percent`` of ids (to 0.01 %) are CHALLENGER (int8 1).

    The same id, salt and percent always give the same arm, on any machine; raising the percent
    only moves champions to the challenger arm, never back.
    """
    bp = _basis_points(percent)
    bucket = arm_hash(ids, salt) % np.uint64(BASIS_POINTS)
    return (bucket < np.uint64(bp)).astype(np.int8)
