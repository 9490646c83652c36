"""The dispute workflow: open -> in_review -> resolved_valid | resolved_invalid | credited, and nothing else."""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.audit.models import AuditEvent
from arrears.disputes.errors import DisputeError, DisputeErrorCode
from arrears.disputes.models import DisputeStatus
from arrears.disputes.selectors import dispute_events_between, dispute_open_amounts
from arrears.disputes.services import (
    dispute_assign,
    dispute_comment_add,
    dispute_credit,
    dispute_open,
    dispute_resolve_invalid,
    dispute_resolve_valid,
    dispute_start_review,
    dispute_transition,
)
from arrears.ledger.models import Document, DocumentKind, DocumentStatus
from arrears.ledger.services import payment_allocate, payment_create

pytestmark = pytest.mark.django_db
D = Decimal
FRI, TUE = dt.date(2026, 3, 6), dt.date(2026, 3, 10)


def _reviewed(dispute):
    return dispute_start_review(dispute=dispute)


@pytest.mark.smoke
def test_an_open_dispute_holds_its_amount_and_gets_an_sla_due_date(customer, invoices, collector, open_dispute):
    dispute = open_dispute(amount="80", reason="pricing", on=FRI)

    assert (dispute.status, dispute.disputed_amount, dispute.currency) == (DisputeStatus.OPEN, D("80"), "EUR")
    assert (dispute.sla_days, dispute.due_date) == (10, dt.date(2026, 3, 16))
    assert dispute.owner == collector  # the customer's collector unless someone else is named
    assert dispute_open_amounts(as_of=FRI) == {invoices[0].pk: D("80")}


@pytest.mark.parametrize(("reason", "days"), [("not_received", 7), ("duplicate", 5), ("quality", 15), ("other", 14)])
def test_the_sla_depends_on_the_reason(open_dispute, reason, days):
    assert open_dispute(reason=reason, on=FRI).due_date == FRI + dt.timedelta(days=days)


def test_the_sla_days_are_configurable(open_dispute, settings):
    settings.ARREARS_DISPUTE_SLA_DAYS = {"pricing": 2}
    assert open_dispute(reason="pricing", on=FRI).due_date == dt.date(2026, 3, 8)


def test_no_amount_disputes_the_whole_open_amount(open_dispute, invoices):
    assert open_dispute(amount=None).disputed_amount == D("200")


@pytest.mark.parametrize("amount", ["200.01", "0", "-5", "1.001"])
def test_a_disputed_amount_above_the_open_amount_or_not_positive_is_refused(open_dispute, amount):
    with pytest.raises(DisputeError) as err:
        open_dispute(amount=amount)
    assert err.value.code in {DisputeErrorCode.DISPUTED_EXCEEDS_OPEN, DisputeErrorCode.NON_POSITIVE_AMOUNT}
    assert "INV-200" in err.value.message


def test_two_live_disputes_cannot_hold_more_than_is_open(open_dispute):
    open_dispute(amount="150")
    with pytest.raises(DisputeError) as err:
        open_dispute(amount="51")
    assert err.value.code == DisputeErrorCode.DISPUTED_EXCEEDS_OPEN
    assert open_dispute(amount="50").disputed_amount == D("50")


def test_an_unknown_reason_is_refused(open_dispute):
    with pytest.raises(DisputeError) as err:
        open_dispute(reason="bad_mood")
    assert err.value.code == DisputeErrorCode.UNKNOWN_REASON


def test_a_dispute_can_cover_several_documents_with_their_own_amounts(customer, invoices):
    dispute = dispute_open(customer=customer, reason="quantity", lines=[(invoices[0], D("20")), (invoices[1], None)], opened_on=FRI)
    assert dispute.disputed_amount == D("520")
    assert dispute_open_amounts(as_of=FRI) == {invoices[0].pk: D("20"), invoices[1].pk: D("500")}


