"""Links that go into messages: the customer portal (a placeholder hook) and the signed opt-out link."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core import signing

PORTAL_SALT = "arrears.portal.link"
OPT_OUT_SALT = "arrears.communications.opt-out"


def public_base_url() -> str:
    return str(getattr(settings, "ARREARS_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")


_portal_link_factory = None


def portal_link_factory_register(factory) -> None:
    """The portal app (above communications) registers how its links are made, in its ready()."""
    global _portal_link_factory
    _portal_link_factory = factory


def portal_link_for(customer) -> str:
    """The link a customer follows to see and pay their open items.

    With the portal installed, it makes a real, expiring link. Without it, a signed placeholder.
    """
    if _portal_link_factory is not None:
        return str(_portal_link_factory(customer))
    token = signing.Signer(salt=PORTAL_SALT).sign_object({"c": customer.pk}, compress=True)
    return f"{public_base_url()}/portal/{token}"


_portal_links_factory = None


def portal_links_factory_register(factory) -> None:
    """The bulk twin of `portal_link_factory_register`: `factory(customers: list[Customer]) ->
    {customer id: link}`, one round of queries for a whole run's messages (messages_queue_many)."""
    global _portal_links_factory
    _portal_links_factory = factory


def portal_links_for(customers) -> dict[int, str]:
    """{customer id: portal link} for many customers: the bulk factory if the portal registered one,
    else one `portal_link_for` per customer (with the portal installed, that is a token row each)."""
    customers = list(customers)
    if _portal_links_factory is None:
        return {c.pk: portal_link_for(c) for c in customers}
    links = {int(k): str(v) for k, v in _portal_links_factory(customers).items()}
    missing = [c.pk for c in customers if c.pk not in links]
    if missing:
        raise ValueError(f"the portal's bulk link factory returned no link for customers {missing[:10]}")
    return links


def opt_out_token(*, contact_id: int, channel: str) -> str:
    """Stable (no timestamp): the link in the body, rendered when queued, equals the one in the
    List-Unsubscribe header, built when sent; an opt-out link must not expire."""
    return signing.Signer(salt=OPT_OUT_SALT).sign_object({"ct": contact_id, "ch": channel}, compress=True)


def opt_out_token_read(token: str) -> tuple[int, str]:
    """(contact id, channel) from a token; raises signing.BadSignature for anything forged."""
    data = signing.Signer(salt=OPT_OUT_SALT).unsign_object(token)
    return int(data["ct"]), str(data["ch"])


def opt_out_url(*, contact_id: int, channel: str = "email") -> str:
    return f"{public_base_url()}/communications/unsubscribe/{opt_out_token(contact_id=contact_id, channel=channel)}/"


def opt_out_mailto(*, mailbox: str, contact_id: int, channel: str = "email") -> str:
    subject = quote(f"unsubscribe {opt_out_token(contact_id=contact_id, channel=channel)}")
    return f"mailto:{mailbox}?subject={subject}"
