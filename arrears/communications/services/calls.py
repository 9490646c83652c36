"""Call tasks: the customer's collector calls, reading the step's script (the worklist builds on them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from arrears.common.clock import now as clock_now
from arrears.communications.models import CallTask, CallTaskStatus, MessageTemplate
from arrears.communications.rendering import render_message
from arrears.communications.selectors import contact_primary, template_context_for, template_get_active
from arrears.ledger.models import Channel, Contact, Customer


def call_task_create(*, customer: Customer, step_key: str, due_date: dt.date, as_of: dt.date | None = None,
                     contact: Contact | None = None, run_reference: str = "", idempotency_key: str | None = None,
                     template: MessageTemplate | None = None) -> CallTask:
    """A call for the customer's collector with the rendered script. Idempotent per run, customer and step.

    The call itself passes the compliance gate when it is placed (the worklist asks the gate then);
    a task is only a plan."""
    key = idempotency_key or f"call:{run_reference or due_date.isoformat()}:c{customer.pk}:{step_key}"
    existing = CallTask.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    if contact is None:
        contact = contact_primary(customer=customer)
    if template is None:
        template = template_get_active(key=step_key, channel=Channel.PHONE, language=customer.language or "en")
    context = template_context_for(customer=customer, contact=contact, as_of=as_of or due_date, step_key=step_key)
    rendered = render_message(subject=template.subject, html_body="", text_body=template.text_body, context=context,
                              channel=Channel.PHONE, step_key=step_key)
    task = CallTask(customer=customer, contact=contact, assigned_to_id=customer.collector_id, step_key=step_key,
                    template=template, script=rendered.text.strip(), due_date=due_date, idempotency_key=key)
    try:
        with transaction.atomic():
            task.save(force_insert=True)
    except IntegrityError:
        return CallTask.objects.get(idempotency_key=key)
    return task


def call_task_complete(*, task: CallTask, at: dt.datetime | None = None, actor: Any = None) -> CallTask:
    if task.status == CallTaskStatus.DONE:
        return task
    task.status = CallTaskStatus.DONE
    task.done_at = at or clock_now()
    task.save(update_fields=["status", "done_at", "updated_at"])
    return task
