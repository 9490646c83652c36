"""Templates: the sandbox, locale formatting, versions with an audit trail, the shipped defaults."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arrears.audit.models import AuditEvent
from arrears.communications.defaults import STEPS
from arrears.communications.models import MessageTemplate
from arrears.communications.rendering import TemplateRenderError, locale_for, render_part
from arrears.communications.selectors import template_get_active
from arrears.communications.services import (
    message_queue,
    template_activate,
    template_create,
    template_load_defaults,
    template_render_for_customer,
    template_update,
)
from arrears.communications.services.templates import TemplateInvalid
from arrears.communications.tests.conftest import AS_OF, NOW

NBSP = "\xa0"


@pytest.mark.parametrize(
    "source",
    [
        "{{ customer.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ money.__globals__ }}",
        "{{ (1).__class__.__base__.__subclasses__() }}",
        "{{ customer.name.format.__globals__ }}",
    ],
)
def test_the_sandbox_refuses_unsafe_attribute_access(source):
    context = {"locale": "en", "customer": {"name": "Acme"}, "money": lambda x: x}
    with pytest.raises(TemplateRenderError, match=r"body"):
        render_part(source, context, html=False, part="text body")


def test_undefined_merge_fields_fail_loudly_naming_the_part_and_line():
    with pytest.raises(TemplateRenderError, match=r"subject line 1: .*'nope' is undefined"):
        render_part("Hello {{ nope }}", {"locale": "en"}, html=False, part="subject")


@pytest.mark.parametrize(
    ("language", "country", "expected_money", "expected_date"),
    [
        ("de", "DE", f"1.234,56{NBSP}€", "31.01.2026"),
        ("de", "AT", f"€{NBSP}1.234,56", "31.01.2026"),
        ("en", "US", "€1,234.56", "Jan 31, 2026"),
        ("en", "GB", "€1,234.56", "31 Jan 2026"),
        ("fr", "FR", f"1{chr(0x202f)}234,56{NBSP}€", "31 janv. 2026"),
    ],
)
def test_money_and_dates_follow_the_customers_locale(language, country, expected_money, expected_date):
    context = {"locale": locale_for(language, country), "amount": Decimal("1234.56"), "due": dt.date(2026, 1, 31)}
    assert render_part("{{ amount|money('EUR') }}", context, html=False, part="t") == expected_money
    assert render_part("{{ due|date }}", context, html=False, part="t") == expected_date


def test_html_parts_escape_merge_fields_and_text_parts_do_not():
    context = {"locale": "en", "customer": {"name": "Smith & <Sons>"}}
    assert render_part("{{ customer.name }}", context, html=True, part="h") == "Smith &amp; &lt;Sons&gt;"
    assert render_part("{{ customer.name }}", context, html=False, part="t") == "Smith & <Sons>"


def test_defaults_exist_for_every_step_channel_and_language(db):
    for step in STEPS:
        for channel in ("email", "letter", "sms", "phone"):
            for language in ("en", "de"):
                assert template_get_active(key=step, channel=channel, language=language).version >= 1
    # Loading again changes nothing.
    assert template_load_defaults() == {"created": 0, "skipped": 48}


def test_a_customer_language_without_templates_falls_back_to_english(db):
    assert template_get_active(key="reminder_1", channel="email", language="fr-CA").language == "en"


def test_editing_adds_a_version_keeps_the_old_one_and_is_audited(db, admin_user):
    first = template_create(key="custom", channel="email", language="en", subject="Hi {{ customer.name }}",
                            text_body="v1", actor=admin_user)

    second = template_update(template=first, subject="Hello {{ customer.name }}", html_body="", text_body="v2",
                             actor=admin_user)

    first.refresh_from_db()
    assert (first.version, first.active, first.text_body) == (1, False, "v1")
    assert (second.version, second.active, second.text_body) == (2, True, "v2")
    assert template_get_active(key="custom", channel="email", language="en") == second
    event = AuditEvent.objects.filter(action="template.update").get()
    assert event.before["text_body"] == "v1"
    assert event.after["text_body"] == "v2"
    assert event.actor == admin_user
    # Unchanged content is not a new version; rolling back re-activates the old one.
    assert template_update(template=second, subject=second.subject, html_body="", text_body="v2") == second
    template_activate(template=first, actor=admin_user)
    assert template_get_active(key="custom", channel="email", language="en") == first
    assert MessageTemplate.objects.filter(key="custom").count() == 2


def test_a_message_keeps_the_version_it_was_rendered_with(de_customer):
    template = template_get_active(key="reminder_1", channel="email", language="de")
    message = message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF,
                            run_reference="r1", now=NOW)
    newer = template_update(template=template, subject="Neu: {{ customer.name }}", html_body=template.html_body,
                            text_body=template.text_body)
    later = message_queue(customer=de_customer, channel="email", step_key="reminder_1", as_of=AS_OF,
                          run_reference="r2", now=NOW)
    assert message.template == template
    assert message.subject.startswith("Zahlungserinnerung")
    assert later.template == newer
    assert later.subject == "Neu: Müller Maschinenbau GmbH"


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("subject", {"subject": "{{ unclosed", "text_body": "x"}),
        ("html_body", {"html_body": "{% for %}", "text_body": "x"}),
        ("text_body", {"text_body": ""}),
    ],
)
def test_an_invalid_template_is_refused_naming_the_part(db, field, kwargs):
    with pytest.raises(TemplateInvalid) as info:
        template_create(key="bad", channel="sms", language="en", **kwargs)
    assert info.value.field == field
    assert not MessageTemplate.objects.filter(key="bad").exists()


def test_preview_renders_a_draft_against_a_real_customer_without_saving(de_customer):
    template = template_get_active(key="reminder_2", channel="email", language="de")
    rendered = template_render_for_customer(template=template, customer=de_customer, as_of=AS_OF,
                                            subject="Entwurf für {{ customer.name }}: {{ total.amount|money(total.currency) }}")
    assert rendered.subject == f"Entwurf für Müller Maschinenbau GmbH: 1.234,56{NBSP}€"
    assert "RE-2026-0001" in rendered.html
    assert "34" in rendered.html
    assert template.subject != rendered.subject
