"""The cash-application core: which customer and which open documents each statement line pays.

Plain Python + numpy + polars, no Django and no database, so it can be tested and benchmarked on
its own. The caller loads the open documents ONCE into columns (`OpenDocuments`), the customers'
names and known payer IBANs (`Payers`), and the lines (`Lines`); `match_lines` answers with one
`LineMatch` per line. Money is int64 minor units throughout (ADR 0001).

Evidence, strongest first (docs/cash-application.md has the table of confidences):

1. a structured creditor reference (ISO 11649 RF) that names one of our documents or customers;
2. document numbers in the remittance text (prefix + digits, or digits alone without leading zeros);
3. the payer: a known payer IBAN (learned from earlier matches) and/or the payer's name, exact after
   stripping legal forms, or fuzzy (difflib) - then the amount: one open document of exactly that
   amount, or a unique combination of the customer's oldest open documents summing to it;
4. the amount alone (one open document in the whole ledger with that amount): a suggestion only.

Lines are matched in file order and what an automatic match allocates is taken off the open
amounts at once, so the second half of a split payment sees what the first half left.
"""

from __future__ import annotations

import difflib
import gc
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from arrears.payments.references import (
    NAME_PATTERNS,
    creditor_ref_find,
    creditor_ref_parse,
    document_number_core,
    document_number_keys,
    document_number_letters,
    name_normalise,
)

MATCHED, SUGGESTED, UNMATCHED, IGNORED = "matched", "suggested", "unmatched", "ignored"
# Prefix-less digit runs shorter than this only count within an identified customer's documents:
# "234" in "1.234,56 EUR" must not pay invoice 000234 of a stranger.
MIN_GLOBAL_DIGITS = 4


@dataclass(frozen=True, slots=True)
class MatchConfig:
    auto_threshold: float = 0.9
    suggest_threshold: float = 0.5
    subset_max_documents: int = 12
    name_min_similarity: float = 0.86
    max_candidates: int = 3


@dataclass(frozen=True)
class OpenDocuments:
    """Open debit documents, one array per column (ids ascending)."""

    ids: np.ndarray  # int64, ascending
    customer_ids: np.ndarray  # int64
    external_ids: Sequence[str]
    currencies: Sequence[str]
    open_minor: np.ndarray  # int64, > 0
    due_ordinal: np.ndarray  # int64 (date.toordinal())

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in ("customer_ids", "external_ids", "currencies", "open_minor", "due_ordinal"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"OpenDocuments.{name} has {len(getattr(self, name))} rows, ids has {n}")
        for name in ("ids", "customer_ids", "open_minor", "due_ordinal"):
            if getattr(self, name).dtype != np.int64:
                raise TypeError(f"OpenDocuments.{name} must be int64, not {getattr(self, name).dtype}")
        if n > 1 and not bool(np.all(self.ids[1:] > self.ids[:-1])):
            raise ValueError("OpenDocuments.ids must be strictly ascending")


@dataclass(frozen=True)
class Payers:
    """Who might be paying: customer names, and the payer IBANs learned per customer."""

    customer_ids: Sequence[int]
    names: Sequence[str]
    ibans: dict[str, set[int]] = field(default_factory=dict)  # IBAN (compact) -> customer ids


@dataclass(frozen=True)
class Lines:
    amount_minor: Sequence[int]
    currencies: Sequence[str]
    is_credit: Sequence[bool]
    names: Sequence[str]
    ibans: Sequence[str]
    texts: Sequence[str]
    structured_refs: Sequence[str]

    def __len__(self) -> int:
        return len(self.amount_minor)


@dataclass(slots=True)
class Candidate:
    customer_id: int
    confidence: float
    allocations: list[tuple[int, int]]  # (document id, minor units), oldest first
    unapplied_minor: int
    evidence: list[str]


@dataclass(slots=True)
class LineMatch:
    status: str
    confidence: float = 0.0
    customer_id: int | None = None
    allocations: list[tuple[int, int]] = field(default_factory=list)
    unapplied_minor: int = 0
    evidence: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)


