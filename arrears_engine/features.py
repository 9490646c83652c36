"""Scoring features: what was known about an invoice and its customer on a prediction date.

The same code builds the training rows (one per invoice on its issue date, plus snapshots of
invoices still open later on) and the nightly rows (every open invoice on the run's date), so the
model never sees a feature computed one way in training and another way in production.

No information from after the prediction date ``t`` enters a row:

- the customer's payment history uses only invoices **settled before** ``t`` (strictly);
- the open book counts invoices issued on or before ``t`` that were not settled before ``t``;
- event logs (broken promises, disputes, contacts) count events dated before ``t``.

Everything is vectorised over all rows at once (sorted keys, ``searchsorted`` and cumulative sums),
so a million open invoices take seconds. Amounts here are features only (floats in major units);
money arithmetic never happens in this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

DAY = np.dtype("datetime64[D]")
WINDOW = 10  # the "last N settled invoices" window
RECENT = 5  # the trend compares the last RECENT delays with everything settled before them
EVENT_WINDOW_DAYS = 90

HISTORY_FEATURES = (
    "hist_count",
    "hist_mean_delay",
    "hist_median_delay",
    "hist_share_late",
    "hist_last_delay",
    "hist_late_last10",
    "hist_count_last10",
    "hist_mean_delay_last10",
    "hist_trend",
    "hist_mean_days_to_pay",
    "hist_days_since_last",
    "amount_vs_history",
)
BOOK_FEATURES = ("open_count", "open_amount_log")
DOCUMENT_FEATURES = ("amount_log", "terms_days", "issue_month", "age_days", "days_past_due")


class FeatureError(ValueError):
    """The input columns do not fit together (length, dtype, unknown names)."""


def _days(values: np.ndarray | Sequence[object], name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind != "M":
        try:
            arr = arr.astype(DAY)
        except (TypeError, ValueError) as exc:
            raise FeatureError(f"{name}: expected dates (datetime64[D]), got {arr.dtype}") from exc
    return arr.astype(DAY)


@dataclass(frozen=True)
class PaymentHistory:
    """Every debit document (invoice, debit note) of the portfolio, one array per column.

    ``settled_date`` is the day the document left the open book (NaT while it is open).
    ``categories`` are integer codes known at issue (currency, business unit, country...),
    ``attributes`` numbers known at issue (e.g. paperless billing as 0/1), and ``outcome_flags``
    facts only known once an invoice is settled (e.g. "was disputed"): they enter only as the
    share among the customer's earlier settled invoices, never for the invoice itself.
    """

    customer: np.ndarray
    issue_date: np.ndarray
    due_date: np.ndarray
    amount: np.ndarray
    settled_date: np.ndarray
    categories: Mapping[str, np.ndarray] = field(default_factory=dict)
    attributes: Mapping[str, np.ndarray] = field(default_factory=dict)
    outcome_flags: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.customer)
        object.__setattr__(self, "customer", np.asarray(self.customer, dtype=np.int64))
        object.__setattr__(self, "amount", np.asarray(self.amount, dtype=np.float64))
        for name in ("issue_date", "due_date", "settled_date"):
            object.__setattr__(self, name, _days(getattr(self, name), name))
        for name in ("issue_date", "due_date", "amount", "settled_date"):
            if len(getattr(self, name)) != n:
                raise FeatureError(f"{name}: {len(getattr(self, name))} values for {n} documents")
        for group, dtype in (("categories", np.int64), ("attributes", np.float64), ("outcome_flags", np.bool_)):
            cols = {k: np.asarray(v, dtype=dtype) for k, v in getattr(self, group).items()}
            for k, v in cols.items():
                if len(v) != n:
                    raise FeatureError(f"{group}[{k!r}]: {len(v)} values for {n} documents")
            object.__setattr__(self, group, cols)

    def __len__(self) -> int:
        return len(self.customer)


@dataclass(frozen=True)
class EventLog:
    """Dated customer events (a broken promise, a dispute opened, an outbound contact)."""

    customer: np.ndarray
    date: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "customer", np.asarray(self.customer, dtype=np.int64))
        object.__setattr__(self, "date", _days(self.date, "date"))
        if len(self.customer) != len(self.date):
            raise FeatureError(f"event log: {len(self.customer)} customers for {len(self.date)} dates")


@dataclass(frozen=True)
class FeatureMatrix:
    names: tuple[str, ...]
    values: np.ndarray  # float64 (rows, features), column-major; NaN = not defined (e.g. no history yet)
    categorical: tuple[str, ...]

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]


def feature_names(
    *, categories: Sequence[str] = (), attributes: Sequence[str] = (), outcome_flags: Sequence[str] = (),
    events: Sequence[str] = (),
) -> tuple[str, ...]:
    return (
        *DOCUMENT_FEATURES,
        *(f"cat_{c}" for c in categories),
        *(f"attr_{a}" for a in attributes),
        *HISTORY_FEATURES,
        *(f"hist_share_{f}" for f in outcome_flags),
        *BOOK_FEATURES,
        *(f"{e}_{suffix}" for e in events for suffix in ("total", f"{EVENT_WINDOW_DAYS}d")),
    )


class _Keys:
    """Sort key (customer, day) packed into one int64, so per-customer counts are two searchsorts."""

    def __init__(self, *day_arrays: np.ndarray) -> None:
        finite = [a[~np.isnat(a)].astype(np.int64) for a in day_arrays if len(a)]
        finite = [a for a in finite if len(a)]
        lo = min((int(a.min()) for a in finite), default=0)
        hi = max((int(a.max()) for a in finite), default=0)
        self.lo = lo - EVENT_WINDOW_DAYS - 1
        self.span = hi - self.lo + 2

    def day(self, days: np.ndarray) -> np.ndarray:
        return np.clip(days.astype(np.int64) - self.lo, 0, self.span - 1)

    def key(self, customer: np.ndarray, days: np.ndarray) -> np.ndarray:
        return customer * self.span + self.day(days)

    def start(self, customer: np.ndarray) -> np.ndarray:
        return customer * self.span


def _cumsum0(values: np.ndarray) -> np.ndarray:
    out = np.zeros(len(values) + 1, dtype=np.float64)
    np.cumsum(values, out=out[1:])
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def payment_features(
    history: PaymentHistory,
    rows: np.ndarray,
    as_of: np.ndarray | np.datetime64,
    *,
    events: Mapping[str, EventLog] | None = None,
    event_names: Sequence[str] | None = None,
) -> FeatureMatrix:
    """Features of documents ``history[rows]`` as known on ``as_of`` (one date, or one per row).

    ``event_names`` fixes the event columns (a trained model's); a name without a log counts 0.
    """
    rows = np.asarray(rows, dtype=np.int64)
    m = len(rows)
    t = np.broadcast_to(_days(np.atleast_1d(as_of), "as_of"), (m,)).copy() if m else _days([], "as_of")
    events = dict(events or {})
    names_events = tuple(event_names) if event_names is not None else tuple(sorted(events))
    unknown = set(events) - set(names_events)
    if event_names is not None and unknown:
        events = {k: v for k, v in events.items() if k in names_events}
    keys = _Keys(history.issue_date, history.due_date, history.settled_date, t,
                 *(log.date for log in events.values()))

    cust = history.customer[rows]
    issue = history.issue_date[rows]
    due = history.due_date[rows]
    amount = history.amount[rows]
    t_int = t.astype(np.int64)
    cols: dict[str, np.ndarray] = {}

    # --- the document itself
    cols["amount_log"] = np.log1p(np.maximum(amount, 0.0))
    cols["terms_days"] = (due - issue).astype(np.int64).astype(np.float64)
    cols["issue_month"] = (issue.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.float64)
    cols["age_days"] = (t_int - issue.astype(np.int64)).astype(np.float64)
    cols["days_past_due"] = np.maximum(t_int - due.astype(np.int64), 0).astype(np.float64)
    for name, codes in history.categories.items():
        cols[f"cat_{name}"] = codes[rows].astype(np.float64)
    for name, values in history.attributes.items():
        cols[f"attr_{name}"] = values[rows]

    # Everything below depends on the customer and the date only, not on the document: it is
    # computed once per distinct (customer, t) pair and then spread to the rows. The nightly run
    # has one t, so a million open invoices of 50,000 customers need 50,000 history rows.
    row_key = keys.key(cust, t)
    if m:
        pair_key, first, pair_of_row = np.unique(row_key, return_index=True, return_inverse=True)
    else:
        pair_key, first, pair_of_row = row_key, np.zeros(0, np.int64), np.zeros(0, np.int64)
    p_cust, p_t = cust[first], t[first]
    p_t_int = p_t.astype(np.int64)
    p_start_key = keys.start(p_cust)
    pair_cols: dict[str, np.ndarray] = {}

    # --- the customer's settled history, strictly before t
    s_idx = np.flatnonzero(~np.isnat(history.settled_date))
    s_key = keys.key(history.customer[s_idx], history.settled_date[s_idx])
    order = np.argsort(s_key, kind="stable")  # by customer, then settlement day
    s_idx, s_key = s_idx[order], s_key[order]
    s_day = history.settled_date[s_idx]
    s_delay = (s_day - history.due_date[s_idx]).astype(np.int64).astype(np.float64)
    s_dtp = (s_day - history.issue_date[s_idx]).astype(np.int64).astype(np.float64)
    s_amount = history.amount[s_idx]

    pos = np.searchsorted(s_key, pair_key, side="left")
    start = np.searchsorted(s_key, p_start_key, side="left")
    count = (pos - start).astype(np.float64)
    cs_delay, cs_late, cs_dtp, cs_amount = (
        _cumsum0(s_delay), _cumsum0((s_delay > 0).astype(np.float64)), _cumsum0(s_dtp), _cumsum0(s_amount)
    )
    pair_cols["hist_count"] = count
    pair_cols["hist_mean_delay"] = _ratio(cs_delay[pos] - cs_delay[start], count)
    pair_cols["hist_share_late"] = _ratio(cs_late[pos] - cs_late[start], count)
    pair_cols["hist_mean_days_to_pay"] = _ratio(cs_dtp[pos] - cs_dtp[start], count)
    mean_amount = _ratio(cs_amount[pos] - cs_amount[start], count)

    # the last WINDOW delays, newest first, NaN-padded
    back = pos[:, None] - np.arange(1, WINDOW + 1)[None, :]
    valid = back >= start[:, None]
    window = np.where(valid, s_delay[np.clip(back, 0, max(len(s_delay) - 1, 0))] if len(s_delay) else 0.0, np.nan)
    n_win = valid.sum(axis=1)
    pair_cols["hist_count_last10"] = n_win.astype(np.float64)
    pair_cols["hist_late_last10"] = np.where(valid, window > 0, False).sum(axis=1).astype(np.float64)
    pair_cols["hist_mean_delay_last10"] = _ratio(np.where(valid, window, 0.0).sum(axis=1), n_win.astype(np.float64))
    ranked = np.sort(window, axis=1)  # NaN sorts last
    lo_i = np.clip((n_win - 1) // 2, 0, WINDOW - 1)[:, None]
    hi_i = np.clip(n_win // 2, 0, WINDOW - 1)[:, None]
    median = (np.take_along_axis(ranked, lo_i, 1) + np.take_along_axis(ranked, hi_i, 1))[:, 0] / 2
    pair_cols["hist_median_delay"] = np.where(n_win > 0, median, np.nan)
    pair_cols["hist_last_delay"] = window[:, 0]
    has_last = count > 0
    last_day = np.where(has_last, s_day.astype(np.int64)[np.clip(pos - 1, 0, max(len(s_day) - 1, 0))]
                        if len(s_day) else 0, 0)
    pair_cols["hist_days_since_last"] = np.where(has_last, p_t_int - last_day, np.nan).astype(np.float64)
    # trend: mean delay of the last RECENT settlements minus the mean of all settled before them
    recent_mean = np.where(valid[:, :RECENT], window[:, :RECENT], 0.0).sum(axis=1) / RECENT
    earlier_n = count - RECENT
    earlier_sum = cs_delay[np.maximum(pos - RECENT, start)] - cs_delay[start]
    pair_cols["hist_trend"] = np.where(earlier_n >= 3, recent_mean - _ratio(earlier_sum, earlier_n), np.nan)
    for name, flags in history.outcome_flags.items():
        cs_flag = _cumsum0(flags[s_idx].astype(np.float64))
        pair_cols[f"hist_share_{name}"] = _ratio(cs_flag[pos] - cs_flag[start], count)

    # --- the open book on t: issued on or before t, not settled before t (this document is taken out below)
    i_key = keys.key(history.customer, history.issue_date)
    i_order = np.argsort(i_key, kind="stable")
    i_key = i_key[i_order]
    cs_i_amount = _cumsum0(history.amount[i_order])
    upto = np.searchsorted(i_key, pair_key, side="right")
    i_start = np.searchsorted(i_key, p_start_key, side="left")
    book_count = (upto - i_start) - (pos - start)
    book_amount = (cs_i_amount[upto] - cs_i_amount[i_start]) - (cs_amount[pos] - cs_amount[start])

    # --- event logs: how many before t, and in the EVENT_WINDOW_DAYS before t
    for name in names_events:
        log = events.get(name)
        if log is None or not len(log.customer):
            pair_cols[f"{name}_total"] = np.zeros(len(pair_key))
            pair_cols[f"{name}_{EVENT_WINDOW_DAYS}d"] = np.zeros(len(pair_key))
            continue
        e_key = np.sort(keys.key(log.customer, log.date))
        before = np.searchsorted(e_key, pair_key, side="left")
        since = np.searchsorted(e_key, keys.key(p_cust, p_t - np.timedelta64(EVENT_WINDOW_DAYS, "D")), side="left")
        first_event = np.searchsorted(e_key, p_start_key, side="left")
        pair_cols[f"{name}_total"] = (before - first_event).astype(np.float64)
        pair_cols[f"{name}_{EVENT_WINDOW_DAYS}d"] = (before - since).astype(np.float64)

    cols["amount_vs_history"] = _ratio(amount, mean_amount[pair_of_row])
    self_open = (issue <= t) & ~(history.settled_date[rows] < t)
    open_count = book_count[pair_of_row] - self_open
    # cumulative sums leave float dust (1e-12) where the true open amount is 0: round it away
    open_amount = np.round(book_amount[pair_of_row] - np.where(self_open, amount, 0.0), 6)
    cols["open_count"] = np.maximum(open_count, 0).astype(np.float64)
    cols["open_amount_log"] = np.log1p(np.maximum(open_amount, 0.0))

    names = feature_names(
        categories=tuple(history.categories), attributes=tuple(history.attributes),
        outcome_flags=tuple(history.outcome_flags), events=names_events,
    )
    # column-major: each column is written (and later read by the models) in one contiguous run
    values = np.empty((m, len(names)), order="F")
    for j, name in enumerate(names):
        if name in pair_cols:
            np.take(pair_cols[name], pair_of_row, out=values[:, j])  # spread the pairs to their rows
        else:
            values[:, j] = cols[name]
    return FeatureMatrix(names, values, tuple(f"cat_{c}" for c in history.categories))


@dataclass(frozen=True)
class Examples:
    """Training (or test) rows: which document, on which date, and what happened."""

    rows: np.ndarray
    as_of: np.ndarray
    delay: np.ndarray  # settled − due in days (a lower bound where ``censored``)
    censored: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


def payment_examples(
    history: PaymentHistory,
    *,
    known_on: np.datetime64,
    issued_from: np.datetime64 | None = None,
    issued_before: np.datetime64 | None = None,
    label_window_days: int = 60,
    snapshots_after_due: Sequence[int] = (0, 15, 30, 60),
    with_snapshots: bool = True,
) -> Examples:
    """Rows whose outcome is known on ``known_on``.

    One row per document on its issue date, and (``with_snapshots``) one more on each of
    ``due + k`` for the ``snapshots_after_due`` offsets while it is still open then, so the model
    also learns how an invoice that is already overdue is paid. A row's date must lie at least
    ``label_window_days`` before ``known_on`` (recent rows would only keep the quick payers);
    a document still open on ``known_on`` gets the lower bound ``known_on − due`` as its delay.
    """
    known = _days(np.atleast_1d(known_on), "known_on")[0]
    latest = known - np.timedelta64(label_window_days, "D")
    base = np.ones(len(history), dtype=bool)
    if issued_from is not None:
        base &= history.issue_date >= _days(np.atleast_1d(issued_from), "issued_from")[0]
    if issued_before is not None:
        base &= history.issue_date < _days(np.atleast_1d(issued_before), "issued_before")[0]
    settled_by = np.where(history.settled_date < known, history.settled_date, np.datetime64("NaT", "D"))
    censored_all = np.isnat(settled_by)
    delay_all = np.where(
        censored_all, (known - history.due_date).astype(np.int64), (settled_by - history.due_date).astype(np.int64)
    ).astype(np.float64)

    parts_rows, parts_dates = [], []
    first = np.flatnonzero(base & (history.issue_date <= latest))
    parts_rows.append(first)
    parts_dates.append(history.issue_date[first])
    if with_snapshots:
        for k in snapshots_after_due:
            when = history.due_date + np.timedelta64(int(k), "D")
            still_open = censored_all | (settled_by >= when)
            sel = np.flatnonzero(base & (when <= latest) & still_open & (when > history.issue_date))
            parts_rows.append(sel)
            parts_dates.append(when[sel])
    rows = np.concatenate(parts_rows)
    dates = np.concatenate(parts_dates).astype(DAY)
    return Examples(rows, dates, delay_all[rows], censored_all[rows])
