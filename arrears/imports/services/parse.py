"""From the raw table to typed, checked columns of our fields, vectorised with polars.

Every check is a boolean mask over the whole table; rows it flags become issues naming the row and the
file's column. Amounts are exact integers of thousandths (the ledger stores three decimals), so no
float ever touches money; the currency's own exponent limits how many decimals a cell may have.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import polars as pl
from babel.numbers import get_currency_precision

from arrears.common.money import known_currencies
from arrears.imports.errors import ImportErrorCode, ImportIssue, ImportRejected
from arrears.imports.services.reader import ROW
from arrears.imports.spec import FIELD_TYPES, REQUIRED, FieldSpec, ProfileSpec

MILLI = 1000  # amounts travel as integer thousandths: DecimalField(20, 3)
MAX_ISSUES = 10_000  # kept in the run; error_count is always the true total
ISO = "%Y-%m-%d"
HAS_PAYMENT = "_has_payment"
CUSTOMER_ATTRS = "customer.attributes"
DOCUMENT_ATTRS = "document.attributes"


@cache
def currency_exponents() -> dict[str, int]:
    return {code: int(get_currency_precision(code)) for code in known_currencies()}


class IssueLog:
    """Collects issues up to MAX_ISSUES, counting all of them."""

    def __init__(self) -> None:
        self.issues: list[ImportIssue] = []
        self.count = 0

    def add(self, issue: ImportIssue) -> None:
        self.count += 1
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(issue)

    def flag(
        self, df: pl.DataFrame, mask: pl.Expr, *, column: str | None, code: ImportErrorCode,
        message: Callable[..., str], values: tuple[str, ...] = (),
    ) -> int:
        """Add one issue per row where `mask` is true; `message` gets the row's `values` columns."""
        hits = df.filter(mask.fill_null(False))
        if hits.height == 0:
            return 0
        self.count += hits.height
        room = MAX_ISSUES - len(self.issues)
        for row, *vals in hits.head(max(room, 0)).select(ROW, *values).iter_rows():
            self.issues.append(ImportIssue(row=row, column=column, code=code, message=message(*vals)))
        return hits.height

    def raise_if_any(self) -> None:
        if self.count:
            self.issues.sort(key=lambda i: (i.row or 0, i.column or ""))
            raise ImportRejected(self.issues, total=self.count)


@dataclass
class Parsed:
    frame: pl.DataFrame  # ROW + typed columns of our fields (+ attributes JSON, HAS_PAYMENT)
    provided: set[str] = field(default_factory=set)  # fields the file or profile gives a value for
    has_payments: bool = False


def _resolve_columns(spec: ProfileSpec, table: pl.DataFrame) -> dict[str, str]:
    """Profile column name -> the file's column name (exact, else case-insensitive)."""
    present = [c for c in table.columns if c != ROW]
    lower: dict[str, list[str]] = {}
    for c in present:
        lower.setdefault(c.lower(), []).append(c)
    found: dict[str, str] = {}
    for wanted in spec.columns():
        if wanted in present:
            found[wanted] = wanted
        elif len(lower.get(wanted.lower(), [])) == 1:
            found[wanted] = lower[wanted.lower()][0]
    return found


def _check_columns(spec: ProfileSpec, found: dict[str, str], table: pl.DataFrame) -> None:
    log = IssueLog()
    have = ", ".join(c for c in table.columns if c != ROW)
    specs = list(spec.fields.values()) + [s for a in spec.attributes.values() for s in a.values()]
    for s in specs:
        if s.column and s.column not in found and not s.optional_column and s.default is None:
            log.add(ImportIssue(
                row=1, column=s.column, code=ImportErrorCode.MISSING_COLUMN,
                message=f"required column {s.column!r} (for {s.target}) is missing; the file's columns are: {have}",
            ))
    log.raise_if_any()


