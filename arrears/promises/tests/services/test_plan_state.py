"""Payment plans: exact schedules, charges within limits, approval by role, instalments paid, missed, defaulted."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.audit.models import AuditEvent
from arrears.ledger.models import Document, DocumentKind
from arrears.promises.errors import PlanError, PlanErrorCode
from arrears.promises.models import InstalmentStatus, PlanStatus, PromiseEvent
from arrears.promises.selectors import plan_active_documents, promise_events_between
from arrears.promises.services import (
    plan_approve,
    plan_cancel,
    plan_due_dates,
    plan_evaluate,
    plan_on_payment,
    plan_schedule_equal,
    plan_submit,
)
from arrears.promises.tests.factories import make_plan

pytestmark = pytest.mark.django_db
D = Decimal


def _reload(plan):
    plan.refresh_from_db()
    return plan


def _instalments(plan):
    return list(plan.instalments.order_by("sequence").values_list("amount", "paid_amount", "status"))


# ---------------------------------------------------------------- schedules


@pytest.mark.django_db(transaction=False)
@settings(max_examples=200, deadline=None)
@given(
    units=st.integers(min_value=1, max_value=10**12),
    count=st.integers(min_value=1, max_value=120),
    currency=st.sampled_from(["EUR", "JPY", "BHD", "USD"]),
)
def test_equal_instalments_always_sum_exactly_to_the_total(units, count, currency):
    from arrears.common.money import from_minor, to_minor

    total = from_minor(units, currency)
    if units < count:
        with pytest.raises(PlanError):
            plan_schedule_equal(total=total, currency=currency, count=count, first_due_date=dt.date(2026, 1, 1), frequency="weekly")
        return
    rows = plan_schedule_equal(total=total, currency=currency, count=count, first_due_date=dt.date(2026, 1, 1), frequency="weekly")
    amounts = [a for _, a in rows]
    assert sum(amounts) == total
    minor = [to_minor(a, currency) for a in amounts]
    assert max(minor) - min(minor) <= 1
    assert minor == sorted(minor, reverse=True)  # the first instalments carry the remainder


def test_an_equal_split_puts_the_odd_cent_on_the_first_instalment():
    rows = plan_schedule_equal(total=D("100.00"), currency="EUR", count=3, first_due_date=dt.date(2026, 1, 31), frequency="monthly")
    assert rows == [
        (dt.date(2026, 1, 31), D("33.34")),
        (dt.date(2026, 2, 28), D("33.33")),
        (dt.date(2026, 3, 31), D("33.33")),
    ]


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [
        ("weekly", [dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 16)]),
        ("biweekly", [dt.date(2026, 3, 2), dt.date(2026, 3, 16), dt.date(2026, 3, 30)]),
        ("monthly", [dt.date(2026, 3, 2), dt.date(2026, 4, 2), dt.date(2026, 5, 2)]),
    ],
)
def test_due_dates_follow_the_frequency(frequency, expected):
    assert plan_due_dates(first_due_date=dt.date(2026, 3, 2), count=3, frequency=frequency) == expected


def test_a_custom_schedule_that_does_not_sum_to_the_total_is_refused(customer, invoices):
    with pytest.raises(PlanError) as err:
        make_plan(
            customer, invoices[:2], schedule_kind="custom",
            schedule=[(dt.date(2026, 3, 1), "100.00"), (dt.date(2026, 4, 1), "199.99")],
        )
    assert err.value.code == PlanErrorCode.SCHEDULE_SUM_MISMATCH
    assert "299.99" in err.value.message
    assert "300" in err.value.message
    assert not Document.objects.filter(kind=DocumentKind.DEBIT_NOTE).exists()


def test_a_custom_schedule_that_sums_exactly_is_kept_as_given(customer, invoices, make_user):
    plan = make_plan(
        customer, invoices[:2], by=make_user("hana", role="head"), schedule_kind="custom",
        schedule=[(dt.date(2026, 3, 1), "250.00"), (dt.date(2026, 5, 1), "50.00")],
    )
    assert plan.status == PlanStatus.ACTIVE
    assert plan.frequency == ""
    assert list(plan.instalments.values_list("due_date", "amount")) == [
        (dt.date(2026, 3, 1), D("250.00")), (dt.date(2026, 5, 1), D("50.00")),
    ]


@pytest.mark.parametrize(
    "schedule",
    [
        [(dt.date(2026, 4, 1), "150"), (dt.date(2026, 3, 1), "150")],  # dates out of order
        [(dt.date(2026, 3, 1), "301"), (dt.date(2026, 4, 1), "-1")],  # a negative instalment
        [(dt.date(2026, 1, 1), "300")],  # due before the plan is made
    ],
)
def test_a_malformed_custom_schedule_is_refused(customer, invoices, schedule):
    with pytest.raises(PlanError) as err:
        make_plan(customer, invoices[:2], schedule_kind="custom", schedule=schedule)
    assert err.value.code == PlanErrorCode.BAD_SCHEDULE


def test_a_document_cannot_be_in_two_live_plans(customer, invoices, collector):
    make_plan(customer, invoices[:1], by=collector)
    with pytest.raises(PlanError) as err:
        make_plan(customer, invoices[:2], by=collector)
    assert err.value.code == PlanErrorCode.DOCUMENT_ALREADY_IN_PLAN


# ---------------------------------------------------------------- charges within the jurisdiction's limits


def test_eu_b2b_may_add_the_fixed_40_eur_compensation_as_a_debit_note(customer, invoices, collector):
    plan = make_plan(customer, invoices[:1], by=collector, fee="40", count=2)
    assert (plan.principal, plan.fee, plan.total) == (D("100"), D("40"), D("140"))
    assert [a for a, _, _ in _instalments(plan)] == [D("70.00"), D("70.00")]
    charge = _reload(plan).charge_document
    assert (charge.kind, charge.amount, charge.open_amount) == (DocumentKind.DEBIT_NOTE, D("40"), D("40"))
    assert charge.pk in plan_active_documents(as_of=dt.date(2026, 2, 1))


@pytest.mark.parametrize(
    ("jurisdiction", "kwargs", "code"),
    [
        ("eu_b2b", {"fee": "40.01"}, PlanErrorCode.FEE_NOT_ALLOWED),
        ("us_consumer", {"fee": "1"}, PlanErrorCode.FEE_NOT_ALLOWED),
        ("us_consumer", {"interest": "0.01"}, PlanErrorCode.INTEREST_NOT_ALLOWED),
        ("us_commercial", {"fee": "10"}, PlanErrorCode.FEE_NOT_ALLOWED),  # cap is in USD, plan in EUR
        # 12 % a year on 300 EUR from 1 Feb to 1 Apr (59 days) = 5.82 EUR
        ("eu_b2b", {"interest": "5.83", "count": 2}, PlanErrorCode.INTEREST_NOT_ALLOWED),
    ],
)
def test_charges_beyond_the_jurisdictions_limit_are_refused(customer, invoices, jurisdiction, kwargs, code):
    customer.jurisdiction = jurisdiction
    customer.save(update_fields=["jurisdiction"])
    with pytest.raises(PlanError) as err:
        make_plan(customer, invoices[:2], **kwargs)
    assert err.value.code == code


def test_interest_up_to_the_cap_is_allowed(customer, invoices, collector):
    plan = make_plan(customer, invoices[:2], by=collector, interest="5.82", count=2)
    assert plan.total == D("305.82")


def test_the_charge_limits_can_be_overridden_in_settings(customer, invoices, settings):
    customer.jurisdiction = "us_consumer"
    customer.save(update_fields=["jurisdiction"])
    settings.ARREARS_PLAN_CHARGE_LIMITS = {"us_consumer": {"max_fee": "25", "fee_currency": "EUR", "max_interest_rate": "0"}}
    assert make_plan(customer, invoices[:1], fee="25").total == D("125")


# ---------------------------------------------------------------- approval limits by role


@pytest.mark.parametrize(
    ("role", "count", "documents", "status"),
    [
        ("collector", 6, 3, PlanStatus.ACTIVE),  # within 6 instalments and 5,000
        ("collector", 7, 3, PlanStatus.PENDING_APPROVAL),  # too many instalments
        ("lead", 12, 3, PlanStatus.ACTIVE),
        ("lead", 13, 3, PlanStatus.PENDING_APPROVAL),
        ("head", 48, 3, PlanStatus.ACTIVE),
        ("admin", 48, 3, PlanStatus.ACTIVE),
    ],
)
def test_a_plan_within_the_creators_limit_goes_active_at_once(customer, invoices, make_user, role, count, documents, status):
    plan = make_plan(customer, invoices[:documents], by=make_user("u", role=role), count=count, frequency="weekly")
    assert plan.status == status


def test_a_collector_plan_above_the_amount_limit_waits_for_a_lead(customer, collector, make_user):
    from arrears.ledger.tests.factories import DocumentFactory

    big = DocumentFactory(customer=customer, amount=D("5000.01"))
    plan = make_plan(customer, [big], by=collector, count=2)
    assert plan.status == PlanStatus.PENDING_APPROVAL
    assert plan_active_documents(as_of=dt.date(2026, 2, 1)) == set()

    with pytest.raises(PlanError) as err:
        plan_approve(plan=plan, by=make_user("colin", role="collector"))
    assert err.value.code == PlanErrorCode.APPROVAL_LIMIT_EXCEEDED

    lead = make_user("lea", role="lead")
    plan_approve(plan=plan, by=lead)
    plan = _reload(plan)
    assert (plan.status, plan.approved_by) == (PlanStatus.ACTIVE, lead)
    assert plan_active_documents(as_of=dt.date(2026, 2, 1)) == {big.pk}


def test_a_lead_cannot_approve_above_their_limit_but_the_head_can(customer, collector, make_user):
    from arrears.ledger.tests.factories import DocumentFactory

    big = DocumentFactory(customer=customer, amount=D("60000"))
    plan = make_plan(customer, [big], by=collector, count=3)
    with pytest.raises(PlanError):
        plan_approve(plan=plan, by=make_user("lea", role="lead"))
    plan_approve(plan=plan, by=make_user("hana", role="head"))
    assert _reload(plan).status == PlanStatus.ACTIVE


def test_approval_limits_can_be_configured(customer, invoices, collector, settings):
    settings.ARREARS_PLAN_APPROVAL_LIMITS = {"collector": {"max_instalments": 2, "max_total": "1000"}}
    assert make_plan(customer, invoices[:1], by=collector, count=3).status == PlanStatus.PENDING_APPROVAL


def test_an_auditor_may_not_make_a_plan(customer, invoices, make_user):
    with pytest.raises(PlanError) as err:
        make_plan(customer, invoices[:1], by=make_user("otto", role="auditor"))
    assert err.value.code == PlanErrorCode.NOT_ALLOWED_TO_CREATE


def test_a_draft_is_submitted_later_and_only_once(customer, invoices, collector):
    plan = make_plan(customer, invoices[:1], by=collector, submit=False)
    assert plan.status == PlanStatus.DRAFT
    plan_submit(plan=plan, by=collector)
    assert _reload(plan).status == PlanStatus.ACTIVE
    with pytest.raises(PlanError) as err:
        plan_submit(plan=plan, by=collector)
    assert err.value.code == PlanErrorCode.INVALID_TRANSITION


# ---------------------------------------------------------------- instalments: paid, missed, defaulted, completed


def test_payments_fill_the_instalments_in_order(customer, invoices, collector, pay):
    plan = make_plan(customer, invoices[1:2], by=collector, count=3)  # 200 -> 66.67, 66.67, 66.66

    plan_on_payment(payment=pay("100", dt.date(2026, 3, 1), [(invoices[1], "100")]))

    assert _instalments(plan) == [
        (D("66.67"), D("66.67"), InstalmentStatus.PAID),
        (D("66.67"), D("33.33"), InstalmentStatus.PARTIALLY_PAID),
        (D("66.66"), D("0"), InstalmentStatus.PENDING),
    ]
    assert _reload(plan).paid_amount == D("100")


def test_a_plan_is_completed_when_every_instalment_is_paid(customer, invoices, collector, pay):
    plan = make_plan(customer, invoices[:1], by=collector, count=2)
    plan_on_payment(payment=pay("50", dt.date(2026, 3, 1), [(invoices[0], "50")]))
    payment = pay("50", dt.date(2026, 4, 1), [(invoices[0], "50")])
    plan_on_payment(payment=payment)
    plan_on_payment(payment=payment)  # reported twice: counted once

    plan = _reload(plan)
    assert (plan.status, plan.completed_on, plan.paid_amount) == (PlanStatus.COMPLETED, dt.date(2026, 4, 1), D("100"))
    assert PromiseEvent.objects.filter(plan=plan, kind="plan_completed").count() == 1
    assert plan_active_documents(as_of=dt.date(2026, 4, 2)) == set()


def test_an_instalment_unpaid_after_grace_is_missed_and_emits_an_event(customer, invoices, collector):
    plan = make_plan(customer, invoices[:1], by=collector, count=2)  # due 1 March and 1 April

    assert plan_evaluate(as_of=dt.date(2026, 3, 4)).missed == 0  # 3 grace days: still in time
    result = plan_evaluate(as_of=dt.date(2026, 3, 5))
    plan_evaluate(as_of=dt.date(2026, 3, 5))

    first = plan.instalments.get(sequence=1)
    assert (result.missed, first.status, first.missed_on) == (1, InstalmentStatus.MISSED, dt.date(2026, 3, 5))
    assert promise_events_between(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)) == [
        (customer.pk, dt.date(2026, 3, 5), "instalment_missed")
    ]
    assert _reload(plan).status == PlanStatus.ACTIVE
    assert invoices[0].pk in plan_active_documents(as_of=dt.date(2026, 3, 5))  # one miss: still in good standing
    audit = AuditEvent.objects.get(action="status", object_type="promises.instalment")
    assert (audit.before, audit.after["status"]) == ({"status": "pending"}, "missed")


def test_two_missed_instalments_default_the_plan_and_lift_the_hold(customer, invoices, collector):
    plan = make_plan(customer, invoices[:1], by=collector, count=3)
    assert plan_active_documents(as_of=dt.date(2026, 3, 1)) == {invoices[0].pk}

    plan_evaluate(as_of=dt.date(2026, 3, 5))
    result = plan_evaluate(as_of=dt.date(2026, 4, 5))

    plan = _reload(plan)
    assert (result.defaulted, plan.status, plan.defaulted_on) == (1, PlanStatus.DEFAULTED, dt.date(2026, 4, 5))
    assert plan_active_documents(as_of=dt.date(2026, 4, 5)) == set()
    assert PromiseEvent.objects.filter(plan=plan, kind="plan_defaulted").count() == 1


def test_the_hold_lifts_on_the_second_miss_even_before_the_nightly_evaluation(customer, invoices, collector):
    make_plan(customer, invoices[:1], by=collector, count=3)
    assert plan_active_documents(as_of=dt.date(2026, 4, 4)) == {invoices[0].pk}
    assert plan_active_documents(as_of=dt.date(2026, 4, 5)) == set()


def test_paying_a_missed_instalment_cures_it(customer, invoices, collector, pay):
    plan = make_plan(customer, invoices[:1], by=collector, count=2)
    plan_evaluate(as_of=dt.date(2026, 3, 5))
    pay("50", dt.date(2026, 3, 10), [(invoices[0], "50")])

    plan_evaluate(as_of=dt.date(2026, 4, 5))  # the nightly run also applies unreported payments

    assert _instalments(plan)[0] == (D("50"), D("50"), InstalmentStatus.PAID)
    assert _instalments(plan)[1][2] == InstalmentStatus.MISSED
    assert _reload(plan).status == PlanStatus.ACTIVE  # only one instalment is missed now


def test_the_number_of_misses_that_defaults_a_plan_is_configurable(customer, invoices, collector, settings):
    settings.ARREARS_PLAN_DEFAULT_AFTER_MISSED = 1
    plan = make_plan(customer, invoices[:1], by=collector, count=3)
    plan_evaluate(as_of=dt.date(2026, 3, 5))
    assert _reload(plan).status == PlanStatus.DEFAULTED


def test_a_cancelled_plan_holds_nothing_and_cannot_be_cancelled_again(customer, invoices, collector):
    plan = make_plan(customer, invoices[:1], by=collector)
    plan_cancel(plan=plan, reason="customer asked")
    assert plan_active_documents(as_of=dt.date(2026, 3, 1)) == set()
    with pytest.raises(PlanError):
        plan_cancel(plan=plan)