def _money(minor: int, currency: str, exponents: dict[str, int]) -> str:
    exp = exponents.get(currency, 2)
    if exp == 0:
        return f"{minor} {currency}"
    sign, minor = ("-", -minor) if minor < 0 else ("", minor)
    whole, frac = divmod(minor, 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d} {currency}"


class MatchIndex:
    """Open documents and payers, indexed once: by document id, number, digits, customer and amount."""

    def __init__(self, docs: OpenDocuments, payers: Payers, *, exponents: dict[str, int] | None = None) -> None:
        paused = gc.isenabled()
        gc.disable()  # millions of new objects and no cycles: skip the collector's repeated passes
        try:
            self._build(docs, payers, exponents)
        finally:
            if paused:
                gc.enable()

    def _build(self, docs: OpenDocuments, payers: Payers, exponents: dict[str, int] | None) -> None:
        self.docs = docs
        self.payers = payers
        self.exponents = exponents or {}
        n = len(docs.ids)
        # Python lists for the per-line lookups: indexing a list is several times cheaper than a
        # numpy scalar. open_left is consumed by automatic matches, in file order.
        self.open_left: list[int] = docs.open_minor.tolist()
        self.ids: list[int] = docs.ids.tolist()
        self.ext = list(docs.external_ids)
        self.cur = list(docs.currencies)
        self.cust: list[int] = docs.customer_ids.tolist()
        self.due: list[int] = docs.due_ordinal.tolist()
        # One pass in polars (Rust) over a million document numbers: digit core -> positions.
        cores = pl.Series(self.ext, dtype=pl.String).str.replace_all(r"[^0-9]", "").str.strip_chars_start("0")
        self.by_core, self._groups = _multi_index(cores)
        # Per customer: positions sorted by due date then id (oldest first).
        order = np.lexsort((docs.ids, docs.due_ordinal, docs.customer_ids)) if n else np.zeros(0, np.int64)
        self.cust_order = order
        sorted_cust = docs.customer_ids[order]
        starts = np.flatnonzero(np.r_[True, sorted_cust[1:] != sorted_cust[:-1]]) if n else np.zeros(0, np.int64)
        ends = np.r_[starts[1:], n] if n else starts
        self.cust_span = dict(zip(sorted_cust[starts].tolist(), zip(starts.tolist(), ends.tolist(), strict=True), strict=True))
        self._amount_keys: np.ndarray | None = None
        self._amount_pos: np.ndarray | None = None
        self._cur_id: dict[str, int] = {}
        self._names: _CustomerNames | None = None
        self._customer_names = dict(zip(payers.customer_ids, payers.names, strict=True))

    # --------------------------------------------------------------------------------- lookups

    def position_of(self, document_id: int) -> int | None:
        i = bisect_left(self.ids, document_id)
        return i if i < len(self.ids) and self.ids[i] == document_id else None

    def customer_positions(self, customer_id: int, currency: str) -> list[int]:
        """The customer's open documents in this currency, oldest first (including ones used up here)."""
        span = self.cust_span.get(customer_id)
        if span is None:
            return []
        cur = self.cur
        return [p for p in self.cust_order[span[0]:span[1]].tolist() if cur[p] == currency]

    def amount_positions(self, minor: int, currency: str) -> list[int]:
        """Open documents (as loaded) of exactly this amount and currency, any customer."""
        if self._amount_keys is None:
            self._cur_id = {c: i for i, c in enumerate(sorted(set(self.cur)))}
            if len(self._cur_id) == 1:
                cur_ids = np.zeros(len(self.cur), dtype=np.int64)
            else:
                cur_ids = pl.Series(self.cur, dtype=pl.String).replace_strict(self._cur_id, return_dtype=pl.Int64).to_numpy()
            keys = self.docs.open_minor * 1024 + cur_ids
            self._amount_pos = np.argsort(keys, kind="stable")
            self._amount_keys = keys[self._amount_pos]
        if currency not in self._cur_id:
            return []
        key = minor * 1024 + self._cur_id[currency]
        lo, hi = np.searchsorted(self._amount_keys, [key, key + 1])
        return self._amount_pos[lo:hi].tolist() if hi - lo <= 50 else self._amount_pos[lo:lo + 50].tolist()

    def names(self) -> _CustomerNames:
        if self._names is None:
            self._names = _CustomerNames(self.payers.customer_ids, self.payers.names)
        return self._names

    def customer_name(self, customer_id: int) -> str:
        return self._customer_names.get(customer_id, f"customer {customer_id}")

    def money(self, minor: int, currency: str) -> str:
        return _money(minor, currency, self.exponents)