def _text(s: FieldSpec, found: dict[str, str], log: IssueLog, table: pl.DataFrame) -> pl.Expr | None:
    """The field as text: the mapped column (value map applied), else the constant; None if not given.

    An optional column that is absent gives nothing: its default then only fills new records.
    """
    if s.column and s.column not in found:
        return None
    if s.column and s.column in found:
        expr = pl.col(found[s.column])
        if s.value_map is not None:
            keys = [str(k) for k in s.value_map]
            log.flag(
                table, expr.is_not_null() & ~expr.is_in(keys), column=found[s.column], code=ImportErrorCode.BAD_VALUE,
                message=lambda v, keys=keys: f"{v!r} is not one of {', '.join(keys)}", values=(found[s.column],),
            )
            expr = expr.replace_strict({str(k): _as_text(v) for k, v in s.value_map.items()}, default=None,
                                       return_dtype=pl.String)
        if s.default is not None:
            expr = expr.fill_null(pl.lit(_as_text(s.default)))
        return expr
    if s.template is not None:
        return None  # built after the fields it refers to
    if s.default is not None:
        return pl.lit(_as_text(s.default), dtype=pl.String)
    return None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _template(s: FieldSpec) -> pl.Expr:
    parts = []
    for literal, ref in s.template_parts():
        if literal:
            parts.append(pl.lit(literal))
        if ref is not None:
            parts.append(pl.col(ref))
    return pl.concat_str(parts)  # null when a referenced field is null


def _example(fmt: str) -> str:
    return dt.date(2026, 1, 31).strftime(fmt)


