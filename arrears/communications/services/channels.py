"""Delivery adapters: email over SMTP (Django's mail API) and SMS through a provider interface.

Every adapter sorts its failures into three kinds, because the outbox treats them differently:

- `TransientSendError`: nothing was handed over (connection refused, 4xx before the data): retry later.
- `PermanentSendError`: the other side refused for good (5xx, bad number): mark failed, never retry.
- `AmbiguousSendError`: the message may have been handed over (connection lost after the data was
  sent, a timeout waiting for the reply): never retried automatically, the row goes to 'check'.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import smtplib
import socket
import urllib.error
import urllib.request
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.module_loading import import_string


class SendError(Exception):
    kind = "error"


class TransientSendError(SendError):
    kind = "transient"


class PermanentSendError(SendError):
    kind = "permanent"


class AmbiguousSendError(SendError):
    kind = "ambiguous"


# --- email --------------------------------------------------------------------------------------------

_MSGID_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def message_id_for(*, idempotency_key: str, domain: str) -> str:
    """`<key@domain>`: the idempotency key travels in the Message-ID, so a reply (In-Reply-To) and a
    bounce find the message, and a duplicate would be recognisable by its id. Keys with characters a
    Message-ID cannot carry are hashed."""
    local = _MSGID_SAFE.sub("-", idempotency_key)
    if local != idempotency_key or len(local) > 120:
        local = "k-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<arrears.{local}@{domain or 'arrears.invalid'}>"


def email_build(*, to: str, subject: str, text: str, html: str, from_email: str, reply_to: str,
                message_id: str, attachments: list[tuple[str, bytes, str]] = (),
                list_unsubscribe: tuple[str, str] | None = None, connection: Any = None) -> EmailMultiAlternatives:
    headers = {"Message-ID": message_id, "Auto-Submitted": "auto-generated"}
    if list_unsubscribe is not None:
        mailto, https = list_unsubscribe
        # RFC 2369 + RFC 8058 one-click: the https URL takes a POST "List-Unsubscribe=One-Click".
        headers["List-Unsubscribe"] = f"<{mailto}>, <{https}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email = EmailMultiAlternatives(
        subject=subject, body=text or "", from_email=from_email, to=[to], reply_to=[reply_to] if reply_to else None,
        headers=headers, connection=connection,
    )
    if html:
        email.attach_alternative(html, "text/html")
    for name, content, mimetype in attachments:
        email.attach(name, content, mimetype)
    return email


def email_send(email: EmailMultiAlternatives) -> None:
    """Send one message on its own connection and classify what went wrong."""
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:  # refused, DNS, TLS or auth failure: nothing was sent
        raise TransientSendError(f"SMTP connect to {getattr(settings, 'EMAIL_HOST', '?')}:"
                                 f"{getattr(settings, 'EMAIL_PORT', '?')} failed: {exc}") from exc
    try:
        email.connection = connection
        sent = connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        cls = PermanentSendError if codes and min(codes) >= 500 else TransientSendError
        raise cls(f"recipient refused: {exc.recipients}") from exc
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        # The server answered with a code: the message was not accepted.
        cls = PermanentSendError if exc.smtp_code >= 500 else TransientSendError
        raise cls(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPException, OSError) as exc:
        raise AmbiguousSendError(f"connection lost while sending, delivery unknown: {exc}") from exc
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    if sent != 1:
        raise TransientSendError("the mail backend reported nothing sent")


# --- SMS ----------------------------------------------------------------------------------------------


class SmsProvider(Protocol):
    def send(self, to: str, body: str, *, sender: str = "", idempotency_key: str = "") -> str:
        """Hand one SMS to the provider; return the provider's message id."""


class HttpSmsProvider:
    """A JSON-over-HTTP SMS gateway: POST {to, body, from, reference} with `Authorization: Bearer <key>`
    and an `Idempotency-Key` header; the answer is JSON with the message `id`.

    Settings: ARREARS_SMS_URL, ARREARS_SMS_API_KEY, ARREARS_SMS_TIMEOUT (seconds, default 10).
    """

    def __init__(self, url: str | None = None, api_key: str | None = None, timeout: float | None = None):
        self.url = url if url is not None else getattr(settings, "ARREARS_SMS_URL", "")
        self.api_key = api_key if api_key is not None else getattr(settings, "ARREARS_SMS_API_KEY", "")
        self.timeout = timeout if timeout is not None else float(getattr(settings, "ARREARS_SMS_TIMEOUT", 10))

    def send(self, to: str, body: str, *, sender: str = "", idempotency_key: str = "") -> str:
        if not self.url:
            raise PermanentSendError("ARREARS_SMS_URL is not set")
        if not self.url.startswith(("http://", "https://")):
            raise PermanentSendError(f"ARREARS_SMS_URL must be an http(s) URL, got {self.url!r}")
        payload = json.dumps({"to": to, "body": body, "from": sender, "reference": idempotency_key}).encode()
        request = urllib.request.Request(
            self.url, data=payload, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}",
                     "Idempotency-Key": idempotency_key},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace")
            if exc.code >= 500 or exc.code == 429:
                raise TransientSendError(f"SMS provider HTTP {exc.code}: {detail}") from exc
            raise PermanentSendError(f"SMS provider HTTP {exc.code}: {detail}") from exc
        except TimeoutError as exc:
            raise AmbiguousSendError(f"SMS provider timed out after {self.timeout}s, delivery unknown") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise AmbiguousSendError(f"SMS provider timed out, delivery unknown: {exc.reason}") from exc
            raise TransientSendError(f"SMS provider unreachable: {exc.reason}") from exc
        except ValueError as exc:
            raise AmbiguousSendError(f"SMS provider answered with invalid JSON: {exc}") from exc
        provider_id = str(answer.get("id") or answer.get("message_id") or "")
        if not provider_id:
            raise AmbiguousSendError(f"SMS provider answered without an id: {answer!r}")
        return provider_id


def sms_provider() -> SmsProvider:
    path = getattr(settings, "ARREARS_SMS_PROVIDER", "arrears.communications.services.channels.HttpSmsProvider")
    return import_string(path)()
