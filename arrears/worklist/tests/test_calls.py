"""Call logging: the compliance gate first, then the log, the contact attempt and what the outcome asks for."""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.communications.models import CallTask
from arrears.compliance.errors import ComplianceBlocked
from arrears.compliance.models import ComplianceDecision, ContactAttempt
from arrears.disputes.models import Dispute
from arrears.ledger.services import customer_update
from arrears.promises.errors import PromiseError
from arrears.promises.models import Promise
from arrears.worklist.errors import WorklistError
from arrears.worklist.models import CallLog, FollowUp, ItemStatus, Note, WorklistItem
from arrears.worklist.services import call_log_create, note_create, worklist_build
from arrears.worklist.tests.conftest import TODAY

pytestmark = pytest.mark.django_db
D = Decimal


def test_a_customer_marked_do_not_contact_is_refused_and_nothing_is_logged(make_customer, people):
    customer = make_customer()
    customer_update(customer=customer, do_not_contact=True)

    with pytest.raises(ComplianceBlocked) as refused:
        call_log_create(customer=customer, user=people["cora"], outcome="right_party_contact")

    assert "HOLD-DNC" in refused.value.message
    assert not CallLog.objects.exists()
    assert not ContactAttempt.objects.exists()
    assert ComplianceDecision.objects.get().allowed is False  # the refusal itself is on record


def test_a_call_with_a_promise_creates_the_promise_in_the_same_step(make_customer, people):
    customer = make_customer(amount="1200.00")
    invoice = customer.documents.get()
    log = call_log_create(customer=customer, user=people["cora"], outcome="promise", notes="pays Friday",
                          promise_amount="800.00", promise_date=dt.date(2026, 3, 13), promise_documents=[invoice])
    promise = Promise.objects.get()
    assert log.promise == promise
    assert (promise.amount, promise.currency, promise.promised_date, promise.channel) == (D("800.00"), "EUR", dt.date(2026, 3, 13), "phone")
    assert list(promise.documents.all()) == [invoice]
    attempt = ContactAttempt.objects.get()
    assert (attempt.outcome, attempt.channel, attempt.reference) == ("conversation", "phone", f"call-{log.pk}")
    assert log.decision.allowed


def test_a_bad_promise_rolls_the_whole_call_back(make_customer, people):
    customer = make_customer(amount="100.00")
    with pytest.raises(PromiseError):
        call_log_create(customer=customer, user=people["cora"], outcome="promise", promise_amount="900.00",
                        promise_date=dt.date(2026, 3, 13), promise_documents=[customer.documents.get()])
    assert not CallLog.objects.exists()
    assert not ContactAttempt.objects.exists()
    assert not Promise.objects.exists()


@pytest.mark.parametrize(("outcome", "attempt"), [("no_answer", "attempted"), ("voicemail", "attempted"),
                                                  ("wrong_party", "attempted"), ("refusal", "conversation")])
def test_the_contact_history_counts_right_party_talks_as_conversations(make_customer, people, outcome, attempt):
    customer = make_customer()
    call_log_create(customer=customer, user=people["cora"], outcome=outcome)
    assert ContactAttempt.objects.get().outcome == attempt


def test_a_dispute_raised_on_the_call_opens_a_dispute(make_customer, people):
    customer = make_customer(amount="1000.00")
    log = call_log_create(customer=customer, user=people["cora"], outcome="dispute_raised", notes="wrong price",
                          dispute_reason="pricing", dispute_documents=[(customer.documents.get(), D("250.00"))])
    dispute = Dispute.objects.get()
    assert log.dispute == dispute
    assert dispute.disputed_amount == D("250.00")
    assert dispute.reason == "pricing"


def test_a_callback_request_needs_a_date_and_becomes_a_follow_up(make_customer, people):
    customer = make_customer()
    with pytest.raises(WorklistError) as missing:
        call_log_create(customer=customer, user=people["cora"], outcome="callback_requested")
    assert missing.value.code == "follow_up_date_missing"
    log = call_log_create(customer=customer, user=people["cora"], outcome="callback_requested",
                          follow_up_date=dt.date(2026, 3, 12), notes="call after 2pm")
    follow_up = FollowUp.objects.get()
    assert (follow_up.date, follow_up.user, follow_up.call_log) == (dt.date(2026, 3, 12), people["cora"], log)


def test_a_logged_call_completes_the_call_task_and_the_account_drops_off(make_customer, people):
    customer = make_customer()
    task = CallTask.objects.create(customer=customer, assigned_to=people["cora"], step_key="call", due_date=TODAY,
                                   idempotency_key="t1")
    worklist_build(as_of=TODAY)
    assert WorklistItem.objects.get().status == ItemStatus.OPEN

    call_log_create(customer=customer, user=people["cora"], outcome="voicemail")

    task.refresh_from_db()
    assert task.status == "done"
    item = WorklistItem.objects.get()
    assert (item.status, item.done_note) == (ItemStatus.DONE, "call logged: voicemail")
    assert worklist_build(as_of=TODAY).created == 0  # the morning build run again does not bring it back


def test_auditors_cannot_log_calls_or_notes(make_customer, people):
    customer = make_customer()
    with pytest.raises(WorklistError):
        call_log_create(customer=customer, user=people["auditor"], outcome="no_answer")
    with pytest.raises(WorklistError):
        note_create(customer=customer, author=people["auditor"], body="x")
    assert not CallLog.objects.exists()
    assert not Note.objects.exists()
