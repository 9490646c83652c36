"""Template writes: create, edit (a new version), load the shipped defaults, render for a customer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max

from arrears.audit.services import audit_record, snapshot
from arrears.communications.defaults import default_templates
from arrears.communications.models import MessageTemplate
from arrears.communications.rendering import Rendered, TemplateRenderError, compile_template, render_message
from arrears.communications.selectors import contact_primary, template_context_for
from arrears.ledger.models import Channel, Contact, Customer

TEMPLATE_FIELDS = ("key", "channel", "language", "version", "name", "subject", "html_body", "text_body", "active")


class TemplateInvalid(ValueError):
    """A template that cannot be saved; `field` names the part (subject, html_body, text_body, ...)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def template_validate(*, channel: str, subject: str, html_body: str, text_body: str) -> None:
    """Compile every part in the sandbox; name the first part that does not compile."""
    if channel not in Channel.values:
        raise TemplateInvalid("channel", f"{channel!r} is not one of {', '.join(Channel.values)}")
    for field, source, html in (("subject", subject, False), ("html_body", html_body, True),
                                ("text_body", text_body, False)):
        try:
            compile_template(source, autoescape=html, part=field)
        except TemplateRenderError as exc:
            raise TemplateInvalid(field, str(exc)) from exc
    if channel in (Channel.SMS, Channel.PHONE) and not text_body.strip():
        raise TemplateInvalid("text_body", f"a {channel} template needs a text body")
    if channel == Channel.LETTER and not html_body.strip():
        raise TemplateInvalid("html_body", "a letter template needs an HTML body")
    if channel == Channel.EMAIL and not (html_body.strip() or text_body.strip()):
        raise TemplateInvalid("text_body", "an email template needs a text or an HTML body")


@transaction.atomic
def template_create(*, key: str, channel: str, language: str, subject: str = "", html_body: str = "",
                    text_body: str = "", name: str = "", actor: Any = None) -> MessageTemplate:
    """Version 1 of a new template (or the next version when the key/channel/language exists)."""
    key, language = key.strip(), (language.strip() or "en")
    if not key:
        raise TemplateInvalid("key", "required")
    template_validate(channel=channel, subject=subject, html_body=html_body, text_body=text_body)
    return _new_version(key=key, channel=channel, language=language, subject=subject, html_body=html_body,
                        text_body=text_body, name=name, actor=actor, action="template.create")


def _new_version(*, key: str, channel: str, language: str, subject: str, html_body: str, text_body: str,
                 name: str, actor: Any, action: str, previous: MessageTemplate | None = None) -> MessageTemplate:
    family = MessageTemplate.objects.select_for_update().filter(key=key, channel=channel, language=language)
    latest = family.aggregate(v=Max("version"))["v"] or 0
    family.filter(active=True).update(active=False)
    template = MessageTemplate.objects.create(
        key=key, channel=channel, language=language, version=latest + 1, name=name or f"{key} ({channel}, {language})",
        subject=subject, html_body=html_body, text_body=text_body, active=True,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        action=action, obj=template,
        before=snapshot(previous, TEMPLATE_FIELDS) if previous is not None else None,
        after=snapshot(template, TEMPLATE_FIELDS), actor=actor if getattr(actor, "pk", None) else None,
        note=f"version {template.version}" + (f" replaces version {previous.version}" if previous else ""),
    )
    return template


@transaction.atomic
def template_update(*, template: MessageTemplate, subject: str, html_body: str, text_body: str,
                    name: str | None = None, actor: Any = None) -> MessageTemplate:
    """An edit never changes a version that messages may already point to: it adds the next version
    and makes it the active one. Saving unchanged content returns the template as it is."""
    template_validate(channel=template.channel, subject=subject, html_body=html_body, text_body=text_body)
    if (subject, html_body, text_body) == (template.subject, template.html_body, template.text_body) and (
        name is None or name == template.name
    ) and template.active:
        return template
    return _new_version(
        key=template.key, channel=template.channel, language=template.language, subject=subject,
        html_body=html_body, text_body=text_body, name=name if name is not None else template.name, actor=actor,
        action="template.update", previous=template,
    )


@transaction.atomic
def template_activate(*, template: MessageTemplate, actor: Any = None) -> MessageTemplate:
    """Roll back to an older version by making it the active one again (recorded in the audit trail)."""
    if template.active:
        return template
    MessageTemplate.objects.select_for_update().filter(
        key=template.key, channel=template.channel, language=template.language, active=True
    ).update(active=False)
    template.active = True
    template.save(update_fields=["active", "updated_at"])
    audit_record(action="template.activate", obj=template, after={"active": True, "version": template.version},
                 actor=actor if getattr(actor, "pk", None) else None)
    return template


@transaction.atomic
def template_load_defaults(*, actor: Any = None, overwrite: bool = False) -> dict[str, int]:
    """Load the shipped templates. Existing key/channel/language families are left alone unless
    `overwrite`, which adds the shipped text as a new version. Safe to run twice."""
    created = skipped = 0
    for spec in default_templates():
        exists = MessageTemplate.objects.filter(key=spec["key"], channel=spec["channel"], language=spec["language"])
        current = exists.filter(active=True).first()
        if current is not None and not overwrite:
            skipped += 1
            continue
        if current is not None and (current.subject, current.html_body, current.text_body) == (
            spec["subject"], spec["html_body"], spec["text_body"]
        ):
            skipped += 1
            continue
        _new_version(action="template.load_default", actor=actor, previous=current, **spec)
        created += 1
    return {"created": created, "skipped": skipped}


def template_render_for_customer(*, template: MessageTemplate | None = None, customer: Customer,
                                 contact: Contact | None = None, as_of: dt.date, subject: str | None = None,
                                 html_body: str | None = None, text_body: str | None = None,
                                 debt_ids: list[int] | None = None) -> Rendered:
    """Render a saved template, or a draft (the editor's live preview) against a real customer.

    Nothing is written. Raises TemplateRenderError naming the part and line."""
    if contact is None:
        contact = contact_primary(customer=customer)
    context = template_context_for(customer=customer, contact=contact, as_of=as_of,
                                   step_key=template.key if template else "", debt_ids=debt_ids)
    return render_message(
        subject=subject if subject is not None else (template.subject if template else ""),
        html_body=html_body if html_body is not None else (template.html_body if template else ""),
        text_body=text_body if text_body is not None else (template.text_body if template else ""),
        context=context, channel=template.channel if template else Channel.EMAIL,
        step_key=template.key if template else "",
    )
