"""The bulk path: the same messages as the single path, idempotent, and queries that do not grow with N."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.communications import links
from arrears.communications.models import CallTask, MessageStatus, OutboundMessage
from arrears.communications.rendering import TemplateRenderError
from arrears.communications.selectors import TemplateMissing
from arrears.communications.services import (
    CallRequest,
    QueueRequest,
    call_task_create,
    call_tasks_create_many,
    message_queue,
    messages_queue_many,
    template_create,
)
from arrears.communications.services.outbox import MessageNotQueueable
from arrears.communications.tests.conftest import AS_OF, NOW
from arrears.ledger.tests.factories import (
    BusinessUnitFactory,
    ContactFactory,
    CustomerFactory,
    DocumentFactory,
)

pytestmark = pytest.mark.django_db

COMPARED = ("channel", "step_key", "template_id", "contact_id", "to_address", "subject", "html_body", "text_body",
            "statement", "content_flags", "debt_ids", "status", "last_error", "queued_at", "run_reference")


@pytest.fixture(autouse=True)
def placeholder_portal_links(monkeypatch):
    """With the portal installed every link is a fresh random token; the signed placeholder is the same
    for both paths, so their outputs can be compared byte for byte."""
    monkeypatch.setattr(links, "_portal_link_factory", None)
    monkeypatch.setattr(links, "_portal_links_factory", None)


def _customers(n: int, *, start: int = 0):
    unit = BusinessUnitFactory(code="BULK", name="Bulk GmbH", country="DE", home_currency="EUR")
    out = []
    for i in range(start, start + n):
        customer = CustomerFactory(business_unit=unit, language="de" if i % 2 else "en", country="DE")
        ContactFactory(customer=customer, email=f"c{i}@bulk.example")
        DocumentFactory(customer=customer, amount=Decimal("120.50") + i, due_date=dt.date(2026, 2, 1))
        DocumentFactory(customer=customer, amount=Decimal("80.00"), due_date=dt.date(2026, 2, 20))
        out.append(customer)
    return out


def _fields(message: OutboundMessage) -> dict:
    return {name: getattr(message, name) for name in COMPARED}


@pytest.mark.parametrize("channel", ["email", "sms", "letter"])
@pytest.mark.parametrize("step_key", ["reminder_1", "final_notice", "thank_you"])
def test_bulk_and_single_paths_write_the_same_message(de_customer, us_consumer, channel, step_key):
    customers = [de_customer, us_consumer]
    singles = [message_queue(customer=c, channel=channel, step_key=step_key, as_of=AS_OF, run_reference="single",
                             now=NOW) for c in customers]

    result = messages_queue_many(requests=[QueueRequest(customer_id=c.pk, channel=channel, step_key=step_key)
                                           for c in customers], as_of=AS_OF, run_reference="bulk", now=NOW)

    assert result.new == 2
    for customer, single in zip(customers, singles, strict=True):
        bulk = OutboundMessage.objects.get(idempotency_key=f"run:bulk:c{customer.pk}:{step_key}:{channel}")
        expected = {**_fields(single), "run_reference": "bulk"}
        assert _fields(bulk) == expected
        assert bulk.subject or channel == "sms"
        assert bulk.status == MessageStatus.QUEUED


def test_bulk_and_single_paths_agree_on_a_statement_limited_to_some_documents(de_customer):
    first = de_customer.documents.order_by("due_date").first()
    single = message_queue(customer=de_customer, channel="email", step_key="reminder_2", as_of=AS_OF,
                           debt_ids=[first.pk], run_reference="single", now=NOW)

    messages_queue_many(requests=[QueueRequest(customer_id=de_customer.pk, channel="email", step_key="reminder_2",
                                               debt_ids=[first.pk], idempotency_key="k-1")], as_of=AS_OF, now=NOW)

    bulk = OutboundMessage.objects.get(idempotency_key="k-1")
    assert _fields(bulk) == {**_fields(single), "run_reference": ""}
    assert bulk.debt_ids == [first.pk]
    assert [row["id"] for row in bulk.statement["rows"]] == [first.pk]
    # the provider id is the single path's format for the bulk path's key
    assert bulk.provider_id == "<arrears.k-1@acme.example>"


def test_requeueing_the_same_requests_writes_nothing_twice():
    customers = _customers(4)
    requests = [QueueRequest(customer_id=c.pk, channel="email", step_key="reminder_1") for c in customers]

    first = messages_queue_many(requests=requests, as_of=AS_OF, run_reference="night-1", now=NOW)
    again = messages_queue_many(requests=requests + requests[:1], as_of=AS_OF, run_reference="night-1", now=NOW)

    assert (first.new, first.existing, first.rendered) == (4, 0, 4)
    assert (again.new, again.existing, again.rendered) == (0, 5, 0)
    assert OutboundMessage.objects.filter(run_reference="night-1").count() == 4


def test_a_key_repeated_within_one_call_is_queued_once():
    customer = _customers(1)[0]
    request = QueueRequest(customer_id=customer.pk, channel="email", step_key="reminder_1", idempotency_key="same")

    result = messages_queue_many(requests=[request, request], as_of=AS_OF, now=NOW)

    assert (result.new, result.existing) == (1, 1)
    assert OutboundMessage.objects.filter(idempotency_key="same").count() == 1


def test_a_message_the_single_path_queued_is_not_queued_again_by_the_bulk_path(de_customer):
    message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF, run_reference="r",
                  now=NOW)

    result = messages_queue_many(requests=[QueueRequest(customer_id=de_customer.pk, channel="email",
                                                        step_key="reminder_1")], as_of=AS_OF, run_reference="r")

    assert (result.new, result.existing) == (0, 1)


def _queries_for(customers, run_reference: str) -> int:
    requests = [QueueRequest(customer_id=c.pk, channel=channel, step_key="reminder_1")
                for c in customers for channel in ("email", "letter")]
    with CaptureQueriesContext(connection) as ctx:
        result = messages_queue_many(requests=requests, as_of=AS_OF, run_reference=run_reference, now=NOW)
    assert result.new == len(requests)
    return len(ctx.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_number_of_messages(django_assert_max_num_queries):
    ten, fifty = _customers(10), _customers(50, start=10)

    few = _queries_for(ten, "small")
    many = _queries_for(fifty, "large")

    assert few == many
    # templates, senders, existing keys, customers, contacts, documents, one INSERT; plus the transaction
    assert many <= 10
    requests = [QueueRequest(customer_id=c.pk, channel="sms", step_key="reminder_2") for c in fifty]
    with django_assert_max_num_queries(few):
        messages_queue_many(requests=requests, as_of=AS_OF, run_reference="sms", now=NOW)


def test_the_portal_bulk_factory_is_asked_once_per_chunk(monkeypatch):
    customers = _customers(6)
    calls = []

    def bulk_links(batch):
        calls.append(len(batch))
        return {c.pk: f"https://portal.example/{c.pk}" for c in batch}

    monkeypatch.setattr(links, "_portal_links_factory", bulk_links)
    messages_queue_many(requests=[QueueRequest(customer_id=c.pk, channel="email", step_key="reminder_1")
                                  for c in customers], as_of=AS_OF, run_reference="p", now=NOW, chunk_size=4)

    assert calls == [4, 2]
    message = OutboundMessage.objects.get(customer=customers[0], run_reference="p")
    assert f"https://portal.example/{customers[0].pk}" in message.text_body


def test_a_contact_without_an_email_address_is_written_as_failed():
    customer = CustomerFactory()
    ContactFactory(customer=customer, email="")
    DocumentFactory(customer=customer)

    result = messages_queue_many(requests=[QueueRequest(customer_id=customer.pk, channel="email",
                                                        step_key="reminder_1")], as_of=AS_OF, run_reference="r")

    assert (result.new, result.failed) == (1, 1)
    message = OutboundMessage.objects.get(customer=customer)
    assert message.status == MessageStatus.FAILED
    assert message.last_error == "contact has no email on file"


def test_an_unknown_customer_names_the_request_and_nothing_is_written():
    customers = _customers(2)
    requests = [QueueRequest(customer_id=customers[0].pk, channel="email", step_key="reminder_1"),
                QueueRequest(customer_id=999_999, channel="email", step_key="reminder_1")]

    with pytest.raises(MessageNotQueueable, match=r"requests\[1\]: customer 999999 does not exist"):
        messages_queue_many(requests=requests, as_of=AS_OF, run_reference="r")

    assert not OutboundMessage.objects.exists()


def test_a_contact_of_another_customer_is_refused():
    a, b = _customers(2)
    other = b.contacts.get()

    with pytest.raises(MessageNotQueueable, match=rf"requests\[0\]: contact {other.pk} is not a contact of customer {a.pk}"):
        messages_queue_many(requests=[QueueRequest(customer_id=a.pk, channel="email", step_key="reminder_1",
                                                   contact_id=other.pk)], as_of=AS_OF, run_reference="r")


@pytest.mark.parametrize(("request_", "error", "match"), [
    ({"channel": "phone", "step_key": "reminder_1"}, MessageNotQueueable, r"requests\[0\]\.channel: 'phone'"),
    ({"channel": "email", "step_key": "no_such_step"}, TemplateMissing, r"requests\[0\]: no active template no_such_step"),
    ({"channel": "email", "step_key": "reminder_1", "extra": {"customer": {}}}, MessageNotQueueable,
     r"requests\[0\]\.extra: customer would replace a merge field"),
])
def test_bad_requests_are_refused_with_the_request_named(request_, error, match):
    customer = _customers(1)[0]

    with pytest.raises(error, match=match):
        messages_queue_many(requests=[QueueRequest(customer_id=customer.pk, **request_)], as_of=AS_OF,
                            run_reference="r")

    assert not OutboundMessage.objects.exists()


def test_a_template_that_fails_to_render_names_the_request_and_the_line():
    customers = _customers(2)
    template_create(key="broken", channel="email", language="en", subject="Hi", text_body="line 1\n{{ nope.x }}")

    with pytest.raises(TemplateRenderError, match=r"requests\[0\] .*text body line 2"):
        messages_queue_many(requests=[QueueRequest(customer_id=c.pk, channel="email", step_key="broken",
                                                   language="en") for c in customers], as_of=AS_OF,
                            run_reference="r")

    assert not OutboundMessage.objects.exists()


def test_extra_merge_fields_reach_the_template():
    customer = _customers(1)[0]
    template_create(key="with_extra", channel="email", language="en", subject="Level {{ dunning.level }}",
                    text_body="Action {{ dunning.action_id }}")

    messages_queue_many(requests=[QueueRequest(customer_id=customer.pk, channel="email", step_key="with_extra",
                                               language="en", idempotency_key="x",
                                               extra={"dunning": {"action_id": 41, "level": 2}})], as_of=AS_OF)

    message = OutboundMessage.objects.get(idempotency_key="x")
    assert (message.subject, message.text_body) == ("Level 2", "Action 41")


def test_bulk_call_tasks_equal_the_single_path_and_are_idempotent(de_customer, make_user):
    collector = make_user("caller")
    de_customer.collector = collector
    de_customer.save(update_fields=["collector"])
    single = call_task_create(customer=de_customer, step_key="reminder_3", due_date=AS_OF, run_reference="single")

    request = CallRequest(customer_id=de_customer.pk, step_key="reminder_3", due_date=AS_OF)
    first = call_tasks_create_many(requests=[request], run_reference="bulk")
    again = call_tasks_create_many(requests=[request], run_reference="bulk")

    bulk = CallTask.objects.get(idempotency_key=f"call:bulk:c{de_customer.pk}:reminder_3")
    assert (first.new, again.new, again.existing) == (1, 0, 1)
    assert bulk.script == single.script
    assert "K-1001" in bulk.script
    assert "1.234,56 €" in bulk.script.replace("\xa0", " ")
    assert (bulk.assigned_to_id, bulk.template_id, bulk.contact_id, bulk.due_date) == (
        collector.pk, single.template_id, single.contact_id, AS_OF)
