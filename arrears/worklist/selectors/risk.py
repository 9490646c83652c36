"""Expected value of working an account: amount at risk × probability it is not paid without action × age weight.

All of it is computed for many customers at once (the morning build covers whole portfolios): three
grouped queries read plain columns (no model instances, no per-row Decimal conversion), and numpy
computes the figures over them in exact integer units (money in thousandths, probabilities in
ten-thousandths, age weights in thousandths), with the same half-up rounding as the Decimal rules:

- **Amount at risk**: the overdue open amount of debit documents, plus a quarter of what is open and
  not yet due, converted to the reporting currency at the latest `FxRate` on or before `as_of`.
- **Probability**: from the scoring app's predictions when the account's open documents have them
  (their open-amount-weighted `p_late_30`: paid more than 30 days late or not at all). Otherwise a
  heuristic: 15 % base, plus up to 50 % as the oldest overdue item ages to 120 days, plus up to 30 %
  for the share of the customer's invoices settled in the last 365 days that were paid late (a
  customer with no history counts as half late); clamped to 5-95 %.
- **Age weight**: 1 + (days past due of the oldest overdue item, capped at 180) / 90, so 1.0 to 3.0.

`account_risk_columns` gives the columns (what the build uses); `account_risk_for_customers` gives
one `AccountRisk` per customer with Decimal figures (what a page shows for one account).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

import numpy as np
from babel.numbers import format_currency
from django.apps import apps
from django.db import connection

from arrears.common.money import currency_exponent, quantize
from arrears.ledger.models import ZERO, Document, DocumentKind, DocumentStatus, FxRate
from arrears.worklist import conf

NOT_DUE_SHARE = Decimal("0.25")
BASE = Decimal("0.15")
AGE_PART = Decimal("0.50")
HISTORY_PART = Decimal("0.30")
P_MIN, P_MAX = Decimal("0.05"), Decimal("0.95")
AGE_CAP_P = 120
AGE_CAP_W = 180
AGE_W_DAYS = 90
FOUR = Decimal("0.0001")

MILLI = 3  # the ledger's amounts have three decimal places (ledger.models.MONEY): read as integer thousandths
P_DIGITS, W_DIGITS = 4, 3  # probability in ten-thousandths, age weight in thousandths
# Above this amount at risk (in minor units) amount × probability × weight could pass 2**63: use Python ints.
INT64_SAFE_AMOUNT = 2**63 // (10**P_DIGITS * 3 * 10**W_DIGITS) - 1


@cache
def _symbol(currency: str) -> str:
    """The English symbol, with babel's no-break space after a letter code: "€", "$", "BHD\xa0"."""
    return format_currency(Decimal(0), currency, locale="en", currency_digits=True).split("0")[0]


def money_text(amount: Decimal, currency: str) -> str:
    """"€12,400.00", "¥3,000", "BHD 1.250": the currency's symbol and minor unit (English locale, as babel
    formats it; the symbol is looked up once per currency, the build formats thousands of amounts)."""
    value = quantize(amount, currency)
    sign = "-" if value < 0 else ""
    return f"{sign}{_symbol(currency)}{abs(value):,}"


@cache
def _milli_format(currency: str) -> tuple[str, int, int]:
    """(symbol, minor-unit exponent, thousandths per minor unit or 0 when the unit is finer)."""
    exp = currency_exponent(currency)
    return _symbol(currency), exp, 10 ** (MILLI - exp) if exp <= MILLI else 0