def _multi_index(keys: pl.Series) -> tuple[dict[str, int | tuple[int, int]], list[int]]:
    """key -> position, or (start, end) into the returned positions when several documents share it.

    Sorted and cut into groups by polars; Python only zips the results into dicts (at C speed).
    """
    frame = (pl.DataFrame({"k": keys}).with_row_index("pos").filter(pl.col("k") != "")
             .sort("k", maintain_order=True))
    if frame.height == 0:
        return {}, []
    k = frame["k"]
    first = k.ne_missing(k.shift(1)).to_numpy()
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], frame.height]
    single = (ends - starts) == 1
    group_keys = k.gather(starts)
    positions = frame["pos"].to_numpy().astype(np.int64)
    index: dict[str, int | tuple[int, int]] = dict(zip(
        group_keys.filter(pl.Series(single)).to_list(), positions[starts[single]].tolist(), strict=True))
    multi = ~single
    index.update(zip(group_keys.filter(pl.Series(multi)).to_list(),
                     zip(starts[multi].tolist(), ends[multi].tolist(), strict=True), strict=True))
    return index, positions.tolist()


def _hits(index: MatchIndex, key: str) -> list[int]:
    hit = index.by_core.get(key)
    if hit is None:
        return []
    if isinstance(hit, tuple):
        return index._groups[hit[0]:hit[1]]
    return [hit]


def _block_keys(norm: str) -> set[str]:
    """Fuzzy-lookup blocks: the first three letters of each pair of words ("acme trading" -> "acm tra").

    A typo meets its name through any pair of words it did not touch, and pairs keep blocks small
    where single common words ("global", "trading") would gather thousands of names.
    """
    prefixes = list(dict.fromkeys(token[:3] for token in norm.split() if len(token) >= 3))
    if len(prefixes) <= 1:
        return set(prefixes)
    return {f"{a} {b}" for i, a in enumerate(prefixes) for b in prefixes[i + 1:]}


