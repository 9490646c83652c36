"""The content flags the compliance gate reads are found in the rendered output."""

from __future__ import annotations

import pytest

from arrears.communications.rendering import content_flags


def _flags(text: str, *, channel: str = "email", step_key: str = "reminder_1", opt_out_url: str = "") -> dict:
    return content_flags(channel=channel, step_key=step_key, rendered_subject="Subject", rendered_html=f"<p>{text}</p>",
                         rendered_text=text, opt_out_url=opt_out_url)


@pytest.mark.parametrize(("text", "expected"), [
    ("We will consider Legal Action.", True),
    ("Otherwise we may SUE you.", True),
    ("sue", True),
    ("Wir erheben Klage beim Amtsgericht.", True),
    ("Ein gerichtliches Mahnverfahren folgt.", True),
    ("We will pursue the matter with you.", False),
    ("The invoice was issued on 1 March.", False),
    ("Please pay the open amount.", False),
])
def test_threats_of_litigation_are_found_as_phrases_and_whole_words(text, expected):
    assert _flags(text)["threatens_litigation"] is expected


@pytest.mark.parametrize(("text", "flag"), [
    ("This communication is from a Debt Collector.", "collector_disclosure"),
    ("Diese Mitteilung stammt von einem Inkassounternehmen.", "collector_disclosure"),
    ("Read our Privacy notice.", "privacy_notice"),
    ("Hinweise zum Datenschutz", "privacy_notice"),
])
def test_disclosure_and_privacy_notices_are_found_in_any_case(text, flag):
    assert _flags(text)[flag] is True
    assert _flags("Please pay the open amount.")[flag] is False


def test_an_email_has_its_opt_out_only_when_the_link_is_in_the_output():
    url = "https://ar.example/communications/unsubscribe/abc/"

    assert _flags(f"Unsubscribe: {url}", opt_out_url=url)["opt_out_statement"] is True
    assert _flags("No link here", opt_out_url=url)["opt_out_statement"] is False
    assert _flags("Reply STOP to opt out.", channel="sms")["opt_out_statement"] is True
    assert _flags("Thanks", step_key="thank_you")["demands_payment"] is False
