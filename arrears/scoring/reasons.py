"""Per-invoice reasons: the features that moved the "paid late" score most (SHAP values), and their words.

The nightly refresh stores only numbers per prediction: the top three factors as feature indexes
(into the model version's feature list), each with its value and effect, plus the two history counts
some sentences need (`top_factors`, vectorised over all rows). The sentence is written when a page
or the API shows the prediction (`factor_reasons`), not a million times a night.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

TOP_REASONS = 3


def _days(v: float) -> str:
    n = round(abs(v))
    return f"{n} day" if n == 1 else f"{n} days"


def _delay_words(v: float) -> str:
    if round(v) == 0:
        return "on the due date"
    return f"{_days(v)} {'after' if v > 0 else 'before'} the due date"


def _count(v: float, noun: str) -> str:
    n = round(v)
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


Row = Mapping[str, float]
SENTENCES: dict[str, Callable[[Row, Mapping[str, list[str]]], str]] = {
    "hist_count": lambda r, _: (
        "the customer has no settled invoices yet" if not r["hist_count"]
        else f"the customer has {_count(r['hist_count'], 'settled invoice')}"
    ),
    "hist_late_last10": lambda r, _: (
        f"the customer paid {round(r['hist_late_last10'])} of the last {round(r['hist_count_last10'])} invoices late"
    ),
    "hist_count_last10": lambda r, _: (
        f"the customer paid {round(r['hist_late_last10'])} of the last {round(r['hist_count_last10'])} invoices late"
    ),
    "hist_share_late": lambda r, _: (
        f"the customer paid {r['hist_share_late']:.0%} of {_count(r['hist_count'], 'settled invoice')} late"
    ),
    "hist_mean_delay": lambda r, _: f"the customer pays on average {_delay_words(r['hist_mean_delay'])}",
    "hist_median_delay": lambda r, _: (
        f"of the last {round(r['hist_count_last10'])} invoices the customer paid half within "
        f"{_delay_words(r['hist_median_delay'])}"
    ),
    "hist_mean_delay_last10": lambda r, _: (
        f"the last {_count(r['hist_count_last10'], 'invoice')} were paid on average "
        f"{_delay_words(r['hist_mean_delay_last10'])}"
    ),
    "hist_last_delay": lambda r, _: f"the last invoice was paid {_delay_words(r['hist_last_delay'])}",
    "hist_trend": lambda r, _: (
        f"the customer is paying {_days(r['hist_trend'])} {'later' if r['hist_trend'] > 0 else 'earlier'} "
        "than before (last 5 invoices against the earlier ones)"
    ),
    "hist_mean_days_to_pay": lambda r, _: (
        f"the customer takes on average {_days(r['hist_mean_days_to_pay'])} from invoice to payment"
    ),
    "hist_days_since_last": lambda r, _: f"the last payment was {_days(r['hist_days_since_last'])} ago",
    "amount_vs_history": lambda r, _: (
        f"the amount is {r['amount_vs_history']:.1f} times the customer's usual invoice"
    ),
    "hist_share_disputed": lambda r, _: (
        f"{r['hist_share_disputed']:.0%} of the customer's settled invoices were disputed"
    ),
    "open_count": lambda r, _: f"the customer has {_count(r['open_count'], 'other open invoice')}",
    "open_amount_log": lambda r, _: f"the customer owes {math.expm1(r['open_amount_log']):,.2f} on other invoices",
    "amount_log": lambda r, _: f"the invoice amount is {math.expm1(r['amount_log']):,.2f}",
    "terms_days": lambda r, _: f"the payment terms are {_days(r['terms_days'])}",
    "issue_month": lambda r, _: f"it was issued in {calendar.month_name[int(r['issue_month'])]}",
    "age_days": lambda r, _: f"the invoice is {_days(r['age_days'])} old",
    "days_past_due": lambda r, _: (
        "the invoice is not yet due" if not r["days_past_due"] else f"the invoice is {_days(r['days_past_due'])} overdue"
    ),
    "attr_paperless": lambda r, _: "the customer is billed electronically" if r["attr_paperless"] else "the customer is billed on paper",
    "promises_broken_total": lambda r, _: f"the customer has broken {_count(r['promises_broken_total'], 'promise')}",
    "promises_broken_90d": lambda r, _: (
        f"the customer broke {_count(r['promises_broken_90d'], 'promise')} in the last 90 days"
    ),
    "disputes_total": lambda r, _: f"the customer has opened {_count(r['disputes_total'], 'dispute')}",
    "disputes_90d": lambda r, _: f"the customer opened {_count(r['disputes_90d'], 'dispute')} in the last 90 days",
    "contacts_total": lambda r, _: f"the customer has been contacted {_count(r['contacts_total'], 'time')}",
    "contacts_90d": lambda r, _: f"the customer was contacted {_count(r['contacts_90d'], 'time')} in the last 90 days",
}
CATEGORY_WORDS = {"currency": "the currency is {}", "business_unit": "it was issued by business unit {}",
                  "country": "the customer's country is {}", "segment": "the customer's segment is {}"}


def reason_text(name: str, row: Row, vocabularies: Mapping[str, list[str]]) -> str:
    value = row[name]
    if name.startswith("cat_"):
        cat = name[4:]
        vocab = vocabularies.get(cat, [])
        label = vocab[int(value)] if 0 <= value < len(vocab) else "unknown"
        return CATEGORY_WORDS.get(cat, cat + " is {}").format(label)
    if isinstance(value, float) and math.isnan(value):
        if name.startswith("hist_") or name == "amount_vs_history":
            return "the customer has too little payment history for this measure"
        return f"{name} is not known"
    sentence = SENTENCES.get(name)
    if sentence is None:
        return f"{name.replace('_', ' ')} is {value:g}"
    return sentence(row, vocabularies)


CONTEXT = ("hist_count", "hist_count_last10")  # other values the sentences read besides the factor's own


def top_factors(contributions: np.ndarray, *, top: int = TOP_REASONS) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the ``top`` features with the largest absolute effect, largest first: (indexes, effects)."""
    m, f = contributions.shape
    k = min(top, f)
    if not m or not k:
        return np.zeros((m, k), dtype=np.int16), np.zeros((m, k))
    magnitude = np.abs(contributions)
    idx = np.argpartition(-magnitude, k - 1, axis=1)[:, :k] if k < f else np.tile(np.arange(f), (m, 1))
    order = np.argsort(-np.take_along_axis(magnitude, idx, axis=1), axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1)
    return idx.astype(np.int16), np.take_along_axis(contributions, idx, axis=1)