class _CustomerNames:
    """Customer names with legal forms stripped: an exact dict and a token index for fuzzy lookups."""

    def __init__(self, customer_ids: Sequence[int], names: Sequence[str]) -> None:
        expr = pl.col("name").str.normalize("NFKD").str.to_lowercase()
        for pattern, repl in NAME_PATTERNS:
            expr = expr.str.replace_all(pattern, repl)
        frame = pl.DataFrame({"id": pl.Series(list(customer_ids), dtype=pl.Int64),
                              "name": pl.Series(list(names), dtype=pl.String)})
        frame = frame.with_columns(norm=expr.str.strip_chars())
        self.ids = frame["id"].to_list()
        self.norm = frame["norm"].to_list()
        self.row_of = dict(zip(self.ids, range(len(self.ids)), strict=True))
        # The inverted indexes are built in polars: a Python loop over 100k names costs seconds.
        rows = frame.select(row=pl.int_range(pl.len()), norm=pl.col("norm"))
        exact = rows.filter(pl.col("norm") != "").group_by("norm").agg(pl.col("row"))
        self.exact: dict[str, list[int]] = dict(zip(exact["norm"].to_list(), exact["row"].to_list(), strict=True))
        words = (rows.select("row", w=pl.col("norm").str.split(" ")).explode("w")
                 .filter(pl.col("w").str.len_chars() >= 3)
                 .select("row", p=pl.col("w").str.slice(0, 3))
                 .unique(maintain_order=True)
                 .with_columns(i=pl.int_range(pl.len()).over("row"), n=pl.len().over("row")))
        singles = words.filter(pl.col("n") == 1).select("row", key=pl.col("p"))
        pairs = (words.join(words, on="row", suffix="_b").filter(pl.col("i") < pl.col("i_b"))
                 .select("row", key=pl.concat_str([pl.col("p"), pl.col("p_b")], separator=" ")))
        blocks = pl.concat([singles, pairs]).group_by("key").agg(pl.col("row"))
        self.by_token: dict[str, list[int]] = dict(zip(blocks["key"].to_list(), blocks["row"].to_list(), strict=True))

    def agrees(self, name: str, customer_id: int, min_similarity: float) -> bool:
        """Is `name` this customer's name (exact after normalising, or similar enough)?"""
        row = self.row_of.get(customer_id)
        norm = name_normalise(name)
        if row is None or not norm:
            return False
        theirs = self.norm[row]
        return norm == theirs or difflib.SequenceMatcher(None, norm, theirs).ratio() >= min_similarity

    def lookup(self, name: str, min_similarity: float) -> tuple[list[int], float, bool]:
        """(customer ids, similarity, exact) for the best name; several ids when they tie."""
        norm = name_normalise(name)
        if not norm:
            return [], 0.0, False
        exact = self.exact.get(norm)
        if exact:
            return [self.ids[i] for i in exact], 1.0, True
        shared: Counter[int] = Counter()
        for key in _block_keys(norm):
            rows = self.by_token.get(key)
            if rows and len(rows) <= 500:  # a block shared by thousands of names tells nothing
                shared.update(rows)
        if not shared:
            return [], 0.0, False
        # Only the names sharing the most blocks with this one go to difflib (the slow part).
        most = max(shared.values())
        size = len(norm)
        pool = sorted((i for i, n in shared.items() if n == most), key=lambda i: abs(len(self.norm[i]) - size))[:25]
        best, best_ids = 0.0, []
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(norm)
        for i in pool:
            matcher.set_seq1(self.norm[i])
            if matcher.real_quick_ratio() < min_similarity or matcher.quick_ratio() < min_similarity:
                continue
            score = matcher.ratio()
            if score > best + 1e-9:
                best, best_ids = score, [self.ids[i]]
            elif abs(score - best) <= 1e-9:
                best_ids.append(self.ids[i])
        if best < min_similarity:
            return [], best, False
        return best_ids, best, False


# ------------------------------------------------------------------------------------------ matching


def match_lines(lines: Lines, index: MatchIndex, config: MatchConfig | None = None) -> list[LineMatch]:
    """One LineMatch per line, in order. Automatic matches consume open amounts in the index."""
    config = config or MatchConfig()
    out = []
    # The loop makes many small objects and no reference cycles; with a million-document index in
    # memory every cyclic-GC pass would walk it again (measured: a third of the time). Pause it.
    paused = gc.isenabled()
    gc.disable()
    try:
        for i in range(len(lines)):
            out.append(_match_one(index, config, int(lines.amount_minor[i]), lines.currencies[i],
                                  bool(lines.is_credit[i]), lines.names[i], lines.ibans[i], lines.texts[i],
                                  lines.structured_refs[i]))
    finally:
        if paused:
            gc.enable()
    return out


def _allocate(index: MatchIndex, positions: list[int], amount: int) -> tuple[list[tuple[int, int]], int]:
    """Oldest first within the set: (document id, minor) pairs and what is left unapplied."""
    if len(positions) == 1:  # the common case: one document
        p = positions[0]
        take = min(amount, index.open_left[p])
        return ([(index.ids[p], take)] if take > 0 else []), amount - max(take, 0)
    left = amount
    pairs = []
    due, ids = index.due, index.ids
    for p in sorted(set(positions), key=lambda q: (due[q], ids[q])):
        if left <= 0:
            break
        take = min(left, index.open_left[p])
        if take > 0:
            pairs.append((index.ids[p], take))
            left -= take
    return pairs, left


