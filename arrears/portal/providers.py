"""Card and wallet payments through a payment provider: the interface and its one adapter.

`HostedCheckoutProvider` speaks a small, generic "hosted checkout" HTTP protocol:

    POST {url}/sessions   Authorization: Bearer {api_key}
         {"amount": <minor units>, "currency": "EUR", "reference": "...", "description": "...",
          "success_url": "...", "cancel_url": "...", "metadata": {...}}
    ->   201 {"id": "cs_...", "url": "https://pay.example/cs_..."}

and sends webhooks signed like this (the scheme Stripe popularised):

    Arrears-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(webhook_secret, "<t>." + raw body)>
    {"id": "evt_...", "type": "checkout.session.completed",
     "data": {"session_id": "cs_...", "amount": 12345, "currency": "EUR", "payment_reference": "..."}}

Several v1= values may be present (secret rotation); one matching is enough.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from arrears.common.money import to_minor
from arrears.portal import conf
from arrears.portal.errors import PortalError, PortalErrorCode

SIGNATURE_HEADER = "Arrears-Signature"


@dataclass(frozen=True)
class CheckoutSession:
    session_id: str
    url: str


@dataclass(frozen=True)
class ProviderEvent:
    event_id: str
    event_type: str
    signed_at: dt.datetime
    session_id: str
    amount_minor: int | None
    currency: str
    payment_reference: str
    payload: dict[str, Any]


class PaymentProvider(Protocol):
    name: str

    def create_checkout(
        self, *, amount: Decimal, currency: str, reference: str, description: str,
        success_url: str, cancel_url: str, metadata: dict[str, Any],
    ) -> CheckoutSession: ...

    def parse_webhook(self, *, body: bytes, signature_header: str, at: dt.datetime) -> ProviderEvent: ...


def webhook_signature(*, body: bytes, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def webhook_signature_header(*, body: bytes, secret: str, timestamp: int) -> str:
    return f"t={timestamp},v1={webhook_signature(body=body, secret=secret, timestamp=timestamp)}"


def webhook_verify(*, body: bytes, header: str, secret: str, at: dt.datetime, tolerance: int) -> int:
    """The signed timestamp when the header carries a valid signature within the tolerance; else PortalError."""
    if not secret:
        raise PortalError(PortalErrorCode.BAD_SIGNATURE, "no webhook secret is configured")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise PortalError(PortalErrorCode.BAD_SIGNATURE, f"{SIGNATURE_HEADER}: expected t=<seconds>,v1=<hex>")
    expected = webhook_signature(body=body, secret=secret, timestamp=timestamp)
    # Check every candidate so the time taken does not depend on which one matches.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise PortalError(PortalErrorCode.BAD_SIGNATURE, f"{SIGNATURE_HEADER}: the signature does not match")
    if abs(at.timestamp() - timestamp) > tolerance:
        raise PortalError(
            PortalErrorCode.STALE_SIGNATURE, f"{SIGNATURE_HEADER}: signed at {timestamp}, outside the {tolerance}s tolerance"
        )
    return timestamp


class HostedCheckoutProvider:
    """The one adapter: a provider that hosts the card / wallet page and reports back by webhook."""

    def __init__(self, *, url: str, api_key: str, webhook_secret: str, name: str = "hosted", timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.name = name
        self.timeout = timeout

    def create_checkout(
        self, *, amount: Decimal, currency: str, reference: str, description: str,
        success_url: str, cancel_url: str, metadata: dict[str, Any],
    ) -> CheckoutSession:
        body = json.dumps({
            "amount": to_minor(amount, currency), "currency": currency, "reference": reference,
            "description": description, "success_url": success_url, "cancel_url": cancel_url, "metadata": metadata,
        }).encode()
        request = urllib.request.Request(
            f"{self.url}/sessions", data=body, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"},
        )
        if not self.url.startswith(("http://", "https://")):
            raise PortalError(PortalErrorCode.PROVIDER_UNAVAILABLE, f"provider url {self.url!r} is not http(s)")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = json.loads(response.read().decode())
        except (urllib.error.URLError, TimeoutError, ValueError, OSError) as exc:
            raise PortalError(PortalErrorCode.PROVIDER_UNAVAILABLE, f"the payment provider did not answer: {exc}") from exc
        session_id, url = str(data.get("id") or ""), str(data.get("url") or "")
        if not session_id or not url.startswith(("https://", "http://")):
            raise PortalError(PortalErrorCode.PROVIDER_UNAVAILABLE, "the payment provider sent no session id or url")
        return CheckoutSession(session_id=session_id, url=url)

    def parse_webhook(self, *, body: bytes, signature_header: str, at: dt.datetime) -> ProviderEvent:
        timestamp = webhook_verify(
            body=body, header=signature_header, secret=self.webhook_secret, at=at, tolerance=conf.webhook_tolerance()
        )
        try:
            payload = json.loads(body.decode("utf-8"))
            data = payload.get("data") or {}
            event_id, event_type = str(payload["id"]), str(payload["type"])
            amount = data.get("amount")
            amount_minor = None if amount is None else int(amount)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PortalError(PortalErrorCode.BAD_EVENT, f"event: not a valid event ({exc})") from exc
        if not event_id or len(event_id) > 128:
            raise PortalError(PortalErrorCode.BAD_EVENT, "event: id missing or too long")
        return ProviderEvent(
            event_id=event_id, event_type=event_type[:64],
            signed_at=dt.datetime.fromtimestamp(timestamp, tz=dt.UTC),
            session_id=str(data.get("session_id") or "")[:128], amount_minor=amount_minor,
            currency=str(data.get("currency") or "").upper()[:3],
            payment_reference=str(data.get("payment_reference") or "")[:100], payload=payload,
        )


def provider_get() -> HostedCheckoutProvider | None:
    """The configured provider, or None when card payments are not set up."""
    cfg = conf.provider_settings()
    if not cfg.get("url"):
        return None
    return HostedCheckoutProvider(
        url=cfg["url"], api_key=cfg.get("api_key", ""), webhook_secret=cfg.get("webhook_secret", ""),
        name=cfg.get("name", "hosted"), timeout=float(cfg.get("timeout", 10)),
    )
