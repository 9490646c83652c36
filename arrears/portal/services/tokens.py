"""Portal links: make, use, revoke. The raw token exists only in the link; the table keeps its hash."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.db.models import F

from arrears.audit.services import audit_record
from arrears.common.clock import now
from arrears.communications import links
from arrears.ledger.models import Customer
from arrears.portal import conf
from arrears.portal.models import PortalToken
from arrears.portal.selectors import token_hash


def portal_url(raw: str) -> str:
    return f"{links.public_base_url()}/portal/{raw}/"


@transaction.atomic
def portal_token_create(
    *, customer: Customer, message_id: int | None = None, days: int | None = None, created_by: Any = None
) -> tuple[PortalToken, str]:
    """A new link for one customer (and message). Returns the row and the raw token, which is shown once."""
    raw = secrets.token_urlsafe(32)  # 256 random bits
    token = PortalToken.objects.create(
        customer=customer,
        token_hash=token_hash(raw),
        message_id=message_id,
        expires_at=now() + dt.timedelta(days=conf.link_days() if days is None else days),
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )
    audit_record(
        action="portal.link", obj=token, customer_id=customer.pk,
        after={"expires_at": token.expires_at.isoformat(), "message_id": message_id},
    )
    return token, raw


def portal_link_for_customer(customer: Customer, message_id: int | None = None) -> str:
    """The link that goes into a message (communications calls this through its portal-link hook)."""
    _token, raw = portal_token_create(customer=customer, message_id=message_id)
    return portal_url(raw)


def portal_link_hook_install() -> None:
    """Let communications build real portal links, if it offers a registration hook (see docs/portal.md)."""
    register = getattr(links, "portal_link_factory_register", None)
    if callable(register):
        register(portal_link_for_customer)


def portal_token_touch(*, token: PortalToken) -> None:
    """Record a use of the link (one UPDATE, no read-modify-write)."""
    PortalToken.objects.filter(pk=token.pk).update(last_used=now(), use_count=F("use_count") + 1)


@transaction.atomic
def portal_token_revoke(*, token: PortalToken, reason: str = "", by: Any = None) -> PortalToken:
    token = PortalToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = now()
    token.revoked_reason = reason[:200]
    token.save(update_fields=["revoked_at", "revoked_reason", "updated_at"])
    audit_record(
        action="portal.revoke", obj=token, customer_id=token.customer_id,
        after={"revoked_at": token.revoked_at.isoformat(), "reason": token.revoked_reason},
        actor=by if getattr(by, "is_authenticated", False) else None,
    )
    return token


@transaction.atomic
def portal_token_revoke_all(*, customer: Customer, reason: str = "", by: Any = None) -> int:
    live = list(PortalToken.objects.filter(customer=customer, revoked_at__isnull=True, expires_at__gt=now()))
    for token in live:
        portal_token_revoke(token=token, reason=reason, by=by)
    return len(live)