def _all_sums(values: list[int], offset: int) -> dict[int, tuple[int, int]]:
    """Every subset sum of `values` -> (bitmask of the first subset found, shifted by offset; count capped at 2)."""
    sums: dict[int, tuple[int, int]] = {0: (0, 1)}
    for i, v in enumerate(values):
        bit = 1 << (i + offset)
        for total, (mask, count) in list(sums.items()):
            prev = sums.get(total + v)
            if prev is None:
                sums[total + v] = (mask | bit, count)
            else:
                sums[total + v] = (prev[0], min(2, prev[1] + count))
    return sums


def _subset_sum(values: list[int], target: int) -> tuple[list[int] | None, int]:
    """Indexes of a subset of `values` summing to `target`, and how many subsets do (capped at 2).

    Meet in the middle: all sums of each half (2^(n/2) each), then one dict lookup per sum of the
    first half. The caller keeps n small (a customer's few oldest documents).
    """
    if target <= 0 or sum(v for v in values if 0 < v <= target) < target:
        return None, 0
    half = len(values) // 2
    left, right = _all_sums(values[:half], 0), _all_sums(values[half:], half)
    found_mask, count = None, 0
    for total, (mask, n) in left.items():
        other = right.get(target - total)
        if other is None:
            continue
        count += n * other[1]
        if found_mask is None:
            found_mask = mask | other[0]
        if count >= 2:
            break
    if found_mask is None:
        return None, 0
    return [i for i in range(len(values)) if found_mask >> i & 1], min(2, count)


