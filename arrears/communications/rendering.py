"""Template rendering: sandboxed Jinja2, locale-aware money and date filters, content flags.

Templates are written by staff, so they run in Jinja's SandboxedEnvironment and only ever see plain
dicts, lists, strings, Decimals and dates (never a model instance, whose methods could write).
The sandbox refuses attribute access such as `__class__` or `__globals__` with a SecurityError.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment


class TemplateRenderError(ValueError):
    """A template that does not compile or render; the message names the part and the line."""


@lru_cache(maxsize=256)
def locale_for(language: str, country: str = "") -> str:
    """`de` + `AT` -> `de_AT`; unknown combinations fall back to the language, then to English."""
    lang = (language or "en").replace("-", "_")
    candidates = [lang]
    if "_" not in lang and country:
        candidates.insert(0, f"{lang}_{country.upper()}")
    for candidate in candidates:
        try:
            return str(Locale.parse(candidate))
        except (UnknownLocaleError, ValueError):
            continue
    return "en"


_PROBES = (Decimal("0"), Decimal("7.5"), Decimal("1234.56"), Decimal("-1234.56"), Decimal("1234567.891"),
           Decimal("0.005"), Decimal("999999999.995"))


@lru_cache(maxsize=512)
def _fast_money(locale: str, currency: str):
    """A formatter equal to babel's format_currency for this locale and currency, without babel's
    per-call pattern work (a run formats millions of amounts). It is built from the locale's CLDR
    pattern and used only if it gives babel's exact output on the probe values; else None."""
    try:
        loc = Locale.parse(locale)
        pattern = loc.currency_formats["standard"]
        digits = int(get_currency_precision(currency))
        symbol = get_currency_symbol(currency, locale=loc)
        decimal_sep, group_sep = get_decimal_symbol(loc), get_group_symbol(loc)
    except (KeyError, ValueError, UnknownLocaleError):
        return None
    if tuple(pattern.grouping) != (3, 3):
        return None
    quantum = Decimal(1).scaleb(-digits)
    (pos_prefix, neg_prefix), (pos_suffix, neg_suffix) = pattern.prefix, pattern.suffix
    parts = tuple(x.replace("¤", symbol) for x in (pos_prefix, pos_suffix, neg_prefix, neg_suffix))

    def fast(value: Decimal) -> str:
        q = value.quantize(quantum, rounding=ROUND_HALF_EVEN)
        body = f"{abs(q):,.{digits}f}".replace(",", "\0").replace(".", decimal_sep).replace("\0", group_sep)
        if q < 0:
            return f"{parts[2]}{body}{parts[3]}"
        return f"{parts[0]}{body}{parts[1]}"

    for probe in _PROBES:
        if fast(probe) != format_currency(probe, currency, locale=loc):
            return None
    return fast


def _money(locale: str):
    def money(amount: Any, currency: str = "") -> str:
        if amount is None or amount == "":
            return ""
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        if not currency:
            return format_decimal(value, locale=locale)
        fast = _fast_money(locale, currency)
        if fast is not None:
            return fast(value)
        return format_currency(value, currency, locale=locale)

    return money


@lru_cache(maxsize=65536)
def _format_date(value: dt.date, fmt: str, locale: str) -> str:
    return format_date(value, format=fmt, locale=locale)


def _date(locale: str):
    def date(value: Any, fmt: str = "medium") -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        if isinstance(value, dt.datetime):
            value = value.date()
        return _format_date(value, fmt, locale)

    return date


