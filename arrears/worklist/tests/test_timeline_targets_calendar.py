"""Customer 360 timeline and trend, targets with FX and permissions, the calendar and its iCal feed."""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.compliance.errors import ComplianceBlocked
from arrears.disputes.services import dispute_open, dispute_start_review
from arrears.ledger.models import FxRate
from arrears.ledger.services import customer_update, payment_allocate, payment_create
from arrears.ledger.tests.factories import DocumentFactory
from arrears.promises.models import PromiseEvent, PromiseEventKind
from arrears.promises.services import plan_create
from arrears.worklist.errors import WorklistError
from arrears.worklist.selectors import (
    calendar_events_for_user,
    dbt_trend_for_customer,
    target_progress,
    timeline_for_customer,
)
from arrears.worklist.services import (
    call_log_create,
    follow_up_create,
    ical_calendar,
    note_create,
    target_set,
)
from arrears.worklist.tests.conftest import TODAY

pytestmark = pytest.mark.django_db
D = Decimal


def test_the_timeline_has_every_kind_of_event_newest_first(make_customer, people):
    customer = make_customer(amount="900.00")
    invoice = customer.documents.get()
    other = DocumentFactory(customer=customer, amount=D("300.00"), open_amount=D("300.00"), issue_date=dt.date(2026, 2, 1),
                            due_date=dt.date(2026, 3, 3))
    payment = payment_create(business_unit=customer.business_unit, customer=customer, external_id="P1",
                             received_date=dt.date(2026, 3, 5), amount=D("100.00"), currency="EUR")
    payment_allocate(payment=payment, allocations=[(invoice, D("100.00"))])
    log = call_log_create(customer=customer, user=people["cora"], outcome="promise", promise_amount="200.00",
                          promise_date=dt.date(2026, 3, 20))
    PromiseEvent.objects.create(customer=customer, kind=PromiseEventKind.PROMISE_KEPT, promise=log.promise, date=TODAY, amount=D("200.00"))
    note_create(customer=customer, author=people["cora"], body="Spoke to AP, very friendly")
    plan_create(customer=customer, documents=[other], created_by=people["head"], instalment_count=2,
                first_due_date=dt.date(2026, 4, 1), frequency="monthly")
    dispute = dispute_open(customer=customer, reason="quality", lines=[(invoice, D("50.00"))])
    dispute_start_review(dispute=dispute)
    customer_update(customer=customer, collector_id=people["carl"].pk)
    customer_update(customer=customer, do_not_contact=True)
    with pytest.raises(ComplianceBlocked):
        call_log_create(customer=customer, user=people["carl"], outcome="no_answer")

    entries = timeline_for_customer(customer_id=customer.pk, limit=100)

    kinds = {e.kind for e in entries}
    assert kinds >= {"document", "payment", "allocation", "call", "note", "promise", "promise_outcome", "plan",
                     "dispute", "dispute_transition", "hold", "assignment", "compliance_block"}
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    titles = [e.title for e in entries]
    assert "Collector: Cora Collins → carl" in titles
    assert "Hold changed: do not contact on" in titles
    assert any(t.startswith("Phone contact refused by HOLD-DNC") for t in titles)
    assert len(timeline_for_customer(customer_id=customer.pk, limit=3)) == 3


def test_days_beyond_terms_trend_is_the_monthly_average_of_settled_invoices(make_customer):
    customer = make_customer(amount=None)
    for n, (due, paid) in enumerate([((2026, 1, 1), (2026, 1, 11)), ((2026, 1, 5), (2026, 1, 25)), ((2026, 2, 20), (2026, 2, 10))]):
        doc = DocumentFactory(customer=customer, amount=D("10.00"), open_amount=D("10.00"), issue_date=dt.date(2025, 12, 1),
                              due_date=dt.date(*due))
        payment = payment_create(business_unit=customer.business_unit, customer=customer, external_id=f"T{n}",
                                 received_date=dt.date(*paid), amount=D("10.00"), currency="EUR")
        payment_allocate(payment=payment, allocations=[(doc, D("10.00"))])
    trend = dbt_trend_for_customer(customer_id=customer.pk, as_of=TODAY, months=3)
    assert [(p.month, p.average_days_late, p.settled) for p in trend] == [
        (dt.date(2026, 1, 1), D("15.0"), 2), (dt.date(2026, 2, 1), D("0.0"), 1), (dt.date(2026, 3, 1), None, 0),
    ]


def _pay(customer, amount, currency, on, ref):
    doc = DocumentFactory(customer=customer, amount=D(amount), open_amount=D(amount), currency=currency,
                          issue_date=dt.date(2026, 2, 1), due_date=dt.date(2026, 3, 1))
    payment = payment_create(business_unit=customer.business_unit, customer=customer, external_id=ref,
                             received_date=on, amount=D(amount), currency=currency)
    payment_allocate(payment=payment)
    return doc