@pytest.mark.parametrize(
    ("path", "to"),
    [
        ([], DisputeStatus.CREDITED),  # open -> credited skips the review
        ([], DisputeStatus.RESOLVED_VALID),
        ([], DisputeStatus.OPEN),
        ([DisputeStatus.IN_REVIEW], DisputeStatus.IN_REVIEW),
        ([DisputeStatus.IN_REVIEW], DisputeStatus.OPEN),
        ([DisputeStatus.IN_REVIEW, DisputeStatus.RESOLVED_INVALID], DisputeStatus.CREDITED),
        ([DisputeStatus.IN_REVIEW, DisputeStatus.CREDITED], DisputeStatus.IN_REVIEW),
        ([DisputeStatus.IN_REVIEW, DisputeStatus.RESOLVED_VALID], DisputeStatus.RESOLVED_INVALID),
    ],
)
def test_invalid_transitions_are_refused_with_a_clear_error(open_dispute, path, to):
    dispute = open_dispute()
    for step in path:
        dispute = dispute_transition(dispute=dispute, to=step)
    with pytest.raises(DisputeError) as err:
        dispute_transition(dispute=dispute, to=to)
    assert err.value.code == DisputeErrorCode.INVALID_TRANSITION
    assert f"cannot become {to}" in err.value.message
    dispute.refresh_from_db()
    assert dispute.status == (path[-1] if path else DisputeStatus.OPEN)


def test_a_partial_credit_note_reduces_the_document_by_exactly_the_credit_and_lifts_the_hold(open_dispute, invoices):
    dispute = _reviewed(open_dispute(amount="80", on=FRI))

    dispute = dispute_credit(dispute=dispute, amount=D("30.50"), on=TUE, note="agreed price difference")

    invoice = Document.objects.get(pk=invoices[0].pk)
    assert (invoice.open_amount, invoice.status) == (D("169.50"), DocumentStatus.PARTIALLY_PAID)
    credit = dispute.credit_note
    assert (credit.kind, credit.amount, credit.open_amount, credit.external_id) == (
        DocumentKind.CREDIT_NOTE, D("30.50"), D("0"), f"CN-DSP-{dispute.pk}"
    )
    assert (dispute.status, dispute.resolution, dispute.resolution_amount) == (DisputeStatus.CREDITED, "credit_note", D("30.50"))
    assert dispute_open_amounts(as_of=TUE) == {}
    assert dispute_open_amounts(as_of=dt.date(2026, 3, 9)) == {invoices[0].pk: D("80")}  # as it was the day before
    assert dispute_events_between(start=TUE, end=TUE) == [(dispute.customer_id, TUE, "dispute_resolved")]


def test_a_credit_note_defaults_to_the_disputed_amount_over_every_document(customer, invoices):
    dispute = dispute_open(customer=customer, reason="duplicate", lines=[(invoices[0], D("20")), (invoices[1], D("40"))], opened_on=FRI)
    dispute = dispute_credit(dispute=_reviewed(dispute), on=TUE)
    assert [Document.objects.get(pk=d.pk).open_amount for d in invoices] == [D("180"), D("460")]
    assert dispute.credit_note.amount == D("60")


def test_a_credit_above_the_disputed_amount_is_refused_and_nothing_is_written(open_dispute):
    dispute = _reviewed(open_dispute(amount="80"))
    with pytest.raises(DisputeError) as err:
        dispute_credit(dispute=dispute, amount=D("80.01"))
    assert err.value.code == DisputeErrorCode.RESOLUTION_EXCEEDS_DISPUTED
    assert not Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).exists()
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.IN_REVIEW


def test_a_credit_for_more_than_is_still_open_is_refused(customer, invoices, open_dispute):
    dispute = _reviewed(open_dispute(amount="80"))
    payment = payment_create(
        business_unit=customer.business_unit, customer=customer, external_id="P1", received_date=FRI,
        amount=D("150"), currency="EUR",
    )
    payment_allocate(payment=payment, allocations=[(invoices[0], D("150"))])
    with pytest.raises(DisputeError) as err:
        dispute_credit(dispute=dispute, amount=D("60"))
    assert err.value.code == DisputeErrorCode.RESOLUTION_EXCEEDS_OPEN