def _match_one(index: MatchIndex, cfg: MatchConfig, amount: int, currency: str, is_credit: bool, name: str,
               iban: str, text: str, structured: str) -> LineMatch:
    if not is_credit:
        return LineMatch(IGNORED, evidence=["debit: money paid out, not cash received"])
    if amount <= 0:
        return LineMatch(IGNORED, evidence=["zero amount"])
    candidates: list[Candidate] = []
    evidence: list[str] = []

    # 1. Structured creditor reference (or an RF written in the text).
    ref = creditor_ref_parse(structured) if structured else None
    if ref is None:
        ref = creditor_ref_find(text) if text and "RF" in text.upper() else None
    if ref is not None and ref.kind == "document":
        pos = index.position_of(ref.target_id or 0)
        if pos is not None and index.cur[pos] == currency:
            cust = index.cust[pos]
            allocs, rest = _allocate(index, [pos], amount)
            words = [f"creditor reference {ref.reference} names {index.ext[pos]}"]
            if rest > 0:
                words.append(f"{index.money(rest, currency)} more than is open: kept as unapplied cash")
            candidates.append(Candidate(cust, 0.99, allocs, rest, words))
        elif pos is not None:
            evidence.append(f"creditor reference {ref.reference} names {index.ext[pos]}, which is in {index.cur[pos]}")
        else:
            evidence.append(f"creditor reference {ref.reference} names document {ref.target_id}, not open")
    elif ref is not None and ref.kind == "customer":
        cust = ref.target_id or 0
        positions = index.customer_positions(cust, currency)
        if cust in index._customer_names:
            allocs, rest = _allocate(index, positions, amount)
            candidates.append(Candidate(cust, 0.97, allocs, rest, [
                f"creditor reference {ref.reference} names customer {index.customer_name(cust)}",
                "allocated oldest first" + (f"; {index.money(rest, currency)} unapplied" if rest else ""),
            ]))
    elif ref is not None:
        evidence.append(f"creditor reference {ref.reference} is not one of ours")

    # The payer: known IBAN and name (used by steps 2 and 3).
    iban_custs = index.payers.ibans.get(iban, set()) if iban else set()
    name_ids: list[int] = []
    name_score, name_exact = 0.0, False

    # 2. Document numbers in the remittance text.
    if not candidates and text:
        candidates += _by_document_numbers(index, cfg, amount, currency, text, iban_custs, name)

    if not candidates and name:
        name_ids, name_score, name_exact = index.names().lookup(name, cfg.name_min_similarity)

    # 3. The payer, then the amount within the payer's documents.
    if not candidates:
        identities: dict[int, tuple[float, list[str]]] = {}
        for cust in iban_custs:
            identities[cust] = (0.8, [f"payer IBAN {iban} is known for {index.customer_name(cust)}"])
        if len(iban_custs) > 1:
            identities = {c: (0.6, [*w, f"(the IBAN is known for {len(iban_custs)} customers)"])
                          for c, (_, w) in identities.items()}
        for cust in name_ids:
            base = 0.76 if name_exact else 0.6 + 0.1 * (name_score - cfg.name_min_similarity) / max(
                1e-9, 1 - cfg.name_min_similarity)
            if len(name_ids) > 1:
                base -= 0.15
            words = [f"payer name {name!r} " + ("equals" if name_exact else f"resembles ({name_score:.0%})")
                     + f" customer {index.customer_name(cust)}"]
            if cust in identities:
                conf, prior = identities[cust]
                identities[cust] = (min(0.9, max(conf, base) + 0.1), prior + words)
            else:
                identities[cust] = (base, words)
        for cust, (conf, words) in identities.items():
            candidates.append(_by_amount_for_customer(index, cfg, cust, conf, words, amount, currency, text))

    # 4. The amount alone.
    if not candidates:
        hits = index.amount_positions(amount, currency)
        hits = [p for p in hits if index.open_left[p] >= amount]
        for p in hits[: cfg.max_candidates]:
            conf = 0.6 if len(hits) == 1 else 0.35
            candidates.append(Candidate(
                index.cust[p], conf, [(index.ids[p], amount)], 0,
                [f"the amount equals the open amount of {index.ext[p]} ({index.customer_name(index.cust[p])})"
                 + ("" if len(hits) == 1 else f", one of {len(hits)} documents with that amount")],
            ))

    if not candidates:
        return LineMatch(UNMATCHED, evidence=[*evidence, "no reference, known payer or amount found"])
    candidates.sort(key=lambda c: -c.confidence)
    best = candidates[0]
    # Two customers nearly as likely: never post automatically.
    if len(candidates) > 1 and candidates[1].confidence >= best.confidence - 0.05 and candidates[1].customer_id != best.customer_id:
        best.confidence = min(best.confidence, cfg.auto_threshold - 0.05)
        best.evidence = [*best.evidence, f"also possible: {index.customer_name(candidates[1].customer_id)}"]
    best.confidence = round(min(0.99, max(0.0, best.confidence)), 3)
    status = MATCHED if best.confidence >= cfg.auto_threshold else (
        SUGGESTED if best.confidence >= cfg.suggest_threshold else UNMATCHED)
    if status == MATCHED:
        for doc_id, minor in best.allocations:
            pos = index.position_of(doc_id)
            if pos is not None:
                index.open_left[pos] -= minor
    return LineMatch(status, best.confidence, best.customer_id, best.allocations, best.unapplied_minor,
                     [*evidence, *best.evidence], candidates[: cfg.max_candidates])


