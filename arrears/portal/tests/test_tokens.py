"""Portal links: they open one customer's portal, and every kind of bad link gets the same 404."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from arrears.audit.models import AuditEvent
from arrears.common.clock import now
from arrears.portal.models import PortalToken
from arrears.portal.selectors import token_hash
from arrears.portal.services.tokens import portal_token_create, portal_token_revoke
from arrears.portal.tests.conftest import open_portal

pytestmark = pytest.mark.django_db


def _not_found_body(response) -> bytes:
    assert response.status_code == 404
    return response.content


@pytest.mark.smoke
def test_a_link_opens_the_customers_portal_and_drops_the_token_from_the_url(alice):
    customer, docs = alice
    token, raw = portal_token_create(customer=customer)
    client = Client()
    response = client.get(f"/portal/{raw}/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    page = client.get("/portal/")
    assert page.status_code == 200
    body = page.content.decode()
    assert customer.name in body
    assert docs[0].external_id in body
    assert 'name="viewport"' in body
    token.refresh_from_db()
    assert token.use_count == 1
    assert token.last_used is not None


def test_only_the_hash_of_the_token_is_stored(alice):
    token, raw = portal_token_create(customer=alice[0])
    assert len(raw) >= 43  # 32 random bytes, base64url
    assert token.token_hash == token_hash(raw)
    assert raw not in token.token_hash
    assert not PortalToken.objects.filter(token_hash=raw).exists()


def test_tampered_expired_revoked_and_unknown_links_get_the_same_404(alice):
    customer = alice[0]
    _t, good = portal_token_create(customer=customer)
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")
    _t2, expired = portal_token_create(customer=customer, days=1)
    revoked_token, revoked = portal_token_create(customer=customer)
    portal_token_revoke(token=revoked_token, reason="test")
    with time_machine.travel(now() + dt.timedelta(days=2), tick=False):
        expired_body = _not_found_body(Client().get(f"/portal/{expired}/"))
    bodies = {
        _not_found_body(Client().get(f"/portal/{tampered}/")),
        _not_found_body(Client().get(f"/portal/{revoked}/")),
        _not_found_body(Client().get("/portal/not-a-token-at-all/")),
        expired_body,
    }
    assert len(bodies) == 1  # nothing tells an attacker which case it was


def test_the_old_signed_placeholder_link_from_communications_does_not_open_the_portal(alice):
    from django.core import signing

    from arrears.communications.links import PORTAL_SALT

    placeholder = signing.Signer(salt=PORTAL_SALT).sign_object({"c": alice[0].pk}, compress=True)
    assert Client().get(f"/portal/{placeholder}/").status_code == 404


def test_revoking_a_link_ends_the_session_it_opened(alice):
    customer = alice[0]
    token, raw = portal_token_create(customer=customer)
    client = Client()
    client.get(f"/portal/{raw}/")
    assert client.get("/portal/").status_code == 200
    portal_token_revoke(token=token, reason="lost phone")
    assert client.get("/portal/").status_code == 404
    assert AuditEvent.objects.filter(action="portal.revoke", customer_id=customer.pk).exists()


def test_a_session_expires_with_its_link(alice):
    customer = alice[0]
    _token, raw = portal_token_create(customer=customer, days=1)
    client = Client()
    client.get(f"/portal/{raw}/")
    with time_machine.travel(now() + dt.timedelta(days=1, minutes=1), tick=False):
        assert client.get("/portal/").status_code == 404


def test_another_customers_link_opens_only_that_customers_portal(alice, bob):
    client = open_portal(bob[0])
    page = client.get("/portal/").content.decode()
    assert bob[0].name in page
    assert alice[0].name not in page
    assert client.get(f"/portal/documents/{alice[1][0].pk}/pdf/").status_code == 404


def test_without_a_session_the_portal_pages_are_404(alice):
    assert Client().get("/portal/").status_code == 404
    assert Client().get(f"/portal/documents/{alice[1][0].pk}/pdf/").status_code == 404


def test_too_many_failed_lookups_from_one_address_get_429(alice, settings):
    settings.ARREARS_PORTAL_LOOKUP_LIMIT = (5, 600)
    client = Client()
    for i in range(5):
        assert client.get(f"/portal/guess{i:040d}/").status_code == 404
    assert client.get("/portal/guess-number-six/").status_code == 429
    # Even a good link is refused while the address is blocked: guessing cannot continue.
    _t, raw = portal_token_create(customer=alice[0])
    assert client.get(f"/portal/{raw}/").status_code == 429
    other_address = Client(REMOTE_ADDR="10.0.0.9")
    assert other_address.get(f"/portal/{raw}/").status_code == 302


def test_too_many_posts_get_429(alice_portal, settings):
    settings.ARREARS_PORTAL_POST_LIMIT = (3, 600)
    codes = [alice_portal.post("/portal/preferences/", {"preferred_channel": "email"}).status_code for _ in range(4)]
    assert codes[:3] == [302, 302, 302]
    assert codes[3] == 429


def test_staff_make_a_link_shown_once_and_revoke_it(alice, make_user):
    customer = alice[0]
    collector = make_user("cora", role="collector")
    customer.collector = collector
    customer.save(update_fields=["collector"])
    staff = Client()
    staff.force_login(collector)
    page = staff.post(f"/portal/staff/customers/{customer.pk}/links/").content.decode()
    link = page.split('<code id="new-link">')[1].split("</code>")[0]
    raw = link.rstrip("/").rsplit("/", 1)[-1]
    assert Client().get(f"/portal/{raw}/").status_code == 302
    token = PortalToken.objects.get(token_hash=token_hash(raw))
    assert staff.post(f"/portal/staff/links/{token.pk}/revoke/").status_code == 302
    assert Client().get(f"/portal/{raw}/").status_code == 404


def test_a_collector_cannot_make_links_for_another_collectors_customer(alice, make_user):
    owner, other = make_user("cora"), make_user("carl")
    alice[0].collector = owner
    alice[0].save(update_fields=["collector"])
    staff = Client()
    staff.force_login(other)
    assert staff.post(f"/portal/staff/customers/{alice[0].pk}/links/").status_code == 404