def parse_table(table: pl.DataFrame, spec: ProfileSpec) -> Parsed:
    """Map, type and check every row; raise ImportRejected listing every problem found."""
    found = _resolve_columns(spec, table)
    _check_columns(spec, found, table)
    log = IssueLog()
    label = {t: (found.get(s.column, s.column) if s.column else t) for t, s in spec.fields.items()}

    # 1. text of every field we are given
    exprs: dict[str, pl.Expr] = {}
    for target, s in spec.fields.items():
        e = _text(s, found, log, table)
        if e is not None:
            exprs[target] = e
    df = table.select(ROW, *(e.alias(t) for t, e in exprs.items()))
    file_payment_cols = [t for t in ("payment.date", "payment.external_id", "payment.amount", "payment.method")
                         if t in exprs and spec.fields[t].column]
    templates = {t: _template(s) for t, s in spec.fields.items() if s.template is not None and t not in exprs}
    if templates:
        df = df.with_columns(e.alias(t) for t, e in templates.items())
    provided = set(df.columns) - {ROW}
    provided |= {f"{owner}.attributes" for owner, attrs in spec.attributes.items() if attrs}
    absent_defaults = {t: _as_text(s.default) for t, s in spec.fields.items()
                       if t not in provided and s.default is not None}
    has_payments = bool(file_payment_cols)
    pay_present = pl.any_horizontal([pl.col(c).is_not_null() for c in file_payment_cols]) if has_payments else pl.lit(False)
    df = df.with_columns(pay_present.alias(HAS_PAYMENT))
    for t in FIELD_TYPES:
        if t not in df.columns:
            df = df.with_columns(pl.lit(absent_defaults.get(t), dtype=pl.String).alias(t))
    # Rows without a payment have no payment fields, whatever constants or templates say.
    pay_fields = [t for t in FIELD_TYPES if t.startswith("payment.")]
    df = df.with_columns(pl.when(pl.col(HAS_PAYMENT)).then(pl.col(t)).otherwise(None).alias(t) for t in pay_fields)
    df = df.with_columns(pl.col("customer.name").fill_null(pl.col("customer.external_id")))

    # 2. required values and lengths
    required = list(REQUIRED)
    for t in required:
        log.flag(df, pl.col(t).is_null(), column=label.get(t, t), code=ImportErrorCode.REQUIRED_VALUE_MISSING,
                 message=lambda t=t: f"{t} is empty")
    if has_payments:
        for t in ("payment.external_id", "payment.date"):
            log.flag(df, pl.col(HAS_PAYMENT) & pl.col(t).is_null(), column=label.get(t, t),
                     code=ImportErrorCode.REQUIRED_VALUE_MISSING,
                     message=lambda t=t: f"{t} is empty but the row has a payment")
    for t, (kind, max_len, choices) in FIELD_TYPES.items():
        if kind == "text" and max_len:
            log.flag(df, pl.col(t).str.len_chars() > max_len, column=label.get(t, t), code=ImportErrorCode.VALUE_TOO_LONG,
                     message=lambda v, t=t, m=max_len: f"{v!r} is longer than {m} characters ({t})", values=(t,))
        if kind == "choice":
            norm = pl.col(t).str.to_lowercase().str.replace_all(r"[\s-]+", "_")
            log.flag(df, pl.col(t).is_not_null() & ~norm.is_in(list(choices or ())), column=label.get(t, t),
                     code=ImportErrorCode.BAD_VALUE,
                     message=lambda v, c=choices: f"{v!r} is not one of {', '.join(c or ())}", values=(t,))
            df = df.with_columns(norm.alias(t))
    df = df.with_columns(pl.col("customer.country").str.to_uppercase(), pl.col("document.kind").fill_null("invoice"))

    # 3. dates
    for t in ("document.issue_date", "document.due_date", "payment.date"):
        s = spec.fields.get(t)
        formats = list(dict.fromkeys([*(s.date_formats if s and s.date_formats else spec.date_formats), ISO]))
        parsed = pl.coalesce([pl.col(t).str.strptime(pl.Date, f, strict=False) for f in formats])
        parsed = pl.when(parsed.dt.year().is_between(1900, 2199)).then(parsed).otherwise(None)
        df = df.with_columns(parsed.alias("_date"))
        log.flag(df, pl.col(t).is_not_null() & pl.col("_date").is_null(), column=label.get(t, t),
                 code=ImportErrorCode.BAD_DATE,
                 message=lambda v, f=formats[0]: f"{v!r} is not a date in the format {f} (e.g. {_example(f)})",
                 values=(t,))
        df = df.with_columns(pl.col("_date").alias(t)).drop("_date")

    # 4. currency and amounts (integer thousandths)
    exps = currency_exponents()
    cur = pl.col("document.currency").str.to_uppercase()
    df = df.with_columns(cur.alias("document.currency"))
    log.flag(df, pl.col("document.currency").is_not_null() & ~pl.col("document.currency").is_in(list(exps)),
             column=label.get("document.currency"), code=ImportErrorCode.UNKNOWN_CURRENCY,
             message=lambda v: f"{v!r} is not an ISO 4217 currency code (such as EUR or USD)", values=("document.currency",))
    df = df.with_columns(
        pl.col("document.currency").replace_strict(exps, default=None, return_dtype=pl.Int64).alias("_exp")
    )
    log.flag(df, pl.col("_exp") > 3, column=label.get("document.currency"), code=ImportErrorCode.UNKNOWN_CURRENCY,
             message=lambda v: f"{v} has more decimals than the ledger stores (3)", values=("document.currency",))
    if spec.maps("payment.amount") or has_payments:
        df = df.with_columns(pl.col("payment.amount").fill_null(
            pl.when(pl.col(HAS_PAYMENT)).then(pl.col("document.amount")).otherwise(None)))
    for t in ("document.amount", "payment.amount"):
        df = _parse_amount(df, t, spec, log, label.get(t, t))
    neg_doc = pl.col("document.amount") < 0
    if spec.negative_amounts == "credit_note":
        df = df.with_columns(
            pl.when(neg_doc & (pl.col("document.kind") == "invoice")).then(pl.lit("credit_note"))
            .otherwise(pl.col("document.kind")).alias("document.kind"),
            pl.when(neg_doc & (pl.col("document.kind") == "invoice")).then(-pl.col("document.amount"))
            .otherwise(pl.col("document.amount")).alias("document.amount"),
        )
    for t in ("document.amount", "payment.amount"):
        log.flag(df, pl.col(t) < 0, column=label.get(t, t), code=ImportErrorCode.NEGATIVE_AMOUNT,
                 message=lambda v, t=t: f"{v!r} is negative; {t} must be positive"
                 + (" (profile option negative_amounts: credit_note books negative invoices as credit notes)"
                    if t == "document.amount" else ""),
                 values=(f"_raw:{t}",))
        log.flag(df, pl.col(t) == 0, column=label.get(t, t), code=ImportErrorCode.ZERO_AMOUNT,
                 message=lambda v, t=t: f"{v!r}: {t} must be greater than zero", values=(f"_raw:{t}",))

    # 5. rules across fields and rows
    log.flag(df, pl.col("document.due_date") < pl.col("document.issue_date"), column=label.get("document.due_date"),
             code=ImportErrorCode.DUE_BEFORE_ISSUE,
             message=lambda d, i: f"due date {d} is before the issue date {i}",
             values=("document.due_date", "document.issue_date"))
    # Window functions over a million keys are costly: look only at the keys that repeat.
    doc_key = pl.col("document.external_id")
    repeated = df.filter(doc_key.is_not_null() & doc_key.is_duplicated())
    if repeated.height:
        repeated = repeated.with_columns(pl.col(ROW).first().over("document.external_id").alias("_first"))
        log.flag(repeated, pl.col(ROW) != pl.col("_first"),
                 column=label.get("document.external_id"), code=ImportErrorCode.DUPLICATE_EXTERNAL_ID,
                 message=lambda v, r: f"document {v!r} appears again (first on row {r})",
                 values=("document.external_id", "_first"))
    if has_payments:
        log.flag(df, pl.col(HAS_PAYMENT) & (pl.col("document.kind") == "credit_note"),
                 column=label.get("payment.date"), code=ImportErrorCode.PAYMENT_ON_CREDIT_NOTE,
                 message=lambda v: f"credit note {v!r} cannot receive a payment", values=("document.external_id",))
        log.flag(df, pl.col("payment.amount") > pl.col("document.amount"), column=label.get("payment.amount"),
                 code=ImportErrorCode.ALLOCATION_EXCEEDS_DOCUMENT,
                 message=lambda p, d: f"payment {p} is more than the document amount {d}",
                 values=("_raw:payment.amount", "_raw:document.amount"))
        key = "payment.external_id"
        split = df.filter(pl.col(key).is_not_null() & pl.col(key).is_duplicated())  # payments on several rows
        for t in ("customer.external_id", "document.currency", "payment.date"):
            if split.height == 0:
                break
            split = split.with_columns(pl.col(t).first().over(key).alias(f"_pfirst:{t}"))
            log.flag(split, pl.col(t) != pl.col(f"_pfirst:{t}"), column=label.get(t, t),
                     code=ImportErrorCode.PAYMENT_CONFLICT,
                     message=lambda p, v, f, t=t: f"payment {p!r} has {t} {v} here but {f} on an earlier row",
                     values=(key, t, f"_pfirst:{t}"))
    log.raise_if_any()

    attrs = _attributes(table, spec, found, log)
    log.raise_if_any()
    df = df.hstack(table.with_columns(attrs).select(CUSTOMER_ATTRS, DOCUMENT_ATTRS))
    keep = [ROW, HAS_PAYMENT, *FIELD_TYPES, CUSTOMER_ATTRS, DOCUMENT_ATTRS]
    return Parsed(frame=df.select(keep), provided=provided, has_payments=has_payments)


