"""Right-party-contact rates and promises per RPC (KPIS.md §13)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from .core import KpiInputError, KpiResult, Reason, Unit, percent


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


@dataclass(frozen=True, slots=True)
class CallAttempt:
    """One call: ``connected`` = a human answered; ``right_party`` = live conversation with the obligor
    (or someone authorised for them), not a voicemail, machine or other third party."""

    direction: Direction
    connected: bool = False
    right_party: bool = False
    promise_taken: bool = False

    def __post_init__(self) -> None:
        if self.right_party and not self.connected:
            raise KpiInputError("a right-party contact must be a connected call")
        if self.promise_taken and not self.right_party:
            raise KpiInputError("a promise can only be taken on a right-party contact")


@dataclass(frozen=True, slots=True)
class RpcRates:
    per_attempt: KpiResult  # the default "RPC rate"
    per_connect: KpiResult
    ptp_per_rpc: KpiResult
    attempts: int
    connects: int
    rpcs: int
    rpc_inbound: int  # inbound RPCs, reported separately and not in the rates


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise KpiInputError(f"{name} must be a whole number ≥ 0, got {value!r}")
    return value


def _rate(kpi: str, part: int, whole: int, reason: Reason) -> KpiResult:
    if whole == 0:
        return KpiResult.undefined(kpi, Unit.PERCENT, reason)
    return KpiResult.of(kpi, Unit.PERCENT, percent(Fraction(part), Fraction(whole)))


def rpc_rates(attempts: int, connects: int, rpcs: int, *, promises: int | None = None, rpc_inbound: int = 0) -> RpcRates:
    """RPC / outbound attempts × 100 (default), RPC / connects × 100, and promises taken / RPCs × 100."""
    attempts, connects, rpcs = _count("attempts", attempts), _count("connects", connects), _count("rpcs", rpcs)
    if not rpcs <= connects <= attempts:
        raise KpiInputError(f"expected rpcs ≤ connects ≤ attempts, got {rpcs}, {connects}, {attempts}")
    if promises is None:
        ptp = KpiResult.undefined("ptp_per_rpc", Unit.PERCENT, Reason.ZERO_DENOMINATOR)
    else:
        ptp = _rate("ptp_per_rpc", _count("promises", promises), rpcs, Reason.ZERO_RPCS)
    return RpcRates(
        per_attempt=_rate("rpc_rate_per_attempt", rpcs, attempts, Reason.ZERO_ATTEMPTS),
        per_connect=_rate("rpc_rate_per_connect", rpcs, connects, Reason.ZERO_CONNECTS),
        ptp_per_rpc=ptp,
        attempts=attempts,
        connects=connects,
        rpcs=rpcs,
        rpc_inbound=_count("rpc_inbound", rpc_inbound),
    )


def rpc_rates_from_calls(calls: Iterable[CallAttempt]) -> RpcRates:
    """Count outbound attempts/connects/RPCs/promises from call records; inbound RPCs go to ``rpc_inbound``."""
    attempts = connects = rpcs = promises = inbound = 0
    for call in calls:
        if Direction(call.direction) is Direction.INBOUND:
            inbound += call.right_party
            continue
        attempts += 1
        connects += call.connected
        rpcs += call.right_party
        promises += call.promise_taken
    return rpc_rates(attempts, connects, rpcs, promises=promises, rpc_inbound=inbound)
