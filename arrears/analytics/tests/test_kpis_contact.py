"""§13 right-party-contact rates."""

import pytest

from arrears.analytics.kpis import (
    CallAttempt,
    Direction,
    KpiInputError,
    Reason,
    rpc_rates,
    rpc_rates_from_calls,
)

from .kpi_helpers import assert_figure, assert_undefined


def test_rpc_rates_worked_example_june():
    result = rpc_rates(1000, 380, 150, promises=60)
    assert_figure(result.per_attempt, "15.00")
    assert_figure(result.per_connect, "39.47")
    assert_figure(result.ptp_per_rpc, "40.00")


def test_rpc_rates_worked_example_from_call_records_with_inbound_kept_apart():
    calls = (
        [CallAttempt(Direction.OUTBOUND, connected=True, right_party=True, promise_taken=True)] * 60
        + [CallAttempt(Direction.OUTBOUND, connected=True, right_party=True)] * 90
        + [CallAttempt(Direction.OUTBOUND, connected=True)] * 230  # third parties, wrong numbers
        + [CallAttempt(Direction.OUTBOUND)] * 620  # no answer, voicemail, machine
        + [CallAttempt(Direction.INBOUND, connected=True, right_party=True, promise_taken=True)] * 25
    )
    result = rpc_rates_from_calls(calls)
    assert (result.attempts, result.connects, result.rpcs, result.rpc_inbound) == (1000, 380, 150, 25)
    assert_figure(result.per_attempt, "15.00")
    assert_figure(result.per_connect, "39.47")
    assert_figure(result.ptp_per_rpc, "40.00")


def test_rpc_rates_without_attempts_or_connects_are_undefined():
    result = rpc_rates(0, 0, 0, promises=0)
    assert_undefined(result.per_attempt, Reason.ZERO_ATTEMPTS)
    assert_undefined(result.per_connect, Reason.ZERO_CONNECTS)
    assert_undefined(result.ptp_per_rpc, Reason.ZERO_RPCS)


@pytest.mark.parametrize(("attempts", "connects", "rpcs"), [(10, 20, 5), (100, 20, 30), (-1, 0, 0)])
def test_rpc_counts_must_nest(attempts, connects, rpcs):
    with pytest.raises(KpiInputError):
        rpc_rates(attempts, connects, rpcs)


def test_a_voicemail_is_not_a_right_party_contact():
    with pytest.raises(KpiInputError, match="connected"):
        CallAttempt(Direction.OUTBOUND, connected=False, right_party=True)
