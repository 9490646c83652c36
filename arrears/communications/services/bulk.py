"""Queue a run's messages and call tasks in bulk: a fixed number of queries per chunk of requests.

`messages_queue_many(requests=[QueueRequest(...), ...], as_of=, run_reference=)` writes the same rows
as `message_queue` called once per request (same subject, HTML, text, statement, content flags,
status; a test holds the two paths to it), but it

- loads once: the active templates for the requested keys and channels, every sender profile;
- loads per chunk of `chunk_size` requests: the keys already queued, the customers (with their
  business unit), their contacts, their open debit items, their portal links (the portal's bulk
  factory when it registered one);
- compiles each template version once per locale and renders every message with it;
- writes with `bulk_create(batch_size=, ignore_conflicts=True)` on the unique idempotency key.

So the number of queries does not grow with the number of messages up to `chunk_size` (then one more
round per chunk), and a re-run writes nothing twice. `call_tasks_create_many` does the same for
call tasks (`call_task_create`'s bulk twin).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction

from arrears.common.clock import now as clock_now
from arrears.communications.links import portal_links_for
from arrears.communications.models import CallTask, MessageStatus, MessageTemplate, OutboundMessage
from arrears.communications.rendering import (
    CompiledMessage,
    TemplateRenderError,
    compile_message,
    render_compiled,
)
from arrears.communications.selectors import (
    TemplateMissing,
    contacts_by_customer,
    open_documents_by_customer,
    sender_dict,
    sender_profiles_by_unit,
    statement_build,
    template_context_build,
    template_language_candidates,
    templates_active_for,
)
from arrears.communications.services.outbox import MessageNotQueueable, message_build
from arrears.ledger.models import BusinessUnit, Channel, Contact, Customer

MESSAGE_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.LETTER)


@dataclasses.dataclass(frozen=True, slots=True)
class QueueRequest:
    """One message to queue. `contact_id` None = the customer's primary contact; `language` None = the
    customer's; `debt_ids` limits the statement to those open items (and the gate checks them);
    `extra` adds merge fields (e.g. {"dunning": {"action_id": 7, "level": 2}}) but may not replace one;
    `idempotency_key` None = `run:<run_reference>:c<customer>:<step>:<channel>` as in message_queue."""

    customer_id: int
    channel: str
    step_key: str
    contact_id: int | None = None
    language: str | None = None
    debt_ids: Sequence[int] | None = None
    idempotency_key: str | None = None
    extra: Mapping[str, Any] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class CallRequest:
    """One call task to plan (the bulk twin of call_task_create's arguments)."""

    customer_id: int
    step_key: str
    due_date: dt.date
    contact_id: int | None = None
    language: str | None = None
    idempotency_key: str | None = None


@dataclasses.dataclass(slots=True)
class BulkResult:
    requested: int = 0
    new: int = 0  # rows this call wrote (a concurrent call inserting the same key first wins; both count it)
    existing: int = 0  # keys that were already there (an earlier call, or repeated in this one): not written
    failed: int = 0  # of the new rows: written as failed (the contact has no address for the channel)
    rendered: int = 0
    new_by_channel: dict[str, int] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class _Templates:
    """The active templates for a batch of requests, loaded in one query; compiled once per version and locale."""

    def __init__(self, wanted: Iterable[tuple[str, str]]):
        wanted = set(wanted)
        self.active = templates_active_for(keys=sorted({k for k, _ in wanted}), channels=sorted({c for _, c in wanted}))
        self.compiled: dict[tuple[int, str, str], CompiledMessage] = {}

    def pick(self, *, key: str, channel: str, language: str, where: str) -> MessageTemplate:
        for lang in template_language_candidates(language):
            template = self.active.get((key, channel, lang))
            if template is not None:
                return template
        raise TemplateMissing(f"{where}: no active template {key}/{channel} for language {language!r} (nor en)")

    def compile(self, template: MessageTemplate, *, locale: str, channel: str, html: bool = True) -> CompiledMessage:
        cache_key = (template.pk, locale, channel)
        compiled = self.compiled.get(cache_key)
        if compiled is None:
            compiled = compile_message(subject=template.subject, html_body=template.html_body if html else "",
                                       text_body=template.text_body, channel=channel, step_key=template.key,
                                       locale=locale)
            self.compiled[cache_key] = compiled
        return compiled


class _Chunk:
    """What rendering one chunk of requests needs, in a fixed number of queries."""

    def __init__(self, customer_ids: list[int], *, senders: dict[int, Any], units: dict[int, BusinessUnit]):
        self.customers: dict[int, Customer] = {}
        for customer in Customer.objects.filter(pk__in=customer_ids):
            # the few business units are loaded once; select_related would build one copy per customer
            customer.business_unit = units[customer.business_unit_id]
            self.customers[customer.pk] = customer
        found = [cid for cid in customer_ids if cid in self.customers]
        self.contacts = contacts_by_customer(customer_ids=found)
        self.documents = open_documents_by_customer(customer_ids=found)
        self.links = portal_links_for([self.customers[cid] for cid in found])
        self._profiles = senders
        self._senders: dict[int, dict[str, str]] = {}

    def customer(self, customer_id: int, *, where: str) -> Customer:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise MessageNotQueueable(f"{where}: customer {customer_id} does not exist")
        return customer

    def contact(self, customer: Customer, contact_id: int | None, *, where: str) -> Contact | None:
        contacts = self.contacts.get(customer.pk, [])
        if contact_id is None:
            return contacts[0] if contacts else None
        for contact in contacts:
            if contact.pk == contact_id:
                return contact
        raise MessageNotQueueable(f"{where}: contact {contact_id} is not a contact of customer {customer.pk}")

    def sender(self, customer: Customer) -> dict[str, str]:
        unit_id = customer.business_unit_id
        sender = self._senders.get(unit_id)
        if sender is None:
            sender = sender_dict(self._profiles.get(unit_id), unit=customer.business_unit)
            self._senders[unit_id] = sender
        return sender

    def context(self, *, customer: Customer, contact: Contact | None, as_of: dt.date, step_key: str,
                debt_ids: Sequence[int] | None, extra: Mapping[str, Any] | None, where: str,
                ) -> tuple[dict[str, Any], dict[str, Any]]:
        rows = self.documents.get(customer.pk, [])
        if debt_ids:
            wanted = set(debt_ids)
            rows = [row for row in rows if row[0] in wanted]
        statement = statement_build(rows=rows, as_of=as_of)
        context = template_context_build(customer=customer, contact=contact, as_of=as_of, step_key=step_key,
                                         statement=statement, sender=dict(self.sender(customer)),
                                         portal_link=self.links[customer.pk])
        if extra:
            clash = sorted(set(extra) & set(context))
            if clash:
                raise MessageNotQueueable(f"{where}.extra: {', '.join(clash)} would replace a merge field")
            context.update(extra)
        return context, statement


def _chunks(n: int, size: int) -> Iterable[range]:
    for start in range(0, n, size):
        yield range(start, min(n, start + size))


def _default_message_key(request: QueueRequest, run_reference: str) -> str:
    if request.idempotency_key:
        return request.idempotency_key
    if run_reference:
        return f"run:{run_reference}:c{request.customer_id}:{request.step_key}:{request.channel}"
    return f"manual:{uuid.uuid4().hex}"


def _existing_keys(model: type[OutboundMessage] | type[CallTask], keys: Iterable[str]) -> set[str]:
    return set(model.objects.filter(idempotency_key__in=set(keys)).values_list("idempotency_key", flat=True))


def messages_queue_many(
    *,
    requests: Sequence[QueueRequest],
    as_of: dt.date,
    run_reference: str = "",
    actor: Any = None,
    now: dt.datetime | None = None,
    batch_size: int = 1000,
    chunk_size: int = 5000,
) -> BulkResult:
    """Render and queue many messages (status queued, or failed when there is no address).

    Idempotent per key: keys already queued (or repeated in `requests`) are counted as `existing` and
    not rendered again. All or nothing: one transaction; a bad request (unknown customer, a contact of
    another customer, a channel that is not a message, a missing template, a template that fails to
    render) raises an error naming `requests[i]` and nothing is written."""
    at = now or clock_now()
    requests = list(requests)
    result = BulkResult(requested=len(requests))
    for i, request in enumerate(requests):
        if request.channel not in MESSAGE_CHANNELS:
            raise MessageNotQueueable(
                f"requests[{i}].channel: {request.channel!r} is not one of {', '.join(MESSAGE_CHANNELS)}"
                " (calls are call tasks: call_tasks_create_many)"
            )
    if not requests:
        return result
    keys = [_default_message_key(r, run_reference) for r in requests]
    templates = _Templates((r.step_key, r.channel) for r in requests)
    senders = sender_profiles_by_unit()
    units = BusinessUnit.objects.in_bulk()
    seen: set[str] = set()
    with transaction.atomic():
        for span in _chunks(len(requests), chunk_size):
            existing = _existing_keys(OutboundMessage, (keys[i] for i in span))
            todo = []
            for i in span:
                if keys[i] in existing or keys[i] in seen:
                    result.existing += 1
                    continue
                seen.add(keys[i])
                todo.append(i)
            if not todo:
                continue
            chunk = _Chunk(sorted({requests[i].customer_id for i in todo}), senders=senders, units=units)
            rows = []
            for i in todo:
                rows.append(_message_for(requests[i], key=keys[i], where=f"requests[{i}]", chunk=chunk,
                                         templates=templates, as_of=as_of, at=at, run_reference=run_reference,
                                         actor=actor))
            result.rendered += len(rows)
            OutboundMessage.objects.bulk_create(rows, batch_size=batch_size, ignore_conflicts=True)
            for row in rows:
                result.new += 1
                result.failed += row.status == MessageStatus.FAILED
                result.new_by_channel[row.channel] = result.new_by_channel.get(row.channel, 0) + 1
    return result


def _message_for(request: QueueRequest, *, key: str, where: str, chunk: _Chunk, templates: _Templates,
                 as_of: dt.date, at: dt.datetime, run_reference: str, actor: Any) -> OutboundMessage:
    customer = chunk.customer(request.customer_id, where=where)
    contact = chunk.contact(customer, request.contact_id, where=where)
    template = templates.pick(key=request.step_key, channel=request.channel,
                              language=request.language or customer.language or "en", where=where)
    context, statement = chunk.context(customer=customer, contact=contact, as_of=as_of, step_key=request.step_key,
                                       debt_ids=request.debt_ids, extra=request.extra, where=where)
    compiled = templates.compile(template, locale=context["locale"], channel=request.channel)
    try:
        rendered = render_compiled(compiled, context)
    except TemplateRenderError as exc:
        raise TemplateRenderError(f"{where} (customer {customer.pk}, template {template}): {exc}") from exc
    return message_build(
        customer=customer, contact=contact, channel=request.channel, step_key=request.step_key, template=template,
        rendered=rendered, statement=statement, debt_ids_given=bool(request.debt_ids), idempotency_key=key, at=at,
        run_reference=run_reference, actor=actor, from_email=context["sender"]["from_email"],
    )


def call_tasks_create_many(
    *,
    requests: Sequence[CallRequest],
    as_of: dt.date | None = None,
    run_reference: str = "",
    batch_size: int = 1000,
    chunk_size: int = 5000,
) -> BulkResult:
    """Plan many call tasks with their rendered scripts, for each customer's collector.

    The same rows as `call_task_create` per request (idempotent per key, default
    `call:<run or due date>:c<customer>:<step>`); one transaction; errors name `requests[i]`."""
    requests = list(requests)
    result = BulkResult(requested=len(requests))
    if not requests:
        return result
    keys = [r.idempotency_key or f"call:{run_reference or r.due_date.isoformat()}:c{r.customer_id}:{r.step_key}"
            for r in requests]
    templates = _Templates((r.step_key, Channel.PHONE) for r in requests)
    senders = sender_profiles_by_unit()
    units = BusinessUnit.objects.in_bulk()
    seen: set[str] = set()
    with transaction.atomic():
        for span in _chunks(len(requests), chunk_size):
            existing = _existing_keys(CallTask, (keys[i] for i in span))
            todo = [i for i in span if keys[i] not in existing and keys[i] not in seen]
            result.existing += len(span) - len(todo)
            seen.update(keys[i] for i in todo)
            if not todo:
                continue
            chunk = _Chunk(sorted({requests[i].customer_id for i in todo}), senders=senders, units=units)
            tasks = []
            for i in todo:
                request, where = requests[i], f"requests[{i}]"
                customer = chunk.customer(request.customer_id, where=where)
                contact = chunk.contact(customer, request.contact_id, where=where)
                template = templates.pick(key=request.step_key, channel=Channel.PHONE,
                                          language=request.language or customer.language or "en", where=where)
                context, _ = chunk.context(customer=customer, contact=contact, as_of=as_of or request.due_date,
                                           step_key=request.step_key, debt_ids=None, extra=None, where=where)
                compiled = templates.compile(template, locale=context["locale"], channel=Channel.PHONE, html=False)
                try:
                    rendered = render_compiled(compiled, context)
                except TemplateRenderError as exc:
                    raise TemplateRenderError(f"{where} (customer {customer.pk}, template {template}): {exc}") from exc
                tasks.append(CallTask(customer=customer, contact=contact, assigned_to_id=customer.collector_id,
                                      step_key=request.step_key, template=template, script=rendered.text.strip(),
                                      due_date=request.due_date, idempotency_key=keys[i]))
            result.rendered += len(tasks)
            CallTask.objects.bulk_create(tasks, batch_size=batch_size, ignore_conflicts=True)
            result.new += len(tasks)
            result.new_by_channel[Channel.PHONE] = result.new_by_channel.get(Channel.PHONE, 0) + len(tasks)
    return result
