import datetime as dt
import re

import pytest
import time_machine

from arrears.audit.context import acting_as
from arrears.audit.services import audit_record
from arrears.ledger.services import customer_update
from arrears.web.tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(portfolio):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False), acting_as(portfolio["ann"]):
        customer_update(customer=portfolio["ann_c"], segment="key-account")
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC), tick=False), acting_as(portfolio["bob"]):
        customer_update(customer=portfolio["bob_c"], paused=True)
        audit_record(action="import", object_type="imports.batch", object_id="7", note="42 rows")
    return portfolio


def rows(response) -> list[str]:
    return re.findall(r'<span class="badge action-[^"]+">([^<]+)</span>', response.content.decode())


@pytest.mark.parametrize(("who", "status"), [("ann", 403), ("lead", 403), ("head", 200), ("auditor", 200), ("admin", 200)])
def test_only_audit_readers_open_the_audit_page(client, people, who, status):
    login(client, people[who])
    assert client.get("/audit/").status_code == status


def test_events_show_before_and_after_of_changed_fields(client, trail):
    login(client, trail["auditor"])
    html = re.sub(r"\s+", " ", client.get("/audit/").content.decode())
    assert 'segment</dt><dd><span class="before">enterprise</span> → <span class="after">key-account</span>' in html
    assert 'paused</dt><dd><span class="before">False</span> → <span class="after">True</span>' in html
    assert rows(client.get("/audit/")) == ["import", "update", "update"]  # newest first


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action": "import"}, ["import"]),
        ({"object_type": "ledger.customer"}, ["update", "update"]),
        ({"actor": "ANN"}, ["update"]),
        ({"date_from": "2026-03-05"}, ["import", "update"]),
        ({"date_to": "2026-03-01"}, ["update"]),
        ({"date_from": "2026-03-02", "date_to": "2026-03-09"}, []),
    ],
)
def test_filters(client, trail, params, expected):
    login(client, trail["head"])
    assert rows(client.get("/audit/", params)) == expected


def test_audit_page_pages_without_counting(client, people, django_assert_max_num_queries):
    for i in range(55):
        audit_record(action="update", object_type="x", object_id=str(i))
    login(client, people["auditor"])
    with django_assert_max_num_queries(3):
        first = client.get("/audit/", headers={"HX-Request": "true"})
    assert len(rows(first)) == 50
    assert 'rel="next"' in first.content.decode()
    assert len(rows(client.get("/audit/", {"page": 2}))) == 5
