"""The nightly run's hand-over: dunning actions as plain dicts -> messages, one print file, call tasks."""

from __future__ import annotations

import pytest

from arrears.communications import links
from arrears.communications.models import CallTask, LetterBatch, MessageStatus, OutboundMessage
from arrears.communications.services.dispatch import (
    DispatchInputError,
    dunning_action_key,
    dunning_actions_dispatch,
)
from arrears.communications.tests.conftest import AS_OF, NOW
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def placeholder_portal_links(monkeypatch):
    monkeypatch.setattr(links, "_portal_link_factory", None)


@pytest.fixture
def night(de_customer, make_user, settings, tmp_path):
    """One customer, one action per channel, as dunning stores them (DunningAction values)."""
    settings.MEDIA_ROOT = tmp_path
    collector = make_user("carla")
    de_customer.collector = collector
    de_customer.save(update_fields=["collector"])
    first, second = de_customer.documents.order_by("due_date")
    common = {"customer_id": de_customer.pk, "kind": "dunning", "status": "planned", "gate": "allowed"}
    actions = [
        {**common, "id": 101, "channel": "email", "template_key": "reminder_1", "level": 1, "items": [[first.pk, 1]]},
        {**common, "id": 102, "channel": "sms", "template_key": "reminder_sms", "level": 1, "items": [[first.pk, 1]]},
        {**common, "id": 103, "channel": "letter", "template_key": "formal_letter", "level": 3,
         "items": [[first.pk, 3], [second.pk, 3]]},
        {**common, "id": 104, "channel": "call_task", "template_key": "call_script", "level": 4, "items": []},
        {**common, "id": 105, "channel": "escalate_lead", "template_key": "escalation", "level": 5, "items": []},
    ]
    return de_customer, collector, (first, second), actions


def test_each_channel_gets_its_object_keyed_by_the_action(night):
    customer, collector, (first, second), actions = night

    result = dunning_actions_dispatch(actions=actions, as_of=AS_OF, run_reference="dunning:2026-03-10", now=NOW)

    assert sorted(result.dispatched) == [101, 102, 103, 104]
    assert result.not_handled == [105]
    assert (result.messages.new, result.calls.new) == (3, 1)
    email = OutboundMessage.objects.get(idempotency_key="dunning:a101:email")
    assert (email.channel, email.step_key, email.to_address) == ("email", "reminder_1", "erika@mueller.example")
    assert email.debt_ids == [first.pk]  # the statement shows the action's documents, the gate checks them
    assert "RE-2026-0001" in email.text_body
    assert "RE-2026-0002" not in email.text_body
    assert email.status == MessageStatus.QUEUED  # the outbox sweep sends it
    sms = OutboundMessage.objects.get(idempotency_key="dunning:a102:sms")
    assert (sms.channel, sms.step_key, sms.to_address) == ("sms", "reminder_1", "+4930901820")
    letter = OutboundMessage.objects.get(idempotency_key="dunning:a103:letter")
    assert (letter.step_key, letter.status, letter.debt_ids) == ("reminder_3", MessageStatus.SENT, [first.pk, second.pk])
    task = CallTask.objects.get(idempotency_key="dunning:a104:call")
    assert (task.customer_id, task.assigned_to_id, task.due_date, task.step_key) == (
        customer.pk, collector.pk, AS_OF, "reminder_3")
    assert "K-1001" in task.script
    assert all(m.run_reference == "dunning:2026-03-10" for m in OutboundMessage.objects.all())


def test_the_runs_letters_go_into_one_print_file(night):
    customer, _, _, actions = night
    other = CustomerFactory(business_unit=customer.business_unit, name="Zeta AG", language="de", country="DE")
    ContactFactory(customer=other, name="Zoe", address_line1="Weg 1", postal_code="10115", city="Berlin", country="DE")
    DocumentFactory(customer=other, external_id="RE-Z-1")
    letters = [a for a in actions if a["channel"] == "letter"] + [
        {"id": 201, "customer_id": other.pk, "channel": "letter", "template_key": "formal_letter", "level": 3,
         "kind": "dunning", "items": []}]

    result = dunning_actions_dispatch(actions=letters, as_of=AS_OF, run_reference="night", now=NOW)

    batch = LetterBatch.objects.get()
    assert result.letters["batch_id"] == batch.pk
    assert (result.letters["printed"], batch.letter_count, batch.run_reference) == (2, 2, "night")
    assert set(OutboundMessage.objects.filter(channel="letter").values_list("letter_batch_id", flat=True)) == {batch.pk}