def _parse_amount(df: pl.DataFrame, t: str, spec: ProfileSpec, log: IssueLog, column: str) -> pl.DataFrame:
    s = pl.col(t).str.replace_all(r"[\s\u00a0]", "")
    if spec.thousands_separator:
        s = s.str.replace_all(spec.thousands_separator, "", literal=True)
    if spec.decimal_separator != ".":
        s = s.str.replace(spec.decimal_separator, ".", literal=True)
    df = df.with_columns(s.alias("_n"), pl.col(t).alias(f"_raw:{t}"))
    n = pl.col("_n")
    valid = n.str.contains(r"^[+-]?(\d+\.?\d*|\.\d+)$")
    log.flag(df, n.is_not_null() & ~valid, column=column, code=ImportErrorCode.NOT_A_NUMBER,
             message=lambda v: f"{v!r} is not a number", values=(t,))
    # A valid number is digits, at most one ".", then digits: split at the ".", no regex per part.
    parts = n.str.strip_chars_start("+-").str.split_exact(".", 1)
    whole = parts.struct.field("field_0").str.strip_chars_start("0")
    frac = parts.struct.field("field_1").fill_null("").str.strip_chars_end("0")
    df = df.with_columns(whole.alias("_w"), frac.alias("_f"))
    ok = valid.fill_null(False)
    log.flag(df, ok & (pl.col("_w").str.len_bytes() > 14), column=column, code=ImportErrorCode.AMOUNT_TOO_LARGE,
             message=lambda v: f"{v!r} is too large for the ledger", values=(t,))
    log.flag(df, ok & (pl.col("_f").str.len_bytes() > pl.col("_exp")), column=column,
             code=ImportErrorCode.TOO_MANY_DECIMALS,
             message=lambda v, c, e: f"{v!r} has more than {e} decimal places for {c}",
             values=(t, "document.currency", "_exp"))
    good = ok & (pl.col("_w").str.len_bytes() <= 14) & (pl.col("_f").str.len_bytes() <= 3)
    # whole digits and three decimals side by side are the integer of thousandths ("" + "000" is 0)
    milli = pl.concat_str([pl.col("_w"), pl.col("_f").str.pad_end(3, "0")]).cast(pl.Int64, strict=False)
    value = pl.when(good).then(pl.when(n.str.starts_with("-")).then(-milli).otherwise(milli)).otherwise(None)
    return df.with_columns(value.alias(t)).drop("_n", "_w", "_f")