def _by_document_numbers(index: MatchIndex, cfg: MatchConfig, amount: int, currency: str, text: str,
                         iban_custs: set[int], name: str) -> list[Candidate]:
    prefixed, cores = document_number_keys(text)
    found: dict[int, tuple[float, str]] = {}  # position -> (strength, how)
    for letters, core in prefixed:
        for p in _hits(index, core):
            if document_number_letters(index.ext[p]) == letters:
                found[p] = (0.95, f"{index.ext[p]} is written in the text")
    for core in cores:
        if len(core) < MIN_GLOBAL_DIGITS:
            continue
        hits = _hits(index, core)
        strength = 0.9 if len(core) >= 5 else 0.85
        if len(hits) > 1:
            strength -= 0.1
        for p in hits:
            if p not in found:
                found[p] = (strength, f"{index.ext[p]} is written in the text as {core!r}")
    # Short numbers count only within a customer already identified: by the IBAN, the name, or
    # another number in the same text ("INV 101, 102 and 103").
    short = [c for c in cores if len(c) < MIN_GLOBAL_DIGITS]
    name_custs: set[int] = set()
    if short and not found and not iban_custs and name:
        name_custs = set(index.names().lookup(name, cfg.name_min_similarity)[0])
    if short:
        for cust in iban_custs | name_custs | {index.cust[p] for p in found}:
            for p in index.customer_positions(cust, currency):
                if document_number_core(index.ext[p]) in short and p not in found:
                    found[p] = (0.85, f"{index.ext[p]} is written in the text as a short number")
    if not found:
        return []
    by_customer: dict[int, list[int]] = defaultdict(list)
    wrong_currency = []
    for p in found:
        if index.cur[p] == currency:
            by_customer[index.cust[p]].append(p)
        else:
            wrong_currency.append(index.ext[p])
    out = []
    for cust, positions in by_customer.items():
        strength = max(found[p][0] for p in positions)
        words = [found[p][1] for p in sorted(positions, key=lambda q: (index.due[q], index.ids[q]))]
        open_total = sum(index.open_left[p] for p in positions)
        if cust in iban_custs:
            strength += 0.03
            words.append(f"the payer IBAN agrees: known for {index.customer_name(cust)}")
        elif cust in name_custs or (name and index.names().agrees(name, cust, cfg.name_min_similarity)):
            strength += 0.03
            words.append(f"the payer name agrees: {index.customer_name(cust)}")
        if open_total == amount:
            strength += 0.04
            words.append(f"the amount equals the open total {index.money(open_total, currency)}")
        elif open_total == 0:
            strength -= 0.2
            words.append("the documents named are already paid by earlier lines: possibly paid twice")
        elif amount < open_total:
            words.append(f"short-paid: {index.money(amount, currency)} of {index.money(open_total, currency)} open")
            if amount * 2 < open_total:
                strength -= 0.05
        else:
            words.append(f"over-paid: {index.money(amount - open_total, currency)} more than the open total, "
                         "kept as unapplied cash")
        allocs, rest = _allocate(index, positions, amount)
        out.append(Candidate(cust, strength, allocs, rest, words))
    if wrong_currency and not out:
        return []
    return out


def _by_amount_for_customer(index: MatchIndex, cfg: MatchConfig, cust: int, identity: float, words: list[str],
                            amount: int, currency: str, text: str) -> Candidate:
    positions = [p for p in index.customer_positions(cust, currency) if index.open_left[p] > 0]
    words = list(words)
    if not positions:
        return Candidate(cust, identity - 0.1, [], amount,
                         [*words, f"no open {currency} documents: the whole amount would be unapplied cash"])
    exact = [p for p in positions if index.open_left[p] == amount]
    if exact:
        allocs, rest = _allocate(index, exact[:1], amount)
        bonus = 0.16 if len(exact) == 1 else 0.1
        what = f"the amount equals the open amount of {index.ext[exact[0]]}"
        if len(exact) > 1:
            what += f" (the oldest of {len(exact)} documents with that amount)"
        return Candidate(cust, identity + bonus, allocs, rest, [*words, what])
    oldest = positions[: cfg.subset_max_documents]
    chosen, count = _subset_sum([index.open_left[p] for p in oldest], amount)
    if chosen is not None:
        picked = [oldest[i] for i in chosen]
        allocs, rest = _allocate(index, picked, amount)
        names = ", ".join(index.ext[p] for p in picked)
        if count == 1:
            return Candidate(cust, identity + 0.12, allocs, rest, [*words, f"the amount is the sum of {names}"])
        return Candidate(cust, identity + 0.05, allocs, rest,
                         [*words, f"the amount is the sum of {names} (other combinations also fit)"])
    allocs, rest = _allocate(index, positions, amount)
    total = sum(index.open_left[p] for p in positions)
    if amount > total:
        how = f"more than all open documents ({index.money(total, currency)}): the rest is unapplied cash"
    else:
        how = "no document or combination has this amount: allocated oldest first"
    return Candidate(cust, identity, allocs, rest, [*words, how])