@lru_cache(maxsize=64)
def _environment(autoescape: bool, locale: str) -> SandboxedEnvironment:
    """One sandbox per locale, so `money` and `date` format for that locale (and threads never share state)."""
    env = SandboxedEnvironment(autoescape=autoescape, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = _money(locale)
    env.filters["date"] = _date(locale)
    return env


@lru_cache(maxsize=8192)
def _compile(source: str, autoescape: bool, locale: str):
    return _environment(autoescape, locale).from_string(source)


def _where(part: str, exc: Exception) -> str:
    line = getattr(exc, "lineno", None)
    if line is None:  # a runtime error: Jinja maps the template's lines into the traceback
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<template>":
                line = tb.tb_lineno
            tb = tb.tb_next
    return f"{part} line {line}" if line else part


def compile_template(source: str, *, autoescape: bool, part: str = "template", locale: str = "en"):
    try:
        return _compile(source, autoescape, locale)
    except TemplateError as exc:
        raise TemplateRenderError(f"{_where(part, exc)}: {exc}") from exc


def render_part(source: str, context: dict[str, Any], *, html: bool, part: str) -> str:
    """Render one part (subject, html or text) with the filters of the context's locale."""
    if not source:
        return ""
    template = compile_template(source, autoescape=html, part=part, locale=context.get("locale", "en"))
    return _render_compiled_part(template, context, part=part)


def _render_compiled_part(template: Any, context: dict[str, Any], *, part: str) -> str:
    if template is None:
        return ""
    try:
        return template.render(context)
    except TemplateError as exc:  # includes the sandbox's SecurityError
        raise TemplateRenderError(f"{_where(part, exc)}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    html: str
    text: str
    flags: dict[str, Any] = field(default_factory=dict)


# What the compliance rules need to know about a message's content (compliance.rules.model.Content).
# Searched in the lower-cased text. Plain phrases are found with `in` (C substring search): a regex
# alternation over a few kilobytes costs ~0.1 ms per message, a third of a run's rendering time.
_DISCLOSURE = ("debt collector", "attempt to collect a debt", "inkasso")
_LITIGATION = ("legal action", "lawsuit", "court", "attorney", "gerichtlich", "klage", "mahnbescheid",
               "rechtliche schritte", "rechtsanwalt")
_LITIGATION_WORDS = re.compile(r"\bsue\b")  # a whole word only: "pursue", "issued" are not threats
_PRIVACY = ("privacy", "datenschutz")
_SMS_OPT_OUT = re.compile(r"\b(?:reply|text|send|antworten sie mit|senden sie)\s+\W?STOPP?\b", re.IGNORECASE)


def _mentions(text: str, phrases: tuple[str, ...]) -> bool:
    return any(phrase in text for phrase in phrases)


def content_flags(*, channel: str, step_key: str, rendered_subject: str, rendered_html: str, rendered_text: str,
                  opt_out_url: str) -> dict[str, Any]:
    """Read the rendered message the way the rules need it: is the opt-out there, the disclosure, ...

    The flags come from the actual output, not from the template's intent, so a template edited to
    drop the opt-out link is caught by the compliance gate (US-ELEC) before anything is sent.
    """
    whole = "\n".join((rendered_subject, rendered_html, rendered_text))
    lowered = whole.lower()
    if channel == "sms":
        opt_out = bool(_SMS_OPT_OUT.search(rendered_text))
    elif channel == "email":
        opt_out = bool(opt_out_url) and opt_out_url in whole
    else:
        opt_out = True  # letters and calls carry no electronic opt-out duty
    return {
        "demands_payment": step_key != "thank_you",
        "mentions_debt": True,
        "opt_out_statement": opt_out,
        "collector_disclosure": _mentions(lowered, _DISCLOSURE),
        "threatens_litigation": _mentions(lowered, _LITIGATION) or (
            "sue" in lowered and _LITIGATION_WORDS.search(lowered) is not None),
        "privacy_notice": _mentions(lowered, _PRIVACY),
    }


@dataclass(frozen=True, slots=True)
class CompiledMessage:
    """A template version's parts compiled once for one locale: a run renders thousands of contexts
    with it without looking the compiled templates up again. Same output as `render_message`."""

    subject: Any
    html: Any
    text: Any
    channel: str
    step_key: str


def compile_message(*, subject: str, html_body: str, text_body: str, channel: str, step_key: str,
                    locale: str) -> CompiledMessage:
    def part(source: str, html: bool, name: str) -> Any:
        return compile_template(source, autoescape=html, part=name, locale=locale) if source else None

    return CompiledMessage(subject=part(subject, False, "subject"), html=part(html_body, True, "html body"),
                           text=part(text_body, False, "text body"), channel=channel, step_key=step_key)


def render_compiled(compiled: CompiledMessage, context: dict[str, Any]) -> Rendered:
    """Render a compiled message; the context's locale must be the one it was compiled for."""
    out_subject = _render_compiled_part(compiled.subject, context, part="subject").strip()
    out_html = _render_compiled_part(compiled.html, context, part="html body")
    out_text = _render_compiled_part(compiled.text, context, part="text body")
    flags = content_flags(
        channel=compiled.channel, step_key=compiled.step_key, rendered_subject=out_subject, rendered_html=out_html,
        rendered_text=out_text, opt_out_url=str(context.get("opt_out_url") or ""),
    )
    return Rendered(subject=out_subject, html=out_html, text=out_text, flags=flags)


def render_message(*, subject: str, html_body: str, text_body: str, context: dict[str, Any], channel: str,
                   step_key: str) -> Rendered:
    compiled = compile_message(subject=subject, html_body=html_body, text_body=text_body, channel=channel,
                               step_key=step_key, locale=context.get("locale", "en"))
    return render_compiled(compiled, context)
