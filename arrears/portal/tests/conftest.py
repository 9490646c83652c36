"""Fixtures for the portal tests: two customers of one business unit, links into the portal, a fake
hosted-checkout provider on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.test import Client

from arrears.common.clock import today
from arrears.ledger.models import BusinessUnit
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory
from arrears.portal.models import PaymentSettings
from arrears.portal.providers import webhook_signature_header
from arrears.portal.services.tokens import portal_token_create

WEBHOOK_SECRET = "whsec_test_0123456789"


@pytest.fixture(autouse=True)
def portal_urls(settings):
    settings.ROOT_URLCONF = "arrears.portal.tests.urls"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def unit(db):
    bu = BusinessUnit.objects.create(code="ACME-DE", name="Acme GmbH", home_currency="EUR", country="DE",
                                     timezone="Europe/Berlin")
    PaymentSettings.objects.create(
        business_unit=bu, account_holder="Acme GmbH", iban="DE89370400440532013000", bic="COBADEFFXXX",
        bank_name="Commerzbank", sepa_creditor_id="DE98ZZZ09999999999",
    )
    return bu


def _customer(unit, external_id, name, amounts):
    customer = CustomerFactory(business_unit=unit, external_id=external_id, name=name, country="DE",
                               jurisdiction="eu_b2b")
    ContactFactory(customer=customer, name=f"AP {name}", email=f"ap@{external_id.lower()}.example")
    day = today()
    docs = [
        DocumentFactory(customer=customer, external_id=f"{external_id}-INV-{i + 1}", amount=Decimal(a),
                        open_amount=Decimal(a), issue_date=day - dt.timedelta(days=60 - i),
                        due_date=day - dt.timedelta(days=30 - i))
        for i, a in enumerate(amounts)
    ]
    return customer, docs


@pytest.fixture
def alice(unit):
    return _customer(unit, "K-100", "Alpha Handel GmbH", ["1200.00", "300.00", "80.50"])


@pytest.fixture
def bob(unit):
    return _customer(unit, "K-200", "Beta Bau AG", ["999.00"])


def open_portal(customer, client: Client | None = None) -> Client:
    client = client or Client()
    _token, raw = portal_token_create(customer=customer)
    response = client.get(f"/portal/{raw}/")
    assert response.status_code == 302, response.status_code
    return client


@pytest.fixture
def alice_portal(alice):
    return open_portal(alice[0])


class FakeProvider:
    """A hosted-checkout provider on 127.0.0.1: POST /sessions answers a session id and a page URL."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                n = len(owner.requests)
                data = json.dumps({"id": f"cs_test_{n}", "url": f"{owner.url}/checkout/cs_test_{n}"}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(settings):
    fake = FakeProvider()
    settings.ARREARS_PAYMENT_PROVIDER = {"url": fake.url, "api_key": "sk_test", "webhook_secret": WEBHOOK_SECRET,
                                         "name": "hosted"}
    yield fake
    fake.close()


def signed_post(client: Client, payload: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None,
                header: str | None = None):
    body = json.dumps(payload).encode()
    ts = int(time.time()) if timestamp is None else timestamp
    sig = header if header is not None else webhook_signature_header(body=body, secret=secret, timestamp=ts)
    return client.post("/portal/webhooks/hosted/", data=body, content_type="application/json",
                       headers={"Arrears-Signature": sig})