def money_text_milli(milli: int, currency: str) -> str:
    """`money_text` of an amount given in integer thousandths (what the build reads), without Decimals."""
    symbol, exp, step = _milli_format(currency)
    units = (abs(milli) + step // 2) // step if step else abs(milli) * 10 ** (exp - MILLI)  # half-up, like quantize
    sign = "-" if milli < 0 and units else ""
    if not exp:
        return f"{sign}{symbol}{units:,}"
    whole, frac = divmod(units, 10**exp)
    return f"{sign}{symbol}{whole:,}.{frac:0{exp}d}"


@dataclass
class AccountRisk:
    customer_id: int
    currency: str  # the reporting currency
    overdue: dict[str, Decimal] = field(default_factory=dict)  # per document currency
    not_due: dict[str, Decimal] = field(default_factory=dict)
    days_past_due: int = 0
    amount_at_risk: Decimal = ZERO
    probability: Decimal = Decimal("0.5")
    probability_source: str = "heuristic"
    age_weight: Decimal = Decimal(1)
    score: Decimal = ZERO
    settled: int = 0
    settled_late: int = 0
    unconverted: list[str] = field(default_factory=list)
    risk_text: str = "nothing open"
    likelihood_text: str = ""


def fx_rates_to(*, target: str, currencies: Iterable[str], on: dt.date) -> dict[str, Decimal]:
    """1 unit of each currency in `target`: the latest rate on or before `on`, direct, inverse or across
    a third currency. Currencies without any route are left out."""
    wanted = {c for c in currencies if c != target}
    rates: dict[str, Decimal] = {target: Decimal(1)}
    if not wanted:
        return rates
    latest: dict[tuple[str, str], Decimal] = {}
    for cur, quote, rate in (
        FxRate.objects.filter(date__lte=on).order_by("currency", "quote_currency", "-date")
        .values_list("currency", "quote_currency", "rate")
    ):
        latest.setdefault((cur, quote), rate)
    for cur in wanted:
        if (cur, target) in latest:
            rates[cur] = latest[(cur, target)]
        elif (target, cur) in latest:
            rates[cur] = Decimal(1) / latest[(target, cur)]
        else:  # across a common quote currency (usually the reporting currency)
            for (a, q), r in latest.items():
                if a == cur and (target, q) in latest:
                    rates[cur] = r / latest[(target, q)]
                    break
    return rates


# --- the rules, for one account (used once per distinct input, then looked up) ----------------------


@cache
def _heuristic_p(days: int, settled: int, late: int) -> int:
    """The heuristic probability in ten-thousandths, computed with the Decimal rule."""
    late_share = Decimal(late) / Decimal(settled) if settled else Decimal("0.5")
    p = BASE + AGE_PART * Decimal(min(days, AGE_CAP_P)) / AGE_CAP_P + HISTORY_PART * late_share
    return int(min(max(p, P_MIN), P_MAX).quantize(FOUR, rounding=ROUND_HALF_UP).scaleb(P_DIGITS))


@cache
def _age_weights() -> np.ndarray:
    """Age weight in thousandths for 0 ... AGE_CAP_W days past due."""
    return np.array([
        int((1 + Decimal(d) / AGE_W_DAYS).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP).scaleb(W_DIGITS))
        for d in range(AGE_CAP_W + 1)
    ], dtype=np.int64)


def _model_p(rows: Iterable[tuple[str, int, float]], rates: dict[str, Decimal]) -> int:
    """The open-amount-weighted p_late_30 of one account's predicted documents, with the Decimal rule."""
    num = den = ZERO
    for currency, milli, p in rows:
        value = Decimal(milli).scaleb(-MILLI) * rates.get(currency, Decimal(1))
        num += value * Decimal(str(p))
        den += value
    return int((num / den).quantize(FOUR, rounding=ROUND_HALF_UP).scaleb(P_DIGITS))


@cache
def _likelihood_text(p: int, model: bool, settled: int, late: int) -> str:
    pct = (p + 50) // 100  # ten-thousandths to whole per cent, half-up
    if model:
        return f"{pct}% likely to pay > 30 days late"
    history = f"{late} of {settled} invoices paid late" if settled else "no payment history"
    return f"{pct}% estimated risk it stays unpaid without action ({history})"


