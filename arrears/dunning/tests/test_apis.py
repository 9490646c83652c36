from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from arrears.dunning.services.nightly_run import dunning_run
from arrears.dunning.tests.conftest import day

pytestmark = pytest.mark.urls("arrears.dunning.tests.urls")


@pytest.fixture
def client_for(make_user):
    def make(role: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(make_user(f"u-{role}", role=role))
        return client

    return make


def test_the_head_of_collections_reads_runs_and_previews_tomorrow(client_for, make_customer, make_invoice):
    make_invoice(make_customer())
    run, _ = dunning_run(as_of=day(7))
    head = client_for("head")
    listing = head.get("/api/dunning/runs/")
    assert listing.status_code == 200
    assert [r["id"] for r in listing.json()["results"]] == [run.pk]
    detail = head.get(f"/api/dunning/runs/{run.pk}/").json()
    assert detail["counts"]["channel"] == {"email": 1}
    preview = head.get("/api/dunning/preview/", {"as_of": day(21).isoformat()})
    assert preview.status_code == 200
    assert preview.json()["dry_run"] is True
    assert head.get("/api/dunning/preview/", {"as_of": "tomorrow"}).status_code == 400


def test_a_collector_may_not_read_the_portfolio_wide_runs(client_for):
    assert client_for("collector").get("/api/dunning/runs/").status_code == 403