def test_a_valid_dispute_can_be_resolved_by_a_partial_write_off(open_dispute, invoices, make_user):
    head = make_user("hana", role="head")
    dispute = dispute_resolve_valid(
        dispute=_reviewed(open_dispute(amount="80")), adjustment="write_off", amount=D("25"), on=TUE, by=head
    )
    assert Document.objects.get(pk=invoices[0].pk).open_amount == D("175")
    write_off = dispute.write_offs.get()
    assert (write_off.amount, write_off.approved_by, write_off.date) == (D("25"), head, TUE)
    assert (dispute.status, dispute.resolution, dispute.resolution_amount) == (DisputeStatus.RESOLVED_VALID, "write_off", D("25"))


def test_a_valid_dispute_without_an_adjustment_changes_no_balance(open_dispute, invoices):
    dispute = dispute_resolve_valid(dispute=_reviewed(open_dispute(amount="80")), note="goods re-delivered", on=TUE)
    assert Document.objects.get(pk=invoices[0].pk).open_amount == D("200")
    assert (dispute.status, dispute.resolution, dispute.resolution_note) == (DisputeStatus.RESOLVED_VALID, "", "goods re-delivered")


def test_an_invalid_dispute_lifts_the_hold_and_the_amount_stays_owed(open_dispute, invoices):
    dispute = dispute_resolve_invalid(dispute=_reviewed(open_dispute(amount="80", on=FRI)), on=TUE)
    assert dispute.status == DisputeStatus.RESOLVED_INVALID
    assert Document.objects.get(pk=invoices[0].pk).open_amount == D("200")
    assert dispute_open_amounts(as_of=TUE) == {}


def test_time_to_resolve_is_measured_in_calendar_and_business_days(open_dispute):
    # Opened on Friday 6 March, resolved on Tuesday 10 March: 4 days, 2 of them working days.
    dispute = dispute_resolve_invalid(dispute=_reviewed(open_dispute(on=FRI)), on=TUE)
    assert (dispute.opened_on, dispute.resolved_on) == (FRI, TUE)
    assert (dispute.resolution_days, dispute.resolution_business_days) == (4, 2)
    assert dispute.resolved_at is not None


def test_business_days_skip_the_business_units_public_holidays(open_dispute):
    # Germany: Good Friday 3 April and Easter Monday 6 April 2026.
    dispute = dispute_resolve_invalid(dispute=_reviewed(open_dispute(on=dt.date(2026, 4, 2))), on=dt.date(2026, 4, 7))
    assert (dispute.resolution_days, dispute.resolution_business_days) == (5, 1)


def test_every_status_change_is_audited(open_dispute):
    dispute = _reviewed(open_dispute())
    event = AuditEvent.objects.get(action="status", object_type="disputes.dispute")
    assert (event.before, event.after["status"]) == ({"status": "open"}, "in_review")
    assert event.customer_id == dispute.customer_id


def test_comments_and_owner_changes_are_recorded(open_dispute, make_user):
    dispute = open_dispute()
    lead = make_user("lea", role="lead")
    dispute_assign(dispute=dispute, owner=lead)
    comment = dispute_comment_add(dispute=dispute, author=lead, body="  Called the buyer  ")
    assert comment.body == "Called the buyer"
    dispute.refresh_from_db()
    assert dispute.owner == lead
    with pytest.raises(DisputeError) as err:
        dispute_comment_add(dispute=dispute, author=lead, body="   ")
    assert err.value.code == DisputeErrorCode.EMPTY_COMMENT
    with pytest.raises(DisputeError) as err:
        dispute_assign(dispute=dispute, owner=make_user("otto", role="auditor"))
    assert err.value.code == DisputeErrorCode.OWNER_CANNOT_OWN