def factor_reason(
    name: str, value: float | None, effect: float, context: Mapping[str, float], vocabularies: Mapping[str, list[str]],
) -> dict[str, Any]:
    """One stored factor as the reason shown to people: feature, value, effect (log-odds) and a sentence."""
    v = math.nan if value is None else float(value)
    row = {**{c: float(context.get(c) or 0) for c in CONTEXT}, name: v}
    text = reason_text(name, row, vocabularies)
    direction = "raises" if effect > 0 else "lowers"
    return {
        "feature": name,
        "value": None if math.isnan(v) else round(v, 4),
        "effect": round(float(effect), 4),
        "text": f"{text[0].upper()}{text[1:]} ({direction} the risk of late payment).",
    }


def factor_reasons(
    features: Sequence[str],
    factors: Sequence[tuple[int | None, float | None, float | None]],
    context: Mapping[str, float],
    vocabularies: Mapping[str, list[str]],
) -> list[dict[str, Any]]:
    """The stored ``(feature index, value, effect)`` factors of one prediction, in words."""
    return [
        factor_reason(features[i], value, effect or 0.0, context, vocabularies)
        for i, value, effect in factors
        if i is not None and 0 <= i < len(features)
    ]


def reasons_for_rows(
    names: Sequence[str],
    values: np.ndarray,
    contributions: np.ndarray,
    vocabularies: Mapping[str, list[str]],
    *,
    top: int = TOP_REASONS,
) -> list[list[dict[str, Any]]]:
    """For each row, the ``top`` features with the largest effect on the late score, in words.

    A Python loop: for a few rows (a page, a test), not for the nightly refresh (see `top_factors`).
    """
    idx, effects = top_factors(contributions, top=top)
    out = []
    for i in range(len(values)):
        row = dict(zip(names, values[i].tolist(), strict=True))
        out.append([factor_reason(names[j], row[names[j]], float(e), row, vocabularies)
                    for j, e in zip(idx[i].tolist(), effects[i].tolist(), strict=True)])
    return out