def _attributes(table: pl.DataFrame, spec: ProfileSpec, found: dict[str, str], log: IssueLog) -> list[pl.Expr]:
    """One JSON text per row and owner, keys sorted, so it compares equal to what the database returns."""
    out = []
    for owner, name in (("customer", CUSTOMER_ATTRS), ("document", DOCUMENT_ATTRS)):
        attrs = spec.attributes.get(owner) or {}
        fields = []
        for key in sorted(attrs):
            s = attrs[key]
            if s.column and s.column in found:
                col = pl.col(found[s.column])
                if s.value_map is not None:
                    keys = [str(k) for k in s.value_map]
                    log.flag(table, col.is_not_null() & ~col.is_in(keys), column=found[s.column],
                             code=ImportErrorCode.BAD_VALUE,
                             message=lambda v, keys=keys: f"{v!r} is not one of {', '.join(keys)}",
                             values=(found[s.column],))
                    expr = col.replace_strict(
                        {str(k): json.dumps(v) for k, v in s.value_map.items()}, default=None, return_dtype=pl.String
                    )
                else:
                    expr = pl.when(col.is_null()).then(None).otherwise(_json_string(col))
                if s.default is not None:
                    expr = expr.fill_null(pl.lit(json.dumps(s.default)))
            elif s.default is not None:
                expr = pl.lit(json.dumps(s.default))
            else:
                continue
            fields.append(pl.concat_str([pl.lit(json.dumps(key) + ": "), expr.fill_null("null")]))
        if fields:
            out.append(pl.concat_str([pl.lit("{"), pl.concat_str(fields, separator=", "), pl.lit("}")]).alias(name))
        else:
            out.append(pl.lit(None, dtype=pl.String).alias(name))
    return out


def _json_string(col: pl.Expr) -> pl.Expr:
    """JSON string literal of a text column (the escapes json.dumps makes for ordinary text)."""
    escaped = col.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)
    escaped = escaped.str.replace_all("\t", "\\t", literal=True).str.replace_all("\n", "\\n", literal=True)
    escaped = escaped.str.replace_all("\r", "\\r", literal=True)
    return pl.concat_str([pl.lit('"'), escaped, pl.lit('"')])


def attributes_text(value: dict[str, Any] | None, keys: list[str]) -> str:
    """The database side of the comparison: the same keys, the same formatting as `_attributes`."""
    value = value or {}
    return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(value.get(k), ensure_ascii=False)}" for k in sorted(keys)) + "}"