def test_dispatching_the_same_actions_again_creates_nothing(night):
    _, _, _, actions = night
    first = dunning_actions_dispatch(actions=actions, as_of=AS_OF, run_reference="night", now=NOW)

    again = dunning_actions_dispatch(actions=actions, as_of=AS_OF, run_reference="night", now=NOW)

    assert sorted(again.dispatched) == sorted(first.dispatched)
    assert (again.messages.new, again.messages.existing, again.calls.new, again.calls.existing) == (0, 3, 0, 1)
    assert (again.letters["batch_id"], again.letters["printed"]) == (None, 0)
    assert OutboundMessage.objects.count() == 3
    assert CallTask.objects.count() == 1
    assert LetterBatch.objects.count() == 1


def test_blocked_actions_are_left_alone_and_unknown_templates_are_reported(night):
    _customer, _, _, actions = night
    blocked = {**actions[0], "id": 301, "status": "blocked", "gate": "blocked"}
    unknown = {**actions[0], "id": 302, "template_key": "no_such_template"}

    result = dunning_actions_dispatch(actions=[blocked, unknown], as_of=AS_OF, run_reference="night", now=NOW)

    assert (result.skipped, result.missing_template, result.dispatched) == ([301], [302], [])
    assert not OutboundMessage.objects.exists()


def test_a_template_saved_under_the_dunning_key_wins_over_the_alias(night):
    from arrears.communications.services import template_create

    _, _, _, actions = night
    template_create(key="formal_letter", channel="letter", language="de", subject="Förmliche Mahnung",
                    html_body="<p>{{ customer.name }}</p>")

    dunning_actions_dispatch(actions=[actions[2]], as_of=AS_OF, run_reference="night", now=NOW, print_letters=False)

    letter = OutboundMessage.objects.get(idempotency_key=dunning_action_key(action_id=103, channel="letter"))
    assert (letter.step_key, letter.subject) == ("formal_letter", "Förmliche Mahnung")
    assert letter.status == MessageStatus.QUEUED


def test_a_thank_you_lists_what_is_still_open(night):
    customer, _, (first, second), _ = night
    thanks = {"id": 401, "customer_id": customer.pk, "channel": "email", "template_key": "", "kind": "thank_you",
              "level": -1, "items": [[first.pk, -1]]}

    dunning_actions_dispatch(actions=[thanks], as_of=AS_OF, run_reference="night", now=NOW)

    message = OutboundMessage.objects.get(idempotency_key="dunning:a401:email")
    assert message.step_key == "thank_you"
    assert message.debt_ids == []
    assert [r["id"] for r in message.statement["rows"]] == [first.pk, second.pk]
    assert message.content_flags["demands_payment"] is False


@pytest.mark.parametrize(("broken", "match"), [
    ({"customer_id": None}, r"actions\[0\]\.customer_id: None is not a valid int"),
    ({"id": "x"}, r"actions\[0\]\.id: 'x' is not a valid int"),
    ({"items": [["a", 1]]}, r"actions\[0\]\.items: expected \[\[document id, level\]"),
    ({"template_key": ""}, r"actions\[0\]\.template_key: required"),
])
def test_a_malformed_action_is_refused_naming_the_field(night, broken, match):
    _, _, _, actions = night

    with pytest.raises(DispatchInputError, match=match):
        dunning_actions_dispatch(actions=[{**actions[0], **broken}], as_of=AS_OF, run_reference="night", now=NOW)

    assert not OutboundMessage.objects.exists()


def test_dispatch_takes_the_actions_as_dunning_stores_them(night):
    """`document_ids` may stand in for `items`."""
    customer, _, (_first, second), _ = night
    action = {"id": 501, "customer_id": customer.pk, "channel": "email", "template_key": "reminder_2",
              "document_ids": [second.pk]}

    result = dunning_actions_dispatch(actions=[action], as_of=AS_OF, run_reference="night", now=NOW)

    assert int(result) == 1
    assert OutboundMessage.objects.get(idempotency_key="dunning:a501:email").debt_ids == [second.pk]
    assert result.as_dict()["messages"]["new"] == 1