# --- reading ----------------------------------------------------------------------------------------


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _col(model: Any, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def ids_condition(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    """`column IN ids` as one parameter, however many ids (a JSON array on SQLite, an array on PostgreSQL)."""
    if connection.vendor == "postgresql":  # an array literal: psycopg would adapt a list element by element
        return f"{column} = ANY(CAST(%s AS bigint[]))", ["{" + ",".join(map(str, ids)) + "}"]
    if connection.vendor == "sqlite":
        return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _milli_sql(column: str) -> str:
    """An amount column as integer thousandths (exact: SQLite keeps decimals as floats, hence the ROUND)."""
    return f"CAST(ROUND({column} * {10**MILLI}) AS BIGINT)"


# --- the columns ------------------------------------------------------------------------------------


@dataclass
class RiskColumns:
    """The expected value of many accounts, one array element per customer (sorted by id)."""

    as_of: dt.date
    currency: str  # the reporting currency
    exponent: int  # its minor unit: amount_at_risk and score are integers in 10**-exponent
    customer_ids: np.ndarray
    amount_at_risk: np.ndarray
    days_past_due: np.ndarray
    probability: np.ndarray  # ten-thousandths
    from_model: np.ndarray  # bool: the probability comes from scoring predictions
    age_weight: np.ndarray  # thousandths
    score: np.ndarray
    has_overdue: np.ndarray  # bool: something is overdue (in any currency)
    settled: np.ndarray
    settled_late: np.ndarray
    risk_text: list[str]
    likelihood_text: list[str]
    unconverted: dict[int, list[str]]  # account index -> currencies counted 1:1 for want of a rate
    # (customer, currency) rows behind the amounts: customer index, currency, overdue and not due (thousandths)
    balance_rows: tuple[np.ndarray, list[str], np.ndarray, np.ndarray]

    def index(self) -> dict[int, int]:
        return {pk: i for i, pk in enumerate(self.customer_ids.tolist())}

    def account(self, i: int) -> AccountRisk:
        """One account's figures as Decimals."""
        pos, currencies, overdue, not_due = self.balance_rows
        rows = np.nonzero(pos == i)[0].tolist()
        return AccountRisk(
            customer_id=int(self.customer_ids[i]), currency=self.currency,
            overdue={currencies[r]: Decimal(int(overdue[r])).scaleb(-MILLI) for r in rows},
            not_due={currencies[r]: Decimal(int(not_due[r])).scaleb(-MILLI) for r in rows},
            days_past_due=int(self.days_past_due[i]),
            amount_at_risk=Decimal(int(self.amount_at_risk[i])).scaleb(-self.exponent),
            probability=Decimal(int(self.probability[i])).scaleb(-P_DIGITS),
            probability_source="model" if self.from_model[i] else "heuristic",
            age_weight=Decimal(int(self.age_weight[i])).scaleb(-W_DIGITS),
            score=Decimal(int(self.score[i])).scaleb(-self.exponent),
            settled=int(self.settled[i]), settled_late=int(self.settled_late[i]),
            unconverted=list(self.unconverted.get(i, [])),
            risk_text=self.risk_text[i], likelihood_text=self.likelihood_text[i],
        )


def _round_half_up(values: np.ndarray, step: int) -> np.ndarray:
    """Non-negative integers divided by `step`, rounded half-up."""
    return (values + step // 2) // step


def account_risk_columns(*, customer_ids: Iterable[int], as_of: dt.date) -> RiskColumns:
    """The expected value of each of these customers' accounts on `as_of` (see the module's docstring)."""
    ids = np.array(sorted(set(customer_ids)), dtype=np.int64)
    n = len(ids)
    target = conf.reporting_currency()
    exp = currency_exponent(target)
    D = Document
    in_ids, id_params = ids_condition(_col(D, "customer"), ids.tolist())

    def debit(alias: str = "") -> str:
        return f"{alias}{_col(D, 'open_amount')} > 0 AND {alias}{_col(D, 'kind')} <> %s AND {alias}{in_ids}"

    due, amount = _col(D, "due_date"), _milli_sql(_col(D, "open_amount"))
    rows = [] if not n else _fetch(
        f"SELECT {_col(D, 'customer')}, {_col(D, 'currency')},"
        f" CAST(SUM(CASE WHEN {due} < %s THEN {amount} ELSE 0 END) AS BIGINT),"
        f" CAST(SUM(CASE WHEN {due} < %s THEN 0 ELSE {amount} END) AS BIGINT),"
        f" MIN(CASE WHEN {due} < %s THEN {due} END)"
        f" FROM {_table(D)} WHERE {debit()}"
        f" GROUP BY {_col(D, 'customer')}, {_col(D, 'currency')} ORDER BY {_col(D, 'customer')}, {_col(D, 'currency')}",
        [as_of, as_of, as_of, DocumentKind.CREDIT_NOTE, *id_params],
    )
    cust = np.array([r[0] for r in rows], dtype=np.int64)
    currencies = [r[1] for r in rows]
    overdue = np.array([r[2] or 0 for r in rows], dtype=np.int64)
    not_due = np.array([r[3] or 0 for r in rows], dtype=np.int64)
    oldest = np.array([r[4] for r in rows], dtype="datetime64[D]")  # ISO text (SQLite) or dates; None is NaT
    row_days = np.where(np.isnat(oldest), 0, (np.datetime64(as_of, "D") - oldest).astype(np.int64))
    pos = np.searchsorted(ids, cust)
    rates = fx_rates_to(target=target, currencies=set(currencies), on=as_of)

    days = np.zeros(n, dtype=np.int64)
    np.maximum.at(days, pos, row_days)
    has_overdue = np.zeros(n, dtype=bool)
    has_overdue[pos[overdue > 0]] = True

    # Amount at risk, first in hundred-thousandths of each document's currency (overdue + a quarter of
    # not due, exactly), summed per account where it is the reporting currency; other currencies are
    # converted with the Decimal rates, only for the accounts that have them.
    # (The ledger's amounts fit 64 bits in thousandths up to 9 × 10**15 per customer and currency; beyond
    # 9 × 10**13 the hundred-thousandths below are Python integers.)
    wide = bool(n) and max(int(overdue.max(initial=0)), int(not_due.max(initial=0))) > 2**63 // 1000
    kind = object if wide else np.int64
    at_risk_e5 = overdue.astype(kind) * 100 + not_due.astype(kind) * 25
    home = np.array([c == target for c in currencies], dtype=bool)
    total = np.zeros(n, dtype=kind)
    np.add.at(total, pos[home], at_risk_e5[home])
    amount_at_risk = _round_half_up(total, 10 ** (MILLI + 2 - exp)) if exp <= MILLI + 2 else total * 10 ** (exp - MILLI - 2)
    unconverted: dict[int, list[str]] = {}
    foreign: dict[int, Decimal] = {}
    for r in np.nonzero(~home)[0].tolist():
        i, cur = int(pos[r]), currencies[r]
        rate = rates.get(cur)
        if rate is None:
            unconverted.setdefault(i, []).append(cur)
            rate = Decimal(1)
        foreign[i] = foreign.get(i, ZERO) + Decimal(int(at_risk_e5[r])).scaleb(-MILLI - 2) * rate
    if foreign:
        amount_at_risk = amount_at_risk.astype(object)
        for i, extra in foreign.items():
            value = quantize(Decimal(int(total[i])).scaleb(-MILLI - 2) + extra, target)
            amount_at_risk[i] = int(value.scaleb(exp))
        if max(amount_at_risk.tolist()) <= INT64_SAFE_AMOUNT:
            amount_at_risk = amount_at_risk.astype(np.int64)
    for curs in unconverted.values():
        curs.sort()

    # Payment history of the last 365 days.
    settled = np.zeros(n, dtype=np.int64)
    settled_late = np.zeros(n, dtype=np.int64)
    history = [] if not n else _fetch(
        f"SELECT {_col(D, 'customer')}, COUNT(*),"
        f" CAST(SUM(CASE WHEN {_col(D, 'closed_date')} > {due} THEN 1 ELSE 0 END) AS BIGINT)"
        f" FROM {_table(D)} WHERE {_col(D, 'kind')} = %s AND {_col(D, 'status')} = %s"
        f" AND {_col(D, 'closed_date')} >= %s AND {_col(D, 'closed_date')} <= %s AND {in_ids}"
        f" GROUP BY {_col(D, 'customer')}",
        [DocumentKind.INVOICE, DocumentStatus.PAID, as_of - dt.timedelta(days=365), as_of, *id_params],
    )
    if history:
        hpos = np.searchsorted(ids, np.array([h[0] for h in history], dtype=np.int64))
        settled[hpos] = [h[1] for h in history]
        settled_late[hpos] = [h[2] or 0 for h in history]

    # Probability: the heuristic for every distinct (days, history), then the model where there is one.
    capped = np.minimum(days, AGE_CAP_P)
    probability = np.zeros(n, dtype=np.int64)
    if n:
        span = int(settled.max()) + 1  # settled_late <= settled
        keys, inverse = np.unique((capped * span + settled) * span + settled_late, return_inverse=True)
        probability = np.array(
            [_heuristic_p(k // (span * span), k // span % span, k % span) for k in keys.tolist()], dtype=np.int64
        )[inverse.reshape(-1)]
    from_model = np.zeros(n, dtype=bool)
    if n and apps.is_installed("arrears.scoring"):
        prediction = apps.get_model("scoring", "Prediction")
        predicted = _fetch(
            f"SELECT d.{_col(D, 'customer')}, d.{_col(D, 'currency')}, {_milli_sql('d.' + _col(D, 'open_amount'))},"
            f" p.{_col(prediction, 'p_late_30')}"
            f" FROM {_table(D)} d JOIN {_table(prediction)} p ON p.{_col(prediction, 'document')} = d.{_col(D, 'id')}"
            f" WHERE {debit('d.')}",
            [DocumentKind.CREDIT_NOTE, *id_params],
        )
        if predicted:
            _apply_model(ids, predicted, rates, probability, from_model)

    weight = _age_weights()[np.minimum(days, AGE_CAP_W)]
    amount = np.asarray(amount_at_risk)
    big = amount.dtype == object or (bool(n) and int(amount.max()) > INT64_SAFE_AMOUNT)
    if big:
        amount = amount.astype(object)
    score = _round_half_up(amount * probability.astype(amount.dtype) * weight.astype(amount.dtype), 10 ** (P_DIGITS + W_DIGITS))

    risk_text = _risk_texts(ids, pos, currencies, overdue, not_due, days, target, unconverted)
    likelihood_text = [
        _likelihood_text(p, m, s, late)
        for p, m, s, late in zip(probability.tolist(), from_model.tolist(), settled.tolist(), settled_late.tolist(), strict=True)
    ]
    return RiskColumns(
        as_of=as_of, currency=target, exponent=exp, customer_ids=ids, amount_at_risk=amount, days_past_due=days,
        probability=probability, from_model=from_model, age_weight=weight, score=score, has_overdue=has_overdue,
        settled=settled, settled_late=settled_late, risk_text=risk_text, likelihood_text=likelihood_text,
        unconverted=unconverted, balance_rows=(pos, currencies, overdue, not_due),
    )


def _apply_model(ids: np.ndarray, predicted: list[tuple[Any, ...]], rates: dict[str, Decimal], probability: np.ndarray,
                 from_model: np.ndarray) -> None:
    """Open-amount-weighted p_late_30 per account, in floats; an account whose result lies within a hair
    of a rounding boundary is computed again with Decimals, so it rounds exactly as the Decimal rule."""
    pos = np.searchsorted(ids, np.array([r[0] for r in predicted], dtype=np.int64))
    float_rates = {c: float(r) for c, r in rates.items()}
    value = np.array([r[2] * float_rates.get(r[1], 1.0) for r in predicted], dtype=np.float64)
    p = np.array([r[3] for r in predicted], dtype=np.float64)
    num = np.bincount(pos, weights=value * p, minlength=len(ids))
    den = np.bincount(pos, weights=value, minlength=len(ids))
    has = den > 0
    x = np.zeros(len(ids))
    x[has] = num[has] / den[has] * 10**P_DIGITS
    probability[has] = np.floor(x[has] + 0.5).astype(np.int64)
    from_model[has] = True
    near = np.nonzero(has & (np.abs(x - np.floor(x) - 0.5) < 1e-6))[0]
    for i in near.tolist():
        probability[i] = _model_p(((r[1], r[2], r[3]) for r, at in zip(predicted, pos.tolist(), strict=True) if at == i), rates)


def _risk_texts(ids: np.ndarray, pos: np.ndarray, currencies: list[str], overdue: np.ndarray, not_due: np.ndarray,
                days: np.ndarray, target: str, unconverted: dict[int, list[str]]) -> list[str]:
    """"€12,400.00 overdue 45 days", "€300.00 open, nothing overdue", "nothing open" (+ missing FX rates)."""
    starts = np.searchsorted(pos, np.arange(len(ids)), side="left").tolist()
    ends = np.searchsorted(pos, np.arange(len(ids)), side="right").tolist()
    od, nd, dpd = overdue.tolist(), not_due.tolist(), days.tolist()
    texts: list[str] = []
    formats = {c: _milli_format(c) for c in set(currencies)}
    for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
        if e - s == 1:  # one currency: the usual case, formatted here as money_text_milli would
            milli = od[s] if od[s] > 0 else nd[s]
            symbol, exp, step = formats[currencies[s]]
            if milli <= 0:
                text = "nothing open"
            elif step:
                units = (milli + step // 2) // step
                amount = f"{symbol}{units // 10**exp:,}.{units % 10**exp:0{exp}d}" if exp else f"{symbol}{units:,}"
                text = f"{amount} overdue {dpd[i]} days" if od[s] > 0 else f"{amount} open, nothing overdue"
            else:
                amount = money_text_milli(milli, currencies[s])
                text = f"{amount} overdue {dpd[i]} days" if od[s] > 0 else f"{amount} open, nothing overdue"
        else:
            owed = sorted(((od[r], currencies[r]) for r in range(s, e) if od[r] > 0), key=lambda kv: -kv[0])
            if owed:
                text = " + ".join(money_text_milli(a, c) for a, c in owed) + f" overdue {dpd[i]} days"
            else:
                open_ = sorted((currencies[r], nd[r]) for r in range(s, e) if nd[r] > 0)
                text = " + ".join(money_text_milli(a, c) for c, a in open_) + " open, nothing overdue" if open_ else "nothing open"
        if i in unconverted:
            text += f" (no FX rate to {target} for {', '.join(unconverted[i])}: counted 1:1)"
        texts.append(text)
    return texts


def account_risk_for_customers(*, customer_ids: Iterable[int], as_of: dt.date) -> dict[int, AccountRisk]:
    """One `AccountRisk` (Decimal figures and the texts) per customer: for a page showing a few accounts."""
    columns = account_risk_columns(customer_ids=customer_ids, as_of=as_of)
    return {int(pk): columns.account(i) for i, pk in enumerate(columns.customer_ids.tolist())}
