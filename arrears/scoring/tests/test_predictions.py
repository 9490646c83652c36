"""Training stores a model version with its card; the refresh writes one prediction per open document."""

from __future__ import annotations

import datetime as dt

import numpy as np

from arrears.ledger.models import Document, DocumentStatus
from arrears.scoring.models import ModelVersion, Prediction
from arrears.scoring.selectors import prediction_list_for_customer
from arrears.scoring.services import model_train, model_version_load, predictions_refresh


def test_train_stores_a_model_version_with_its_model_card(portfolio, small_params):
    version = model_train(cutoff=portfolio["as_of"], params=small_params)

    version.refresh_from_db()
    assert version.is_active
    assert version.trained_on == portfolio["as_of"]
    assert version.training_rows == version.card["training_rows"] > 0
    assert {"data_window", "features", "metrics", "created_on", "training_rows"} <= set(version.card)
    assert version.card["data_window"]["from"] == "2025-01-01"
    assert "hist_share_late" in version.features
    held_out = version.metrics["held_out"]
    assert held_out["test_rows"] > 0
    assert held_out["model"]["mae_days"] < held_out["baselines"]["due_date"]["mae_days"]
    assert "AUC" in version.card_text
    assert "Data window" in version.card_text
    assert model_version_load(version).feature_names == tuple(version.features)


def test_a_new_version_replaces_the_active_one(portfolio, small_params):
    first = model_train(cutoff=portfolio["as_of"], params=small_params, evaluate=False)
    second = model_train(cutoff=portfolio["as_of"], params=small_params, evaluate=False)

    assert list(ModelVersion.objects.filter(is_active=True)) == [second]
    first.refresh_from_db()
    assert not first.is_active


def test_refresh_writes_predictions_with_reasons_for_every_open_document(portfolio, small_params):
    model_train(cutoff=portfolio["as_of"], params=small_params, evaluate=False)
    as_of = portfolio["as_of"]

    result = predictions_refresh(as_of=as_of)

    open_docs = Document.objects.filter(status__in=[DocumentStatus.OPEN, DocumentStatus.PARTIALLY_PAID])
    assert result["predictions"] == open_docs.count() == Prediction.objects.count()
    for p in Prediction.objects.select_related("document"):
        assert p.low_date <= p.predicted_date <= p.high_date
        assert p.predicted_date >= as_of
        assert 1 >= p.p_late_0 >= p.p_late_30 >= p.p_late_60 >= 0
        assert len(p.reasons) == 3
        assert all(r["text"].endswith("risk of late payment).") for r in p.reasons)
        if (as_of - p.document.due_date).days > 30:
            assert p.p_late_30 == 1.0  # already more than 30 days late: certain
    late = np.mean([p.p_late_0 for c in portfolio["late"] for p in prediction_list_for_customer(customer_id=c)])
    prompt = np.mean([p.p_late_0 for c in portfolio["prompt"] for p in prediction_list_for_customer(customer_id=c)])
    assert late > prompt + 0.3
    texts = [r["text"] for c in portfolio["late"] for p in prediction_list_for_customer(customer_id=c) for r in p.reasons]
    assert any("late" in t and "invoices" in t for t in texts)


def test_refresh_twice_gives_the_same_rows(portfolio, small_params):
    model_train(cutoff=portfolio["as_of"], params=small_params, evaluate=False)
    predictions_refresh(as_of=portfolio["as_of"])
    first = sorted(Prediction.objects.values_list("document_id", "predicted_date", "p_late_0"))

    predictions_refresh(as_of=portfolio["as_of"])

    assert sorted(Prediction.objects.values_list("document_id", "predicted_date", "p_late_0")) == first


def test_refresh_without_a_model_trains_one_first(portfolio):
    result = predictions_refresh(as_of=portfolio["as_of"] + dt.timedelta(days=1))

    assert ModelVersion.objects.filter(pk=result["model_version"], is_active=True).exists()
    assert result["predictions"] > 0
