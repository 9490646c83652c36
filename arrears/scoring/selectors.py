"""Reads: the portfolio as feature columns, model versions, predictions, warnings, the cash forecast.

Scoring sits below promises, disputes and communications in the layer contract, so it never imports
them. Their facts arrive as event logs: read here with plain SQL when their tables exist (an
install without those apps simply has no such events), or passed in by the caller.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import QuerySet, Sum

from arrears.common.money import quantize
from arrears.compliance.models import ContactAttempt, Direction
from arrears.ledger.models import ZERO, Document, DocumentKind, DocumentStatus
from arrears.scoring.models import EarlyWarning, ModelKind, ModelVersion, Prediction
from arrears_engine.features import EventLog, PaymentHistory

DEBIT_KINDS = (DocumentKind.INVOICE, DocumentKind.DEBIT_NOTE)
OPEN_STATUSES = (DocumentStatus.OPEN, DocumentStatus.PARTIALLY_PAID)
CATEGORY_NAMES = ("currency", "business_unit", "country", "segment")
TRUTHY = {"true", "yes", "y", "1", "electronic", "paperless"}


@dataclass
class Portfolio:
    """Every debit document as columns, plus what the feature code does not need but the services do."""

    history: PaymentHistory
    document_id: np.ndarray
    currency: np.ndarray  # str per document
    business_unit: np.ndarray  # business unit code per document
    open_now: np.ndarray  # bool: open or partially paid in the ledger today
    vocabularies: dict[str, list[str]]
    events: dict[str, EventLog] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.document_id)

    def last_date(self) -> np.datetime64:
        dates = [self.history.issue_date, self.history.settled_date[~np.isnat(self.history.settled_date)]]
        return max(d.max() for d in dates if len(d)) if len(self) else np.datetime64("today", "D")


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUTHY if value is not None else False


def _table_exists(name: str) -> bool:
    return name in connection.introspection.table_names()


def _encode(values: list[str], vocabulary: list[str] | None) -> tuple[np.ndarray, list[str]]:
    vocab = vocabulary if vocabulary is not None else sorted({v for v in values if v})
    index = {v: i for i, v in enumerate(vocab)}
    return np.array([index.get(v, -1) for v in values], dtype=np.int64), vocab


def payment_portfolio_load(
    *,
    vocabularies: Mapping[str, list[str]] | None = None,
    attributes: Iterable[str] | None = None,
    outcome_flags: Iterable[str] | None = None,
    events: Mapping[str, EventLog] | None = None,
) -> Portfolio:
    """The ledger's debit documents as feature columns.

    ``vocabularies``/``attributes``/``outcome_flags`` fix the columns to those of a trained model
    (categories it never saw become -1, LightGBM's "missing"); without them every column the data
    has is used. ``events`` replaces the event logs read from the promise, dispute and contact tables.
    """
    rows = list(
        Document.objects.filter(kind__in=DEBIT_KINDS)
        .order_by("id")
        .values_list(
            "id", "customer_id", "issue_date", "due_date", "amount", "currency", "business_unit__code",
            "closed_date", "status", "attributes__disputed", "attributes__paperless_bill",
            "customer__country", "customer__attributes__country_code", "customer__segment",
        )
    )
    disputed_docs = _disputed_documents()
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 14
    doc_id = np.array(cols[0], dtype=np.int64)
    status = np.array(cols[8], dtype=object)
    closed = [d if s in (DocumentStatus.PAID, DocumentStatus.WRITTEN_OFF) else None for d, s in zip(cols[7], cols[8], strict=True)]
    raw_categories = {
        "currency": [str(c) for c in cols[5]],
        "business_unit": [str(c) for c in cols[6]],
        "country": [str(c or (cc if cc is not None else "")) for c, cc in zip(cols[11], cols[12], strict=True)],
        "segment": [str(s or "") for s in cols[13]],
    }
    categories: dict[str, np.ndarray] = {}
    vocab_out: dict[str, list[str]] = {}
    for name in CATEGORY_NAMES if vocabularies is None else vocabularies:
        codes, vocab = _encode(raw_categories[name], None if vocabularies is None else vocabularies[name])
        if vocabularies is None and len(vocab) < 2:
            continue  # one value everywhere: nothing to learn from
        categories[name], vocab_out[name] = codes, vocab
    paperless = np.array([_truthy(v) for v in cols[10]], dtype=np.float64)
    has_paperless = any(v is not None for v in cols[10])
    wanted_attrs = set(attributes) if attributes is not None else ({"paperless"} if has_paperless else set())
    attrs = {"paperless": paperless} if "paperless" in wanted_attrs else {}
    disputed = np.array([_truthy(v) or i in disputed_docs for i, v in zip(cols[0], cols[9], strict=True)], dtype=bool)
    wanted_flags = set(outcome_flags) if outcome_flags is not None else ({"disputed"} if disputed.any() else set())
    flags = {"disputed": disputed} if "disputed" in wanted_flags else {}
    history = PaymentHistory(
        customer=np.array(cols[1], dtype=np.int64),
        issue_date=np.array(cols[2], dtype="datetime64[D]") if n else np.array([], dtype="datetime64[D]"),
        due_date=np.array(cols[3], dtype="datetime64[D]") if n else np.array([], dtype="datetime64[D]"),
        amount=np.array([float(a) for a in cols[4]], dtype=np.float64),
        settled_date=np.array(closed, dtype="datetime64[D]") if n else np.array([], dtype="datetime64[D]"),
        categories=categories, attributes=attrs, outcome_flags=flags,
    )
    return Portfolio(
        history=history, document_id=doc_id,
        currency=np.array(raw_categories["currency"], dtype=object),
        business_unit=np.array(raw_categories["business_unit"], dtype=object),
        open_now=np.isin(status, OPEN_STATUSES) if n else np.zeros(0, dtype=bool),
        vocabularies=vocab_out if vocabularies is None else dict(vocabularies),
        events=dict(events) if events is not None else customer_event_logs_load(),
    )


def _disputed_documents() -> set[int]:
    if not _table_exists("disputes_disputeline"):
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT document_id FROM disputes_disputeline")
        return {row[0] for row in cursor.fetchall()}


def _sql_events(table: str, sql: str) -> EventLog | None:
    if not _table_exists(table):
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql)
        found = cursor.fetchall()
    if not found:
        return None
    return EventLog(customer=[r[0] for r in found], date=np.array([r[1] for r in found], dtype="datetime64[D]"))


def customer_event_logs_load() -> dict[str, EventLog]:
    """Broken promises, disputes opened and outbound contacts, when those records exist."""
    logs: dict[str, EventLog] = {}
    broken = _sql_events(
        "promises_promise",
        "SELECT customer_id, decided_on FROM promises_promise WHERE status = 'broken' AND decided_on IS NOT NULL",
    )
    if broken is not None:
        logs["promises_broken"] = broken
    opened = _sql_events("disputes_dispute", "SELECT customer_id, opened_on FROM disputes_dispute")
    if opened is not None:
        logs["disputes"] = opened
    contacts = list(
        ContactAttempt.objects.filter(direction=Direction.OUTBOUND).values_list("customer_id", "at")
    )
    if contacts:
        logs["contacts"] = EventLog(
            customer=[c for c, _ in contacts],
            date=np.array([at.date() for _, at in contacts], dtype="datetime64[D]"),
        )
    return logs


# --------------------------------------------------------------------------------- model versions


def model_version_active(*, kind: str = ModelKind.PAYMENT) -> ModelVersion | None:
    return ModelVersion.objects.filter(kind=kind, is_active=True).order_by("-created_at", "-id").first()


def model_version_list(*, kind: str = ModelKind.PAYMENT) -> QuerySet[ModelVersion]:
    return ModelVersion.objects.filter(kind=kind).defer("model").order_by("-created_at", "-id")


# ---------------------------------------------------------------------------------- predictions


def prediction_list_for_customer(*, customer_id: int) -> QuerySet[Prediction]:
    return (
        Prediction.objects.filter(document__customer_id=customer_id)
        .select_related("document", "model_version")
        .defer("model_version__model")  # the reasons need the version's feature names, not the model
        .order_by("predicted_date", "document_id")
    )


def prediction_get_for_document(*, document_id: int) -> Prediction | None:
    return (
        Prediction.objects.filter(document_id=document_id).select_related("model_version")
        .defer("model_version__model").first()
    )


# -------------------------------------------------------------------------------- early warnings


def early_warning_list(*, as_of: dt.date | None = None, min_severity: int = 1) -> QuerySet[EarlyWarning]:
    """Warnings of the latest computed day (or of ``as_of``), most severe first."""
    qs = EarlyWarning.objects.select_related("customer")
    if as_of is None:
        as_of = qs.order_by("-as_of").values_list("as_of", flat=True).first()
        if as_of is None:
            return qs.none()
    return qs.filter(as_of=as_of, severity__gte=min_severity).order_by("-severity", "customer__name", "code")


def early_warning_list_for_customer(*, customer_id: int, as_of: dt.date | None = None) -> QuerySet[EarlyWarning]:
    qs = EarlyWarning.objects.filter(customer_id=customer_id)
    if as_of is None:
        as_of = qs.order_by("-as_of").values_list("as_of", flat=True).first()
    return qs.filter(as_of=as_of).order_by("-severity", "code")


# --------------------------------------------------------------------------------- cash forecast


def week_start(as_of: dt.date, week: int) -> dt.date:
    return as_of + dt.timedelta(days=7 * week)


def forecast_buckets(
    items: Iterable[tuple[str, str, dt.date, Decimal]], *, as_of: dt.date, weeks: int = 13,
) -> list[dict[str, Any]]:
    """Sum ``(currency, business unit, expected date, amount)`` into weeks starting on ``as_of``.

    Week ``i`` covers ``[as_of + 7i, as_of + 7i + 7)``; a date before ``as_of`` counts in week 0 (it
    is due now), a date after the horizon in ``later``. Amounts stay Decimal, so the weeks plus
    ``later`` add up to the open amounts exactly.
    """
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO] * (weeks + 1))
    for currency, unit, when, amount in items:
        week = max((when - as_of).days, 0) // 7
        sums[(currency, unit)][min(week, weeks)] += amount
    out = []
    for (currency, unit), sums_row in sorted(sums.items()):
        # SQLite hands back sums with spare digits: show each at the currency's exponent (exact sums)
        row = [quantize(x, currency) for x in sums_row]
        out.append({
            "currency": currency, "business_unit": unit,
            "weeks": [{"week": i, "start": week_start(as_of, i), "amount": row[i]} for i in range(weeks)],
            "later": row[weeks], "total": sum(row, ZERO),
        })
    return out


def cash_forecast(*, as_of: dt.date, weeks: int = 13) -> list[dict[str, Any]]:
    """Expected collections per week, currency and business unit, from the stored predictions."""
    grouped = (
        Prediction.objects.filter(document__status__in=OPEN_STATUSES)
        .values("document__currency", "document__business_unit__code", "predicted_date")
        .annotate(amount=Sum("document__open_amount"))
        .order_by()
    )
    return forecast_buckets(
        ((g["document__currency"], g["document__business_unit__code"], g["predicted_date"], g["amount"] or ZERO)
         for g in grouped),
        as_of=as_of, weeks=weeks,
    )
