"""The nightly run: the only module that uses both the ORM and ``arrears_engine``.

    run = dunning_run(as_of=date(2026, 3, 2))          # load -> engine -> gate -> write, then dispatch
    preview = run_preview(as_of=date(2026, 3, 3))      # the same decisions, nothing written
    diff = strategy_diff(version_a=v1, version_b=v2, as_of=date(2026, 3, 3))

Phases per customer partition (``customer_id % partitions``): **load** (columns straight from SQL
into numpy: open debit documents with their dunning state, customers, payments received as events,
plus what the hooks in ``arrears.dunning.hooks`` add), **engine** (``assign_strategies`` +
``plan_dunning_run``), **gate** (``services.gate``: every planned contact), **write** (batches of
customers, one transaction each: actions, per-document items and states; unique keys make every
insert ON CONFLICT DO NOTHING). Then the run record is reduced from the stored actions, an alert is
raised when the volume is unusual, and ``dispatch_actions`` hands the actions on.

Exactly once: the run row is unique per ``as_of``; a completed run is not repeated; a failed run is
resumed (committed batches advanced their documents' ``last_sent`` to ``as_of``, so the engine plans
nothing for them again, and the unique keys stop anything that slips through).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import json
import logging
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import holidays.countries  # noqa: F401  (its ~280 country modules load on first use: at import, not in the run)
import numpy as np
import polars as pl
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils.module_loading import import_string

from arrears.common.clock import now
from arrears.common.money import currency_exponent
from arrears.dunning import hooks
from arrears.dunning.errors import DunningError, DunningErrorCode
from arrears.dunning.models import (
    ActionKind,
    ActionStatus,
    DunningAction,
    DunningRun,
    GateResult,
    RunStatus,
    SegmentRule,
    Strategy,
    StrategyVersion,
)
from arrears.dunning.services import bulk
from arrears.dunning.services.gate import GateRows, gate_messages
from arrears.dunning.services.strategies import strategy_versions_freeze
from arrears_engine import (
    BusinessDayRule,
    Channel,
    CustomerAttributes,
    Customers,
    DunningPlan,
    DunningPolicy,
    EventKind,
    Events,
    MessageKind,
    OpenItems,
    Reason,
    Step,
    Trigger,
    assign_strategies,
    holiday_calendar,
    plan_dunning_run,
)
from arrears_engine import SegmentRule as EngineRule
from arrears_engine import Strategy as EngineStrategy
from arrears_engine.business_days import WEEKENDS_ONLY, BusinessCalendar

log = logging.getLogger("arrears.dunning")

EPOCH = dt.date(1970, 1, 1)
NAT = np.datetime64("NaT", "D")
EVENT_LOOKBACK_DAYS = 120  # payments older than this no longer trigger event steps or thanks
ALERT_HISTORY = 10  # compare with the median of this many previous completed runs
ALERT_MIN_MEDIAN = 20
ALERT_MIN_HISTORY = 3  # fewer previous runs than this: no "usual" yet
ALERT_FACTOR = 3
_TRIGGER = {"days_from_due": Trigger.DAYS_FROM_DUE, "days_since_previous": Trigger.DAYS_AFTER_PREVIOUS,
            "event": Trigger.EVENT}
_EVENT_NAMES = {k.name.lower(): k for k in EventKind}

# Tests set this to a callable(batch_number) that raises, to simulate a run dying between batches.
_after_batch: Callable[[int], None] | None = None


# ---------------------------------------------------------------------------------------------------
# Policy: strategy versions, calendars and segment rules as the engine's tables
# ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class PolicyTables:
    versions: list[StrategyVersion]  # engine strategy index -> version
    strategy_index: dict[int, int]  # Strategy pk -> engine index
    step_ids: np.ndarray  # (S, K) int64 Step pk, -1 where none
    step_keys: dict[int, str]  # Step pk -> key
    templates: dict[int, str]  # Step pk -> template key
    policy: DunningPolicy
    unit_index: dict[int, int]  # BusinessUnit pk -> calendar index
    unit_currency: dict[int, str]
    unit_code: dict[int, str]
    rules: list[SegmentRule]
    default: int


def current_versions() -> list[StrategyVersion]:
    """The highest version of every strategy."""
    out = []
    for strategy in Strategy.objects.order_by("name", "id"):
        version = strategy.versions.order_by("-number").first()
        if version is not None:
            out.append(version)
    return out


@functools.lru_cache(maxsize=64)
def _calendar(country: str, subdivision: str, first_year: int) -> BusinessCalendar:
    try:
        return holiday_calendar(country, subdivision or None, range(first_year, first_year + 4))
    except Exception:
        log.warning("no holiday calendar for %s-%s: weekends only", country, subdivision)
        return WEEKENDS_ONLY


def policy_load(*, as_of: dt.date, versions: Sequence[StrategyVersion] | None = None) -> PolicyTables:
    versions = list(versions) if versions is not None else current_versions()
    strategies = []
    step_keys: dict[int, str] = {}
    templates: dict[int, str] = {}
    width = 1
    ladders = []
    for version in versions:
        exponent = currency_exponent(version.amount_currency)
        steps = []
        rows = list(version.steps.order_by("position"))
        for s in rows:
            step_keys[s.pk] = s.key
            templates[s.pk] = s.template_key
            steps.append(Step(
                trigger=_TRIGGER[s.trigger],
                offset_days=s.offset_days,
                channel=Channel[s.channel.upper()],
                min_amount_minor=int((s.min_amount.scaleb(exponent)).to_integral_value(rounding=ROUND_HALF_UP)),
                business_days=BusinessDayRule[s.business_days.upper()],
                allow_skip=s.allow_skip,
                event=_EVENT_NAMES[s.event] if s.event else None,
                key=s.pk,
                template=s.template_key,
            ))
        ladders.append([s.pk for s in rows])
        width = max(width, len(rows))
        strategies.append(EngineStrategy(
            name=str(version), steps=tuple(steps), key=version.pk, thank_you=version.thank_you,
            thank_you_channel=Channel[version.thank_you_channel.upper()],
            thank_you_within_days=version.thank_you_within_days,
        ))
    step_ids = np.full((max(len(versions), 1), width), -1, np.int64)
    for i, ladder in enumerate(ladders):
        step_ids[i, : len(ladder)] = ladder
    from arrears.ledger.models import BusinessUnit  # the units' calendars and home currencies

    units = list(BusinessUnit.objects.order_by("pk"))
    calendars = tuple(_calendar(u.country.upper(), u.subdivision, as_of.year - 2) for u in units) or (WEEKENDS_ONLY,)
    strategy_index = {v.strategy_id: i for i, v in enumerate(versions)}
    default = next((strategy_index.get(v.strategy_id, -1) for v in versions if v.strategy.is_default), -1)
    return PolicyTables(
        versions=versions,
        strategy_index=strategy_index,
        step_ids=step_ids,
        step_keys=step_keys,
        templates=templates,
        policy=DunningPolicy(strategies=tuple(strategies), calendars=calendars),
        unit_index={u.pk: i for i, u in enumerate(units)},
        unit_currency={u.pk: u.home_currency for u in units},
        unit_code={u.pk: u.code for u in units},
        rules=list(SegmentRule.objects.filter(active=True).order_by("position", "id")),
        default=default,
    )


# ---------------------------------------------------------------------------------------------------
# Load: columns from SQL into numpy
# ---------------------------------------------------------------------------------------------------


def _days(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def _milli(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} * 1000)::bigint"
    return f"CAST(ROUND({column} * 1000) AS INTEGER)"


def _json_text(column: str, key: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} ->> '{key}')"
    return f"CAST(json_extract({column}, '$.{key}') AS TEXT)"


def _bool(column: str) -> str:
    return f"{column}::int" if connection.vendor == "postgresql" else f"CAST({column} AS INTEGER)"


def _partition_sql(column: str, partition: int, partitions: int) -> str:
    return f" AND {column} % {int(partitions)} = {int(partition)}" if partitions > 1 else ""


def _select(sql: str, names: Sequence[str]) -> dict[str, pl.Series]:
    """Columns of ``sql`` as polars Series (no parameters: callers inline ints and ISO dates only).

    On PostgreSQL the server joins the rows into one tab-separated text value that polars parses in
    one go (a Python round trip per row would cost more than the whole engine at a million rows)."""
    if connection.vendor == "postgresql":
        fields = ", ".join(f"COALESCE(q.c{i}::text, '')" for i in range(len(names)))
        inner = sql.replace("SELECT ", "SELECT ", 1)
        aliased = _alias(inner, len(names))
        with connection.cursor() as cur:
            cur.execute(f"SELECT string_agg(concat_ws(E'\\t', {fields}), E'\\n') FROM ({aliased}) q")
            (text,) = cur.fetchone()
        if not text:
            return {n: pl.Series(n, [], dtype=pl.Utf8) for n in names}
        frame = pl.read_csv(io.StringIO(text), has_header=False, new_columns=list(names), infer_schema_length=0,
                            separator="\t", quote_char=None)
        return {n: frame[n] for n in names}
    with connection.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    return {n: pl.Series(n, [r[i] for r in rows], strict=False) for i, n in enumerate(names)}


def _alias(sql: str, n: int) -> str:
    """``SELECT a, b FROM ...`` -> ``SELECT * FROM (SELECT a, b FROM ...) AS t(c0, c1)``."""
    return f"SELECT * FROM ({sql}) AS t({', '.join(f'c{i}' for i in range(n))})"


def _ints(series: pl.Series, fill: int, dtype: Any = np.int64) -> np.ndarray:
    return series.cast(pl.Int64, strict=True).fill_null(fill).to_numpy().astype(dtype)


def _dates(series: pl.Series) -> np.ndarray:
    """Days since 1970 -> datetime64[D]; NULL -> NaT (int64 min is NaT's representation)."""
    return _ints(series, np.iinfo(np.int64).min).view("datetime64[D]")


def _texts(series: pl.Series) -> pl.Series:
    return series.cast(pl.Utf8).fill_null("")


def _encode(series: pl.Series) -> tuple[np.ndarray, list[str]]:
    """(int64 codes, sorted vocabulary) of a text column, without a Python loop per row."""
    vocabulary = series.unique().sort().to_list()
    if not vocabulary:
        return np.zeros(0, np.int64), []
    return series.cast(pl.Enum(vocabulary)).to_physical().to_numpy().astype(np.int64), vocabulary


@dataclasses.dataclass(slots=True)
class Portfolio:
    as_of: dt.date
    items: OpenItems
    customer_ids: np.ndarray  # sorted DB ids; row i of the engine's Customers
    unit: np.ndarray  # BusinessUnit pk per customer
    text: dict[str, pl.Series]  # kind, jurisdiction, segment, risk_band per customer
    flags: dict[str, np.ndarray]
    last_thank_you: np.ndarray
    promise_until: np.ndarray
    plan_active: np.ndarray
    events: Events
    open_milli: np.ndarray
    rows_loaded: int = 0


def portfolio_load(*, as_of: dt.date, partition: int = 0, partitions: int = 1) -> Portfolio:
    day = f"DATE '{as_of.isoformat()}'" if connection.vendor == "postgresql" else f"'{as_of.isoformat()}'"
    since = as_of - dt.timedelta(days=EVENT_LOOKBACK_DAYS)
    since_sql = f"DATE '{since.isoformat()}'" if connection.vendor == "postgresql" else f"'{since.isoformat()}'"
    names = ("id", "customer", "due", "issue", "open", "currency", "disputed", "level", "last_sent")
    cols = _select(
        f"SELECT d.id, d.customer_id, {_days('d.due_date')}, {_days('d.issue_date')}, {_milli('d.open_amount')}, "
        f"d.currency, {_json_text('d.attributes', 'disputed_amount')}, COALESCE(s.level, -1), {_days('s.last_sent')} "
        "FROM ledger_document d LEFT JOIN dunning_documentdunningstate s ON s.document_id = d.id "
        "WHERE d.status IN ('open', 'partially_paid') AND d.kind <> 'credit_note' AND d.open_amount > 0"
        + _partition_sql("d.customer_id", partition, partitions),
        names,
    )
    doc_id = _ints(cols["id"], 0)
    item_customer = _ints(cols["customer"], 0)
    open_milli = _ints(cols["open"], 0)
    currency, vocabulary = _encode(_texts(cols["currency"]))
    currencies = tuple(vocabulary)
    scale = np.asarray([10 ** (3 - currency_exponent(c)) for c in currencies] or [1], np.int64)[currency]
    open_minor, rest = np.divmod(open_milli, scale)
    if rest.any():
        row = int(np.flatnonzero(rest)[0])
        raise DunningError(DunningErrorCode.BAD_DATA, f"document {int(doc_id[row])}: open amount has more decimals "
                                                       f"than {currencies[currency[row]]} allows")
    disputed = _disputed(doc_id, cols["disputed"], currency, currencies, as_of)

    events_cols = _select(
        f"SELECT d.customer_id, {_days('a.date')}, MIN(CASE WHEN a.date <= d.due_date THEN 1 ELSE 0 END) "
        "FROM ledger_allocation a JOIN ledger_document d ON d.id = a.document_id "
        f"WHERE a.source = 'payment' AND a.date > {since_sql} AND a.date <= {day}"
        + _partition_sql("d.customer_id", partition, partitions)
        + " GROUP BY d.customer_id, a.date",
        ("customer", "date", "on_time"),
    )
    event_customer = _ints(events_cols["customer"], 0)
    event_date = _ints(events_cols["date"], 0)
    event_kind = np.full(len(event_customer), EventKind.PAYMENT_RECEIVED, np.int8)
    event_on_time = _ints(events_cols["on_time"], 0) == 1

    wanted = _distinct(item_customer, event_customer)
    if hooks.has_promise_or_event_sources():
        extra = hooks.extra_events(customer_ids=wanted.tolist(), since=since, as_of=as_of)
        if extra:
            event_customer = np.concatenate([event_customer, np.asarray([e[0] for e in extra], np.int64)])
            event_kind = np.concatenate([event_kind, np.asarray([_EVENT_NAMES[e[1]] for e in extra], np.int8)])
            event_date = np.concatenate([event_date, np.asarray([(e[2] - EPOCH).days for e in extra], np.int64)])
            event_on_time = np.concatenate([event_on_time, np.asarray([bool(e[3]) for e in extra])])
            wanted = _distinct(wanted, event_customer)

    names = ("id", "unit", "kind", "jurisdiction", "segment", "risk_band", "paused", "cease", "dnc", "bankruptcy",
             "last_thank_you")
    cust = _select(
        f"SELECT c.id, c.business_unit_id, c.kind, c.jurisdiction, c.segment, {_json_text('c.attributes', 'risk_band')}, "
        f"{_bool('c.paused')}, {_bool('c.cease_communication')}, {_bool('c.do_not_contact')}, {_bool('c.bankruptcy')}, "
        f"{_days('s.last_thank_you')} FROM ledger_customer c "
        "LEFT JOIN dunning_customerdunningstate s ON s.customer_id = c.id WHERE 1 = 1"
        + _partition_sql("c.id", partition, partitions),
        names,
    )
    all_ids = _ints(cust["id"], 0)
    order = np.argsort(all_ids, kind="stable")
    all_ids = all_ids[order]
    pos = np.searchsorted(all_ids, wanted)
    if len(wanted) and (pos >= len(all_ids)).any():
        raise DunningError(DunningErrorCode.BAD_DATA, "a document refers to a customer that is not loaded")
    keep = order[pos]
    customer_ids = all_ids[pos]

    def pick(name: str) -> pl.Series:
        return cust[name].gather(keep)

    text = {k: _texts(pick(k)) for k in ("kind", "jurisdiction", "segment", "risk_band")}
    flags = {k: _ints(pick(k), 0) == 1 for k in ("paused", "cease", "dnc", "bankruptcy")}
    last_thank_you = _dates(pick("last_thank_you"))
    unit = _ints(pick("unit"), 0)

    promise_until = np.full(len(customer_ids), NAT)
    plan_active = np.zeros(len(customer_ids), bool)
    promise_covered = np.ones(len(doc_id), bool)
    plan_covered = np.ones(len(doc_id), bool)
    if hooks.has_promise_or_event_sources():
        facts = hooks.promise_facts(customer_ids=customer_ids.tolist(), as_of=as_of)
        for cid, until in facts.promise_until.items():
            i = np.searchsorted(customer_ids, cid)
            if i < len(customer_ids) and customer_ids[i] == cid:
                promise_until[i] = np.datetime64(until, "D")
        plan_active = np.isin(customer_ids, np.fromiter(facts.plan_active, np.int64, len(facts.plan_active)))
        promise_covered = ~np.isin(doc_id, np.fromiter(facts.promise_uncovered, np.int64, len(facts.promise_uncovered)))
        plan_covered = ~np.isin(doc_id, np.fromiter(facts.plan_uncovered, np.int64, len(facts.plan_uncovered)))

    items = OpenItems(
        document_id=doc_id,
        customer=np.searchsorted(customer_ids, item_customer).astype(np.int64),
        due_date=_ints(cols["due"], 0).astype("datetime64[D]"),
        issue_date=_ints(cols["issue"], 0).astype("datetime64[D]"),
        open_minor=open_minor.astype(np.int64),
        currency=currency.astype(np.int64),
        disputed_minor=disputed,
        level=_ints(cols["level"], -1, np.int16),
        last_sent=_dates(cols["last_sent"]),
        promise_covered=promise_covered,
        plan_covered=plan_covered,
        currencies=currencies,
    )
    events = Events(
        customer=np.searchsorted(customer_ids, event_customer).astype(np.int64),
        kind=event_kind,
        date=event_date.astype("datetime64[D]"),
        on_time=event_on_time,
    )
    return Portfolio(
        as_of=as_of, items=items, customer_ids=customer_ids, unit=unit, text=text, flags=flags,
        last_thank_you=last_thank_you, promise_until=promise_until, plan_active=plan_active, events=events,
        open_milli=open_milli, rows_loaded=len(doc_id) + len(all_ids) + len(event_customer),
    )


def _distinct(*ids: np.ndarray) -> np.ndarray:
    """Sorted distinct ids of several arrays (a presence table: linear, no sort of a million rows)."""
    top = max((int(a.max()) for a in ids if len(a)), default=-1)
    present = np.zeros(top + 1, bool)
    for a in ids:
        present[a] = True
    return np.flatnonzero(present).astype(np.int64)


def _disputed(doc_id: np.ndarray, raw: pl.Series, currency: np.ndarray, currencies: tuple[str, ...],
              as_of: dt.date) -> np.ndarray:
    """Disputed minor units per document: the registered loaders, else attributes["disputed_amount"]."""
    out = np.zeros(len(doc_id), np.int64)
    amounts: dict[int, Decimal] = {}
    if hooks.has_dispute_sources():
        amounts = hooks.disputed_amounts(document_ids=doc_id.tolist(), as_of=as_of)
    else:
        present = np.flatnonzero(raw.is_not_null().to_numpy()) if len(raw) else np.zeros(0, np.int64)
        values = raw.gather(present).to_list() if len(present) else []
        for i, value in zip(present.tolist(), values, strict=True):
            if value == "":
                continue
            try:
                amounts[int(doc_id[i])] = Decimal(str(value))
            except InvalidOperation as exc:
                raise DunningError(DunningErrorCode.BAD_DATA, f"document {int(doc_id[i])}: "
                                   f"attributes.disputed_amount {value!r} is not an amount") from exc
    if amounts:
        order = np.argsort(doc_id, kind="stable")
        pks = np.fromiter(amounts, np.int64, len(amounts))
        rows = order[np.searchsorted(doc_id, pks, sorter=order)]
        for pk, i in zip(pks.tolist(), rows.tolist(), strict=True):
            exponent = currency_exponent(currencies[currency[i]])
            out[i] = int(amounts[pk].scaleb(exponent).to_integral_value(rounding=ROUND_HALF_UP))
    return out


# ---------------------------------------------------------------------------------------------------
# Engine
# ---------------------------------------------------------------------------------------------------


def _codes(values: pl.Series, wanted: Sequence[Sequence[str]]) -> tuple[np.ndarray, list[frozenset[int]]]:
    """Small-int codes for a text column and for each rule's list of values (unknown values: -1)."""
    codes, vocabulary = _encode(values)
    index = {v: i for i, v in enumerate(vocabulary)}
    return codes, [frozenset(index.get(str(w), -1) for w in ws) for ws in wanted]


def _milli_bound(value: Decimal | None) -> int | None:
    return None if value is None else int(value.scaleb(3).to_integral_value(rounding=ROUND_HALF_UP))


def assignment_compute(portfolio: Portfolio, tables: PolicyTables) -> tuple[np.ndarray, np.ndarray]:
    """(strategy index, arm) per customer: segment rules, first match wins, else the default."""
    n = len(portfolio.customer_ids)
    rules = [r for r in tables.rules if r.strategy_id in tables.strategy_index]
    if not rules:
        return np.full(n, tables.default, np.int64), np.zeros(n, np.int8)
    items = portfolio.items
    cust = items.customer
    unit_row = _unit_rows(portfolio.unit, tables)
    unit_pks = sorted(tables.unit_index)
    home_text = [tables.unit_currency[pk] for pk in unit_pks]
    home_code = np.asarray([items.currencies.index(c) if c in items.currencies else -1 for c in home_text] or [-1])
    in_home = items.currency == home_code[unit_row[cust]] if len(cust) else np.zeros(0, bool)
    balance = np.zeros(n, np.int64)
    np.add.at(balance, cust[in_home], portfolio.open_milli[in_home])
    oldest = np.zeros(n, np.int64)
    if len(cust):
        dpd = (np.datetime64(portfolio.as_of, "D") - items.due_date).astype(np.int64)
        np.maximum.at(oldest, cust, dpd)
    columns: dict[str, np.ndarray] = {}
    sets: dict[str, list[frozenset[int]]] = {}
    home = pl.Series(np.asarray(home_text or [""], dtype=object)[unit_row], dtype=pl.Utf8)
    units = pl.Series(np.asarray([tables.unit_code[pk] for pk in unit_pks] or [""], dtype=object)[unit_row], dtype=pl.Utf8)
    for column, field, values in (
        ("kind", "kinds", portfolio.text["kind"]),
        ("jurisdiction", "jurisdictions", portfolio.text["jurisdiction"]),
        ("segment", "segments", portfolio.text["segment"]),
        ("risk_band", "risk_bands", portfolio.text["risk_band"]),
        ("currency", "currencies", home),
        ("business_unit", "business_units", units),
    ):
        if any(getattr(r, field) for r in rules):
            columns[column], sets[field] = _codes(values, [getattr(r, field) or [] for r in rules])
        else:
            columns[column], sets[field] = np.zeros(n, np.int64), [frozenset()] * len(rules)
    attrs = CustomerAttributes(
        customer_id=portfolio.customer_ids.astype(np.int64), balance_minor=balance, oldest_dpd=oldest, **columns
    )
    engine_rules = []
    for i, r in enumerate(rules):
        challenger = tables.strategy_index.get(r.challenger_id) if r.challenger_id else None
        engine_rules.append(EngineRule(
            strategy=tables.strategy_index[r.strategy_id],
            **{f: (sets[f][i] if getattr(r, f) else None) for f in sets},
            min_balance_minor=_milli_bound(r.min_balance),
            max_balance_minor=_milli_bound(r.max_balance),
            min_oldest_dpd=r.min_oldest_dpd,
            max_oldest_dpd=r.max_oldest_dpd,
            challenger=challenger,
            challenger_percent=r.challenger_percent if challenger is not None else 0,
            salt=r.salt,
            name=r.name,
        ))
    assignment = assign_strategies(attrs, engine_rules, default=tables.default)
    return assignment.strategy.astype(np.int64), assignment.arm.astype(np.int8)


def _unit_rows(unit_pks: np.ndarray, tables: PolicyTables) -> np.ndarray:
    """Business unit pks -> calendar rows (the units are ordered by pk in the policy)."""
    known = np.asarray(sorted(tables.unit_index), np.int64)
    return np.searchsorted(known, unit_pks).astype(np.int64)


def plan_compute(portfolio: Portfolio, tables: PolicyTables, strategy: np.ndarray, arm: np.ndarray) -> DunningPlan:
    customers = Customers(
        strategy=strategy,
        business_unit=_unit_rows(portfolio.unit, tables),
        cease_communication=portfolio.flags["cease"],
        do_not_contact=portfolio.flags["dnc"],
        bankruptcy=portfolio.flags["bankruptcy"],
        paused=portfolio.flags["paused"],
        promise_until=portfolio.promise_until,
        plan_active=portfolio.plan_active,
        arm=arm,
        last_thank_you=portfolio.last_thank_you,
    )
    return plan_dunning_run(portfolio.items, customers, tables.policy, as_of=portfolio.as_of, events=portfolio.events)


# ---------------------------------------------------------------------------------------------------
# From a plan to action rows
# ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class PlannedActions:
    """One row per engine message, plus the advancing items grouped by message."""

    customer_id: np.ndarray
    version_id: list[int]
    step_id: list[int | None]
    level: list[int]
    channel: list[str]
    template: list[str]
    arm: list[int]
    kind: list[str]
    amounts: list[dict[str, str]]
    item_start: np.ndarray  # items of message m: item_rows[item_start[m]:item_start[m + 1]]
    item_doc: np.ndarray
    item_level: np.ndarray
    item_step: np.ndarray
    reasons: dict[str, int]

    def __len__(self) -> int:
        return len(self.customer_id)

    def document_ids(self, m: int) -> list[int]:
        return self.item_doc[self.item_start[m] : self.item_start[m + 1]].tolist()


def actions_from_plan(plan: DunningPlan, portfolio: Portfolio, tables: PolicyTables) -> PlannedActions:
    msgs = plan.messages
    m = len(msgs)
    version_of = [tables.versions[int(s)] for s in msgs.strategy.tolist()]
    steps = msgs.step.astype(np.int64)
    step_id = tables.step_ids[np.maximum(msgs.strategy, 0), np.maximum(steps, 0)] if m else np.zeros(0, np.int64)
    kinds = [ActionKind.DUNNING.value if k == MessageKind.DUNNING else ActionKind.THANK_YOU.value for k in msgs.kind.tolist()]
    step_pk: list[int | None] = [int(s) if k == ActionKind.DUNNING else None for s, k in zip(step_id.tolist(), kinds, strict=True)]
    templates = [tables.templates[s] if s is not None else v.thank_you_template for s, v in zip(step_pk, version_of, strict=True)]
    amounts: list[dict[str, str]] = [{} for _ in range(m)]
    totals = plan.totals
    for message, cur, amount in zip(totals.message.tolist(), totals.currency.tolist(), totals.amount_minor.tolist(), strict=True):
        code = plan.currencies[cur]
        amounts[message][code] = str(Decimal(amount).scaleb(-currency_exponent(code)))
    act = np.flatnonzero(plan.items.reason == Reason.STEP_DUE)
    order = act[np.argsort(plan.items.message[act], kind="stable")]
    item_message = plan.items.message[order]
    item_start = np.searchsorted(item_message, np.arange(m + 1))
    item_strategy = msgs.strategy[item_message] if m else np.zeros(0, np.int64)
    item_level = plan.items.new_level[order].astype(np.int64)
    return PlannedActions(
        customer_id=portfolio.customer_ids[msgs.customer] if m else np.zeros(0, np.int64),
        version_id=[v.pk for v in version_of],
        step_id=step_pk,
        level=steps.tolist(),
        channel=[Channel(c).name.lower() for c in msgs.channel.tolist()],
        template=templates,
        arm=msgs.arm.astype(int).tolist(),
        kind=kinds,
        amounts=amounts,
        item_start=item_start,
        item_doc=plan.items.document_id[order],
        item_level=item_level,
        item_step=tables.step_ids[item_strategy, item_level] if len(order) else np.zeros(0, np.int64),
        reasons=plan.reason_counts(),
    )


def _gate(actions: PlannedActions, as_of: dt.date, *, record: bool) -> Any:
    rows = GateRows(
        customer_id=actions.customer_id,
        channel=actions.channel,
        document_ids=[actions.document_ids(i) for i in range(len(actions))],
    )
    return gate_messages(rows=rows, as_of=as_of, record=record)


# ---------------------------------------------------------------------------------------------------
# One partition: load -> engine -> gate -> write
# ---------------------------------------------------------------------------------------------------


def run_partition_execute(*, run_id: int, partition: int, dispatch: bool = True) -> dict[str, Any]:
    """Plan and write one customer partition of a run; the last partition to finish reduces the run
    (and, with ``dispatch``, hands its actions to communications)."""
    run = DunningRun.objects.get(pk=run_id)
    try:
        summary = _partition(run, partition)
    except Exception as exc:
        run_fail(run_id=run_id, error=f"partition {partition}: {type(exc).__name__}: {exc}")
        raise
    _partition_done(run_id, summary, dispatch=dispatch)
    return summary


def _partition(run: DunningRun, partition: int) -> dict[str, Any]:
    durations: dict[str, float] = {}
    clock = time.perf_counter()
    versions = list(StrategyVersion.objects.filter(pk__in=[v["id"] for v in run.strategy_versions])
                    .select_related("strategy"))
    versions.sort(key=lambda v: [x["id"] for x in run.strategy_versions].index(v.pk))
    tables = policy_load(as_of=run.as_of, versions=versions)
    portfolio = portfolio_load(as_of=run.as_of, partition=partition, partitions=run.partitions)
    durations["load"] = time.perf_counter() - clock

    clock = time.perf_counter()
    strategy, arm = assignment_compute(portfolio, tables)
    plan = plan_compute(portfolio, tables, strategy, arm)
    actions = actions_from_plan(plan, portfolio, tables)
    durations["engine"] = time.perf_counter() - clock

    clock = time.perf_counter()
    gate = _gate(actions, run.as_of, record=True)
    durations["gate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    written = _write(run, actions, gate)
    durations["write"] = time.perf_counter() - clock
    return {"durations": durations, "reasons": actions.reasons, "written": written,
            "gate_paths": {"batch": gate.batch_rows, "full": gate.full_rows}}


def _write(run: DunningRun, actions: PlannedActions, gate: Any) -> int:
    batch_size = int(getattr(settings, "DUNNING_WRITE_BATCH", 20_000))
    created_at = now()
    written = 0
    for number, start in enumerate(range(0, len(actions), batch_size)):
        rows = range(start, min(start + batch_size, len(actions)))
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # a crash may lose the last commits but never corrupts: the run is resumed and re-plans them
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL synchronous_commit TO OFF")
            written += _write_batch(run, actions, gate, rows, created_at)
        if _after_batch is not None:
            _after_batch(number)
    return written


def _write_batch(run: DunningRun, actions: PlannedActions, gate: Any, rows: range, created_at: dt.datetime) -> int:
    blocked = [gate.result[i] in (GateResult.BLOCKED, GateResult.REVIEW) for i in rows]
    data: dict[str, list[Any]] = {
        "run_id": [run.pk] * len(rows),
        "as_of": [run.as_of] * len(rows),
        "customer_id": actions.customer_id[rows.start : rows.stop].tolist(),
        "strategy_version_id": actions.version_id[rows.start : rows.stop],
        "step_id": actions.step_id[rows.start : rows.stop],
        "level": actions.level[rows.start : rows.stop],
        "channel": actions.channel[rows.start : rows.stop],
        "template_key": actions.template[rows.start : rows.stop],
        "arm": actions.arm[rows.start : rows.stop],
        "kind": actions.kind[rows.start : rows.stop],
        "amounts": [json.dumps(actions.amounts[i], sort_keys=True) for i in rows],
        "items": [json.dumps(list(zip(actions.document_ids(i),
                                      actions.item_level[actions.item_start[i] : actions.item_start[i + 1]].tolist(),
                                      strict=True)))
                  for i in rows],
        "gate": [gate.result[i] for i in rows],
        "blocked_rule": [gate.blocked_rule[i] for i in rows],
        "compliance_decision_id": [gate.decision_id[i] for i in rows],
        "status": [ActionStatus.BLOCKED.value if b else ActionStatus.PLANNED.value for b in blocked],
    }
    inserted = bulk.actions_insert(data, created_at)
    new_ids = {(cid, kind): pk for pk, cid, kind in inserted}
    item_action: list[int] = []
    item_doc: list[int] = []
    item_level: list[int] = []
    item_step: list[int] = []
    thanked: set[int] = set()
    for j, i in enumerate(rows):
        cid = int(actions.customer_id[i])
        pk = new_ids.get((cid, actions.kind[i]))
        if pk is None or blocked[j]:
            continue  # already written by an earlier attempt, or not sent: the level stays where it was
        if actions.kind[i] == ActionKind.THANK_YOU:
            thanked.add(cid)
            continue
        lo, hi = actions.item_start[i], actions.item_start[i + 1]
        item_action.extend([pk] * (hi - lo))
        item_doc.extend(actions.item_doc[lo:hi].tolist())
        item_level.extend(actions.item_level[lo:hi].tolist())
        item_step.extend(actions.item_step[lo:hi].tolist())
    bulk.items_insert(item_action, item_doc, item_level, item_step)
    bulk.document_states_upsert(item_doc, item_level, run.as_of)
    customers = [int(actions.customer_id[i]) for i in rows]
    bulk.customer_states_upsert(
        customers, [actions.version_id[i] for i in rows], [actions.arm[i] for i in rows],
        [c in thanked for c in customers], run.as_of,
    )
    return len(inserted)


# ---------------------------------------------------------------------------------------------------
# The run: claim, partitions (in-process or Celery), reduce, alert, dispatch
# ---------------------------------------------------------------------------------------------------


def _use_celery() -> bool:
    return bool(getattr(settings, "CELERY_BROKER_URL", "")) and not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True)


def run_claim(*, as_of: dt.date, partitions: int) -> tuple[DunningRun, bool]:
    """(run, already_completed). Creates the run for as_of, or resumes a failed one."""
    versions = current_versions()
    record = [{"id": v.pk, "strategy": v.strategy.name, "number": v.number} for v in versions]
    with transaction.atomic():
        run = DunningRun.objects.select_for_update().filter(as_of=as_of, dry_run=False).first()
        if run is not None and run.status == RunStatus.COMPLETED:
            return run, True
        stale = dt.timedelta(seconds=int(getattr(settings, "DUNNING_RUN_STALE_SECONDS", 6 * 3600)))
        if run is not None and run.status == RunStatus.RUNNING and now() - run.started_at < stale:
            raise DunningError(DunningErrorCode.RUN_IN_PROGRESS, f"the run for {as_of} is still running (started "
                               f"{run.started_at:%Y-%m-%d %H:%M} UTC)")
        if run is None:
            run = DunningRun.objects.create(as_of=as_of, partitions=partitions, started_at=now(),
                                            strategy_versions=record)
        else:  # resume a failed (or abandoned) run: same record, same strategy versions
            run.status = RunStatus.RUNNING
            run.attempts += 1
            run.partitions = partitions
            run.partitions_done = 0
            run.error = ""
            run.counts = {}
            run.durations = {}
            run.started_at = now()
            run.save(update_fields=["status", "attempts", "partitions", "partitions_done", "error", "counts",
                                    "durations", "started_at"])
        strategy_versions_freeze(version_ids=[v["id"] for v in run.strategy_versions])
    return run, False


def run_fail(*, run_id: int, error: str) -> None:
    log.error("dunning run %s failed: %s", run_id, error)
    DunningRun.objects.filter(pk=run_id).update(status=RunStatus.FAILED, error=error[:2000], finished_at=now())


def _merge(total: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    for key, value in part.items():
        if isinstance(value, dict):
            total[key] = _merge(dict(total.get(key, {})), value)
        else:
            total[key] = total.get(key, 0) + value
    return total


def _partition_done(run_id: int, summary: dict[str, Any], *, dispatch: bool = True) -> None:
    with transaction.atomic():
        run = DunningRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.RUNNING:
            return
        run.durations = _merge(dict(run.durations), {"partitions": summary["durations"]})
        run.counts = _merge(dict(run.counts), {"reasons": summary["reasons"], "gate_paths": summary["gate_paths"]})
        run.partitions_done += 1
        run.save(update_fields=["durations", "counts", "partitions_done"])
        if run.partitions_done < run.partitions:
            return
        _finalize(run)
    if dispatch:
        dispatch_actions(run)


def _finalize(run: DunningRun) -> None:
    clock = time.perf_counter()
    rows = (DunningAction.objects.filter(run=run).order_by()
            .values_list("strategy_version_id", "step_id", "channel", "kind", "status", "blocked_rule", "arm")
            .annotate(n=Count("id")))
    names = {v["id"]: f"{v['strategy']} v{v['number']}" for v in run.strategy_versions}
    steps = dict(StepKeys.for_versions(list(names)))
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    blocked: Counter[str] = Counter()
    total = 0
    for version, step, channel, kind, status, rule, arm, n in rows:
        total += n
        strategy = names.get(version, str(version))
        counts["strategy"][strategy] += n
        counts["step"][f"{strategy}: {steps.get(step, 'thank_you') if step else 'thank_you'}"] += n
        counts["channel"][channel] += n
        counts["outcome"][status] += n
        counts["kind"][kind] += n
        counts["arm"]["challenger" if arm else "champion"] += n
        if rule:
            blocked[rule] += n
    run.counts = {**run.counts, **{k: dict(sorted(v.items())) for k, v in counts.items()}}
    run.blocked = dict(sorted(blocked.items()))
    run.action_count = total
    run.alert = _alert(run, total)
    run.status = RunStatus.COMPLETED
    run.finished_at = now()
    parts = run.durations.get("partitions", {})
    run.durations = {**{k: round(v, 4) for k, v in parts.items()}, "reduce": round(time.perf_counter() - clock, 4),
                     "total": round((run.finished_at - run.started_at).total_seconds(), 4)}
    run.save(update_fields=["counts", "blocked", "action_count", "alert", "status", "finished_at", "durations"])
    if run.alert:
        log.warning("dunning run %s: %s", run.as_of, run.alert)


class StepKeys:
    @staticmethod
    def for_versions(version_ids: list[int]) -> list[tuple[int, str]]:
        from arrears.dunning.models import Step as StepModel

        return list(StepModel.objects.filter(version_id__in=version_ids).values_list("pk", "key"))


def _alert(run: DunningRun, total: int) -> str:
    history = list(
        DunningRun.objects.filter(status=RunStatus.COMPLETED, dry_run=False, as_of__lt=run.as_of)
        .order_by("-as_of").values_list("action_count", flat=True)[:ALERT_HISTORY]
    )
    if len(history) < ALERT_MIN_HISTORY:
        return ""
    median = statistics.median(history)
    if median < ALERT_MIN_MEDIAN:
        return ""
    if total < median / ALERT_FACTOR:
        return (f"far fewer actions than usual: {total} against a median of {median:g} over the last "
                f"{len(history)} runs")
    if total > median * ALERT_FACTOR:
        return (f"far more actions than usual: {total} against a median of {median:g} over the last "
                f"{len(history)} runs")
    return ""


def dunning_run(
    *, as_of: dt.date, partitions: int | None = None, wait: bool = True, dispatch: bool = True
) -> tuple[DunningRun, bool]:
    """Run the night for ``as_of``: (run record, already_ran). Idempotent; resumes a failed run.

    With ``dispatch=False`` the run only decides (actions planned or blocked, levels advanced); the
    caller hands the actions on later with ``dispatch_actions(run)`` (the benchmark times the two apart)."""
    celery = _use_celery()
    partitions = partitions or int(getattr(settings, "DUNNING_PARTITIONS", 4 if celery else 1))
    if partitions < 1:
        raise DunningError(DunningErrorCode.INVALID_INPUT, "partitions: must be at least 1", field="partitions")
    run, done = run_claim(as_of=as_of, partitions=partitions)
    if done:
        return run, True
    if celery:
        from celery import current_app

        queue = getattr(settings, "DUNNING_CELERY_QUEUE", None)
        for p in range(partitions):
            current_app.send_task("dunning.run_partition", kwargs={"run_id": run.pk, "partition": p, "dispatch": dispatch},
                                  queue=queue)
        if wait:
            run = _wait(run.pk)
    else:
        threads = min(int(getattr(settings, "DUNNING_THREADS", 1)), partitions)
        if threads > 1:
            _run_threads(run.pk, partitions, threads, dispatch)
        else:
            for p in range(partitions):
                run_partition_execute(run_id=run.pk, partition=p, dispatch=dispatch)
        run.refresh_from_db()
    return run, False


def _run_threads(run_id: int, partitions: int, threads: int, dispatch: bool) -> None:
    """Partitions in parallel threads of this process, each on its own database connection: the
    database does most of a partition's work, so two threads keep two cores busy (PostgreSQL only)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def one(p: int) -> None:
        try:
            run_partition_execute(run_id=run_id, partition=p, dispatch=dispatch)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(one, p) for p in range(partitions)]:
            future.result()


def _wait(run_id: int) -> DunningRun:
    deadline = time.monotonic() + int(getattr(settings, "DUNNING_RUN_TIMEOUT_SECONDS", 3600))
    began = time.monotonic()  # look every 10 ms for the first seconds (a primary-key read), then every 0.2 s
    while True:
        run = DunningRun.objects.get(pk=run_id)
        if run.status != RunStatus.RUNNING:
            if run.status == RunStatus.FAILED:
                raise DunningError(DunningErrorCode.BAD_DATA, f"the run for {run.as_of} failed: {run.error}")
            return run
        if time.monotonic() > deadline:
            raise DunningError(DunningErrorCode.RUN_IN_PROGRESS, f"the run for {run.as_of} did not finish in time")
        time.sleep(0.01 if time.monotonic() - began < 5 else 0.2)


def dispatch_actions(run: DunningRun) -> int:
    """Hand the run's planned actions to communications (outbox, one letter print file, call tasks).

    ``settings.DUNNING_DISPATCHER`` may name another callable taking ``run_id=``. Dispatch is
    idempotent (communications keys each message by the action id), so a re-dispatch adds nothing.
    Escalations, agency and legal hand-overs stay as planned actions for people to work."""
    path = getattr(settings, "DUNNING_DISPATCHER", "")
    if path:
        return int(import_string(path)(run_id=run.pk))
    if not apps.is_installed("arrears.communications"):
        return 0
    from arrears.communications.services.dispatch import dunning_actions_dispatch

    clock = time.perf_counter()
    rows = DunningAction.objects.filter(run=run, status=ActionStatus.PLANNED).values(
        "id", "customer_id", "channel", "template_key", "level", "kind", "items", "status", "gate", "step__key")
    actions = [{**r, "step_key": r.pop("step__key") or ""} for r in rows]
    result = dunning_actions_dispatch(actions=actions, as_of=run.as_of, run_reference=f"dunning:{run.as_of.isoformat()}")
    for i in range(0, len(result.dispatched), 10_000):  # SQLite caps how many values one query may take
        DunningAction.objects.filter(pk__in=result.dispatched[i:i + 10_000]).update(status=ActionStatus.DISPATCHED)
    summary = result.as_dict()
    for key in ("not_handled", "missing_template", "skipped"):  # counts on the run; the ids are on the actions
        summary[key] = len(summary[key])
    run.counts = {**run.counts, "dispatch": summary}
    run.durations = {**run.durations, "dispatch": round(time.perf_counter() - clock, 4)}
    run.save(update_fields=["counts", "durations"])
    return len(result.dispatched)


# ---------------------------------------------------------------------------------------------------
# Dry run and backtest
# ---------------------------------------------------------------------------------------------------


def _summary(actions: PlannedActions, gate: Any, tables: PolicyTables) -> dict[str, Any]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    blocked: Counter[str] = Counter()
    names = {v.pk: f"{v.strategy.name} v{v.number}" for v in tables.versions}
    for i in range(len(actions)):
        strategy = names[actions.version_id[i]]
        step = tables.step_keys.get(actions.step_id[i], "thank_you") if actions.step_id[i] else "thank_you"
        status = ActionStatus.BLOCKED if gate.result[i] in (GateResult.BLOCKED, GateResult.REVIEW) else ActionStatus.PLANNED
        counts["strategy"][strategy] += 1
        counts["step"][f"{strategy}: {step}"] += 1
        counts["channel"][actions.channel[i]] += 1
        counts["outcome"][status.value] += 1
        counts["kind"][actions.kind[i]] += 1
        if gate.blocked_rule[i]:
            blocked[gate.blocked_rule[i]] += 1
    out = {k: dict(sorted(v.items())) for k, v in counts.items()}
    out["reasons"] = actions.reasons
    return {"counts": out, "blocked": dict(sorted(blocked.items())), "action_count": len(actions)}


def run_preview(*, as_of: dt.date) -> dict[str, Any]:
    """What the run for ``as_of`` would do, from the ledger and dunning state as they are now.
    Nothing is written (the compliance gate is asked with record=False)."""
    durations = {}
    clock = time.perf_counter()
    tables = policy_load(as_of=as_of)
    portfolio = portfolio_load(as_of=as_of)
    durations["load"] = time.perf_counter() - clock
    clock = time.perf_counter()
    strategy, arm = assignment_compute(portfolio, tables)
    plan = plan_compute(portfolio, tables, strategy, arm)
    actions = actions_from_plan(plan, portfolio, tables)
    durations["engine"] = time.perf_counter() - clock
    clock = time.perf_counter()
    gate = _gate(actions, as_of, record=False)
    durations["gate"] = time.perf_counter() - clock
    names = {v.pk: f"{v.strategy.name} v{v.number}" for v in tables.versions}
    planned = [
        {
            "customer_id": int(actions.customer_id[i]),
            "strategy": names[actions.version_id[i]],
            "step": tables.step_keys.get(actions.step_id[i], "") if actions.step_id[i] else "",
            "level": actions.level[i],
            "channel": actions.channel[i],
            "kind": actions.kind[i],
            "arm": actions.arm[i],
            "gate": gate.result[i],
            "blocked_rule": gate.blocked_rule[i],
            "amounts": actions.amounts[i],
            "documents": actions.document_ids(i),
        }
        for i in range(len(actions))
    ]
    return {
        "as_of": as_of.isoformat(),
        "dry_run": True,
        "strategy_versions": [{"id": v.pk, "strategy": v.strategy.name, "number": v.number} for v in tables.versions],
        **_summary(actions, gate, tables),
        "durations": {k: round(v, 4) for k, v in durations.items()},
        "actions": planned,
    }


def strategy_diff(*, version_a: StrategyVersion, version_b: StrategyVersion, as_of: dt.date) -> dict[str, Any]:
    """Plan the same portfolio under two versions: the customers the segment rules give to either
    version's strategy get version A in one plan and version B in the other (same levels, same date)."""
    current = current_versions()
    versions = [v for v in current if v.pk not in (version_a.pk, version_b.pk)] + [version_a, version_b]
    tables = policy_load(as_of=as_of, versions=versions)
    a, b = len(versions) - 2, len(versions) - 1
    # the segment rules name strategies: both versions' strategies count as "this strategy"
    current_tables = policy_load(as_of=as_of, versions=current)
    portfolio = portfolio_load(as_of=as_of)
    assigned, arm = assignment_compute(portfolio, current_tables)
    by_strategy = {i: v.strategy_id for i, v in enumerate(current)}
    chosen = np.asarray([by_strategy.get(int(s), -1) in (version_a.strategy_id, version_b.strategy_id)
                         for s in assigned.tolist()], dtype=bool)
    results = {}
    for label, index in (("a", a), ("b", b)):
        strategy = np.where(chosen, index, -1).astype(np.int64)  # only the population the two versions serve
        plan = plan_compute(portfolio, tables, strategy, arm)
        actions = actions_from_plan(plan, portfolio, tables)
        results[label] = actions
    treatments: dict[str, dict[int, tuple[str, str, str]]] = {}
    summary: dict[str, Any] = {}
    for label, actions in results.items():
        per: dict[int, tuple[str, str, str]] = {}
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for i in range(len(actions)):
            step = tables.step_keys.get(actions.step_id[i], "thank_you") if actions.step_id[i] else "thank_you"
            per[int(actions.customer_id[i])] = (actions.kind[i], step, actions.channel[i])
            counts["step"][step] += 1
            counts["channel"][actions.channel[i]] += 1
            counts["kind"][actions.kind[i]] += 1
        treatments[label] = per
        summary[label] = {"version": {"id": (version_a if label == "a" else version_b).pk,
                                      "name": str(version_a if label == "a" else version_b)},
                          "action_count": len(actions), **{k: dict(sorted(v.items())) for k, v in counts.items()}}
    differing = []
    for cid in sorted(set(treatments["a"]) | set(treatments["b"])):
        ta, tb = treatments["a"].get(cid), treatments["b"].get(cid)
        if ta != tb:
            differing.append({
                "customer_id": cid,
                "a": None if ta is None else {"kind": ta[0], "step": ta[1], "channel": ta[2]},
                "b": None if tb is None else {"kind": tb[0], "step": tb[1], "channel": tb[2]},
            })
    return {"as_of": as_of.isoformat(), "population": int(chosen.sum()), **summary, "customers_differing": differing}


def run_record(run: DunningRun, *, already_ran: bool = False) -> dict[str, Any]:
    """The run as one JSON-ready document (the CLI's --json)."""
    return {
        "id": run.pk,
        "as_of": run.as_of.isoformat(),
        "status": run.status,
        "already_ran": already_ran,
        "attempts": run.attempts,
        "partitions": run.partitions,
        "strategy_versions": run.strategy_versions,
        "action_count": run.action_count,
        "counts": run.counts,
        "blocked": run.blocked,
        "durations": run.durations,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "alert": run.alert,
        "error": run.error,
    }