def test_target_progress_counts_the_periods_allocations_converted_to_the_targets_currency(make_customer, people):
    FxRate.objects.create(date=dt.date(2026, 3, 1), currency="USD", quote_currency="EUR", rate=D("0.9"))
    mine = make_customer("Mine", amount=None)
    carls = make_customer("Carl's", collector="carl", amount=None)
    _pay(mine, "1000.00", "EUR", dt.date(2026, 3, 2), "A")
    _pay(mine, "500.00", "USD", dt.date(2026, 3, 9), "B")
    _pay(mine, "999.00", "EUR", dt.date(2026, 2, 27), "before the period")
    _pay(carls, "200.00", "EUR", dt.date(2026, 3, 3), "C")

    mine_target = target_set(actor=people["head"], scope="user", user=people["cora"], period="monthly",
                             start_date=dt.date(2026, 3, 1), amount="2900.00", currency="EUR")
    team_target = target_set(actor=people["lead"], scope="team", team=people["team"], period="weekly",
                             start_date=dt.date(2026, 3, 2), amount="10000", currency="EUR")

    progress = target_progress(target=mine_target, as_of=TODAY)
    assert (progress.start, progress.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert progress.collected == D("1450.00")  # 1,000 EUR + 500 USD × 0.9
    assert progress.percent == 50
    assert progress.text == "€1,450.00 of €2,900.00 (50%)"
    # the week of 2-8 March: cora's 1,000 EUR and carl's 200 EUR; the USD payment of 9 March is next week
    assert target_progress(target=team_target, as_of=TODAY).collected == D("1200.00")


def test_a_currency_without_a_rate_is_named_not_guessed(make_customer, people):
    mine = make_customer("Mine", amount=None)
    _pay(mine, "500.00", "GBP", dt.date(2026, 3, 2), "G")
    target = target_set(actor=people["head"], scope="user", user=people["cora"], period="daily",
                        start_date=dt.date(2026, 3, 2), amount="100", currency="EUR")
    progress = target_progress(target=target, as_of=TODAY)
    assert (progress.collected, progress.missing_rates) == (D("0.00"), ["GBP"])


@pytest.mark.parametrize(("actor", "who", "allowed"), [
    ("head", "sam", True), ("lead", "cora", True), ("lead", "team", True),
    ("lead", "sam", False), ("lead", "south", False), ("other_lead", "team", False), ("cora", "cora", False),
    ("auditor", "cora", False),
])
def test_who_may_set_targets(people, actor, who, allowed):
    is_team = who in ("team", "south")
    kwargs = {"team": people[who]} if is_team else {"user": people[who]}
    call = lambda: target_set(actor=people[actor], scope="team" if is_team else "user", period="monthly",  # noqa: E731
                              start_date=dt.date(2026, 3, 1), amount="1000", currency="EUR", **kwargs)
    if allowed:
        assert call().amount == D("1000")
    else:
        with pytest.raises(WorklistError) as refused:
            call()
        assert refused.value.code == "target_forbidden"


def test_the_calendar_has_follow_ups_promises_and_instalments_and_the_feed_is_rfc5545(make_customer, people):
    customer = make_customer("Kalender; GmbH, Berlin", amount="600.00")
    follow_up_create(customer=customer, user=people["cora"], date=dt.date(2026, 3, 12), note="check remittance")
    call_log_create(customer=customer, user=people["cora"], outcome="promise", promise_amount="100.00",
                    promise_date=dt.date(2026, 3, 16))
    plan_create(customer=customer, documents=[customer.documents.get()], created_by=people["head"], instalment_count=2,
                first_due_date=dt.date(2026, 3, 20), frequency="monthly")
    events = calendar_events_for_user(user=people["cora"], start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    assert [(e.date, e.kind) for e in events] == [
        (dt.date(2026, 3, 12), "follow_up"), (dt.date(2026, 3, 16), "promise"), (dt.date(2026, 3, 20), "instalment"),
    ]
    assert calendar_events_for_user(user=people["carl"], start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)) == []

    text = ical_calendar(events=events, name="Cora", stamp=dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC))

    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "").split("\r\n")
    assert unfolded.count("BEGIN:VEVENT") == 3 == unfolded.count("END:VEVENT")
    assert "DTSTART;VALUE=DATE:20260312" in unfolded
    assert "DTSTAMP:20260310T100000Z" in unfolded
    assert "SUMMARY:Follow up Kalender\\; GmbH\\, Berlin: check remittance" in unfolded
    uids = [line for line in unfolded if line.startswith("UID:")]
    assert len(set(uids)) == 3


def test_messages_in_and_out_show_on_the_timeline_with_their_rendered_body(make_customer, people, client):
    from django.utils import timezone

    from arrears.communications.models import InboundMessage, OutboundMessage

    customer = make_customer("Mailbox GmbH")
    OutboundMessage.objects.create(
        customer=customer, channel="email", subject="Reminder: invoice RE-1 is overdue",
        text_body="Dear Pat,\nour invoice RE-1 of 1,000.00 EUR is 45 days overdue.", idempotency_key="tl-1",
        queued_at=timezone.now(),
    )
    InboundMessage.objects.create(
        customer=customer, from_address="pat@example.com", subject="Re: Reminder",
        body="We will pay on Friday.", received_at=timezone.now(),
    )
    entries = timeline_for_customer(customer_id=customer.pk, limit=50)
    kinds = {e.kind: e for e in entries}
    assert "45 days overdue" in kinds["message_out"].body
    assert kinds["message_in"].body == "We will pay on Friday."

    client.force_login(people["cora"])
    page = client.get(f"/worklist/customers/{customer.pk}/timeline/").content.decode()
    assert "45 days overdue" in page
    assert "We will pay on Friday." in page
