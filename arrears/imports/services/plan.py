"""Compare the parsed file with the ledger: what is new, what changed, what stays. Reads only.

New records stay polars frames (they go to the database in bulk); changed records are few in
practice and become (id, before, after) triples so every update can be audited field by field.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl
from django.db.models import Model

from arrears.imports.errors import ImportErrorCode, ImportIssue
from arrears.imports.services.parse import (
    CUSTOMER_ATTRS,
    DOCUMENT_ATTRS,
    HAS_PAYMENT,
    IssueLog,
    Parsed,
    attributes_text,
)
from arrears.imports.services.reader import ROW
from arrears.imports.spec import ProfileSpec
from arrears.ledger.models import Allocation, BusinessUnit, Customer, Document, Payment

CHUNK = 5000
CUSTOMER_FIELDS = {"customer.name": "name", "customer.kind": "kind", "customer.country": "country",
                   "customer.segment": "segment", "customer.language": "language"}
DOCUMENT_FIELDS = {"document.issue_date": "issue_date", "document.due_date": "due_date",
                   "document.amount": "amount", "document.reference": "reference"}
PAYMENT_FIELDS = {"payment.date": "received_date", "payment.amount": "amount", "payment.method": "method",
                  "payment.reference": "reference"}


@dataclass
class Change:
    pk: int
    customer_id: int | None
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass
class Plan:
    new_customers: pl.DataFrame
    new_documents: pl.DataFrame
    new_payments: pl.DataFrame
    allocations: pl.DataFrame  # every allocation the file asks for: doc ext, payment ext, amount, date, currency
    customer_ids: dict[str, int] = field(default_factory=dict)  # existing customers by external id
    document_ids: dict[str, int] = field(default_factory=dict)
    payment_ids: dict[str, int] = field(default_factory=dict)
    customer_changes: list[Change] = field(default_factory=list)
    document_changes: list[Change] = field(default_factory=list)
    payment_changes: list[Change] = field(default_factory=list)
    replaced_allocation_ids: list[int] = field(default_factory=list)
    unchanged_pairs: set[tuple[str, str]] = field(default_factory=set)  # (document ext, payment ext) already there
    recompute_documents: set[int] = field(default_factory=set)
    recompute_payments: set[int] = field(default_factory=set)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def milli(value: Decimal) -> int:
    return int(value.scaleb(3))


def from_milli(value: int) -> Decimal:
    return Decimal(value).scaleb(-3)


def _existing(model: type[Model], bu: BusinessUnit | None, ids: list[str], fields: Iterable[str]) -> list[tuple]:
    """Rows of `model` in the business unit whose external id is in `ids` (external_id first)."""
    if bu is None or not ids:
        return []
    qs = model.objects.filter(business_unit=bu).order_by()
    total = qs.count()
    if total == 0:
        return []
    cols = ("external_id", *fields)
    if total <= 2 * len(ids):  # cheaper to read the unit's rows than to send the ids
        wanted = set(ids)
        return [r for r in qs.values_list(*cols).iterator(chunk_size=10_000) if r[0] in wanted]
    out: list[tuple] = []
    for i in range(0, len(ids), CHUNK):
        out.extend(qs.filter(external_id__in=ids[i : i + CHUNK]).values_list(*cols))
    return out


def _in_chunks(qs_for: Any, ids: list[int]) -> list[tuple]:
    out: list[tuple] = []
    for i in range(0, len(ids), CHUNK):
        out.extend(qs_for(ids[i : i + CHUNK]))
    return out


def plan_import(*, parsed: Parsed, spec: ProfileSpec, bu: BusinessUnit | None) -> tuple[Plan, IssueLog]:
    df = parsed.frame
    provided = parsed.provided
    log = IssueLog()
    label = {t: (s.column or t) for t, s in spec.fields.items()}

    # Customers: the first row of each customer carries its fields.
    cust = df.group_by("customer.external_id", maintain_order=True).agg(
        pl.col(ROW).first(), *(pl.col(c).first() for c in (*CUSTOMER_FIELDS, CUSTOMER_ATTRS))
    )
    cust_compare = [t for t in CUSTOMER_FIELDS if t in provided]
    attr_keys = {o: sorted(spec.attributes.get(o, {})) for o in ("customer", "document")}
    if CUSTOMER_ATTRS in provided:
        cust_compare.append(CUSTOMER_ATTRS)
    rows = _existing(Customer, bu, cust["customer.external_id"].to_list(),
                     ("id", *CUSTOMER_FIELDS.values(), "attributes"))
    existing_c = {r[0]: r for r in rows}
    customer_ids = {k: r[1] for k, r in existing_c.items()}
    customer_changes: list[Change] = []
    may_update = spec.create_customers and spec.update_customers
    if may_update and existing_c and cust_compare:
        for rec in cust.filter(pl.col("customer.external_id").is_in(list(existing_c))).iter_rows(named=True):
            old = existing_c[rec["customer.external_id"]]
            old_map = dict(zip(CUSTOMER_FIELDS.values(), old[2:7], strict=True))
            before, after = {}, {}
            for t in cust_compare:
                if t == CUSTOMER_ATTRS:
                    if attributes_text(old[7], attr_keys["customer"]) != rec[t]:
                        before["attributes"] = old[7] or {}
                        after["attributes"] = {**(old[7] or {}), **json.loads(rec[t])}
                    continue
                name = CUSTOMER_FIELDS[t]
                new = rec[t] if rec[t] is not None else ("" if name != "kind" else old_map[name])
                if new != old_map[name]:
                    before[name], after[name] = old_map[name], new
            if after:
                customer_changes.append(Change(old[1], old[1], before, after))
    # (nothing existing: the frame itself, not a filtered copy of a million rows)
    new_customers = cust.filter(~pl.col("customer.external_id").is_in(list(existing_c))) if existing_c else cust
    if not spec.create_customers and new_customers.height:
        unknown = set(new_customers["customer.external_id"].to_list())
        log.flag(df, pl.col("customer.external_id").is_in(list(unknown)), column=label["customer.external_id"],
                 code=ImportErrorCode.UNKNOWN_CUSTOMER,
                 message=lambda v: f"customer {v!r} is neither in the file nor in business unit "
                 f"{bu.code if bu else '(new)'}; profile {spec.name!r} does not create customers",
                 values=("customer.external_id",))

    # Documents
    rows = _existing(Document, bu, df["document.external_id"].to_list(),
                     ("id", "customer__external_id", "customer_id", "kind", "currency", *list(DOCUMENT_FIELDS.values()),
                      "attributes"))
    existing_d = {r[0]: r for r in rows}
    doc_compare = [t for t in DOCUMENT_FIELDS if t in provided]
    if DOCUMENT_ATTRS in provided:
        doc_compare.append(DOCUMENT_ATTRS)
    document_changes: list[Change] = []
    recompute_documents: set[int] = set()
    doc_amounts: dict[str, int] = {}
    if existing_d:
        for rec in df.filter(pl.col("document.external_id").is_in(list(existing_d))).iter_rows(named=True):
            ext = rec["document.external_id"]
            old = existing_d[ext]
            _, pk, cust_ext, cust_id, kind, currency, issue, due, amount, reference, attributes = old
            for t, was, now in (("customer.external_id", cust_ext, rec["customer.external_id"]),
                                ("document.currency", currency, rec["document.currency"]),
                                ("document.kind", kind, rec["document.kind"])):
                if was != now:
                    log.add(ImportIssue(
                        row=rec[ROW], column=label.get(t, t), code=ImportErrorCode.IMMUTABLE_FIELD_CHANGED,
                        message=f"document {ext!r} has {t} {was!r} in the ledger, the file says {now!r}; "
                        "an import cannot change it (correct it in the ledger first)",
                    ))
            old_map = {"issue_date": issue, "due_date": due, "amount": milli(amount), "reference": reference}
            before, after = {}, {}
            for t in doc_compare:
                if t == DOCUMENT_ATTRS:
                    if attributes_text(attributes, attr_keys["document"]) != rec[t]:
                        before["attributes"] = attributes or {}
                        after["attributes"] = {**(attributes or {}), **json.loads(rec[t])}
                    continue
                name = DOCUMENT_FIELDS[t]
                new = rec[t] if rec[t] is not None else ""
                if new != old_map[name]:
                    before[name], after[name] = old_map[name], new
            for d in (before, after):
                if "amount" in d:
                    d["amount"] = from_milli(d["amount"])
            if after:
                document_changes.append(Change(pk, cust_id, before, after))
                if "amount" in after:
                    recompute_documents.add(pk)
            doc_amounts[ext] = rec["document.amount"]
    new_documents = df.filter(~pl.col("document.external_id").is_in(list(existing_d))) if existing_d else df

    # Payments: one per payment id; its amount is the sum of what the rows allocate.
    pay_rows = df.filter(pl.col(HAS_PAYMENT))
    payments = pay_rows.group_by("payment.external_id", maintain_order=True).agg(
        pl.col(ROW).first(), pl.col("customer.external_id").first(), pl.col("document.currency").first(),
        pl.col("payment.date").first(), pl.col("payment.amount").sum(), pl.col("payment.method").first(),
        pl.col("payment.reference").first(),
    )
    allocations = pay_rows.select(ROW, "document.external_id", "payment.external_id", "payment.amount",
                                  "payment.date", "document.currency", "document.amount")
    rows = _existing(Payment, bu, payments["payment.external_id"].to_list(),
                     ("id", "customer__external_id", "customer_id", "currency", *PAYMENT_FIELDS.values()))
    existing_p = {r[0]: r for r in rows}
    pay_compare = [t for t in PAYMENT_FIELDS if t in provided or t == "payment.amount"]
    payment_changes: list[Change] = []
    recompute_payments: set[int] = set()
    changed_payments: set[str] = set()
    if existing_p:
        for rec in payments.filter(pl.col("payment.external_id").is_in(list(existing_p))).iter_rows(named=True):
            ext = rec["payment.external_id"]
            _, pk, cust_ext, cust_id, currency, date, amount, method, reference = existing_p[ext]
            for t, was, now in (("customer.external_id", cust_ext, rec["customer.external_id"]),
                                ("document.currency", currency, rec["document.currency"])):
                if was != now:
                    log.add(ImportIssue(
                        row=rec[ROW], column=label.get(t, t), code=ImportErrorCode.IMMUTABLE_FIELD_CHANGED,
                        message=f"payment {ext!r} has {t} {was!r} in the ledger, the file says {now!r}",
                    ))
            old_map = {"received_date": date, "amount": milli(amount), "method": method, "reference": reference}
            before, after = {}, {}
            for t in pay_compare:
                name = PAYMENT_FIELDS[t]
                new = rec[t] if rec[t] is not None else ""
                if new != old_map[name]:
                    before[name], after[name] = old_map[name], new
            for d in (before, after):
                if "amount" in d:
                    d["amount"] = from_milli(d["amount"])
            if after:
                payment_changes.append(Change(pk, cust_id, before, after))
                changed_payments.add(ext)
                recompute_payments.add(pk)

    # Allocations already in the ledger for the documents and payments the file touches.
    doc_ids = {k: r[1] for k, r in existing_d.items()}
    pay_ids = {k: r[1] for k, r in existing_p.items()}
    doc_ext_by_id = {v: k for k, v in doc_ids.items()}
    pay_ext_by_id = {v: k for k, v in pay_ids.items()}
    used_by_doc: dict[str, int] = defaultdict(int)
    credit_used: dict[str, int] = defaultdict(int)
    pair_existing: dict[tuple[str, str], list[tuple[int, int, Any]]] = defaultdict(list)
    used_by_payment: dict[str, int] = defaultdict(int)
    if doc_ids:
        for aid, doc_id, pay_id, amount, date in _in_chunks(
            lambda c: Allocation.objects.filter(document_id__in=c).values_list("id", "document_id", "payment_id", "amount", "date"),
            list(doc_ids.values()),
        ):
            d_ext = doc_ext_by_id[doc_id]
            used_by_doc[d_ext] += milli(amount)
            if pay_id in pay_ext_by_id:
                pair_existing[(d_ext, pay_ext_by_id[pay_id])].append((aid, milli(amount), date))
        for cn_id, amount in _in_chunks(
            lambda c: Allocation.objects.filter(credit_note_id__in=c).values_list("credit_note_id", "amount"),
            list(doc_ids.values()),
        ):
            credit_used[doc_ext_by_id[cn_id]] += milli(amount)
    if pay_ids:
        for pay_id, amount in _in_chunks(
            lambda c: Allocation.objects.filter(payment_id__in=c).values_list("payment_id", "amount"),
            list(pay_ids.values()),
        ):
            used_by_payment[pay_ext_by_id[pay_id]] += milli(amount)

    replaced: list[int] = []
    unchanged_pairs: set[tuple[str, str]] = set()
    doc_after = dict(used_by_doc)
    pay_after = dict(used_by_payment)
    if existing_d or existing_p:
        for _row, d_ext, p_ext, amount, date, _cur, _doc_amount in allocations.iter_rows():
            old = pair_existing.get((d_ext, p_ext))
            if old and len(old) == 1 and old[0][1] == amount and old[0][2] == date:
                unchanged_pairs.add((d_ext, p_ext))
                continue
            old_sum = sum(a for _, a, _ in old or [])
            replaced.extend(a for a, _, _ in old or [])
            if d_ext in doc_ids:
                doc_after[d_ext] = doc_after.get(d_ext, 0) - old_sum + amount
                recompute_documents.add(doc_ids[d_ext])
            if p_ext in pay_ids:
                pay_after[p_ext] = pay_after.get(p_ext, 0) - old_sum + amount
                recompute_payments.add(pay_ids[p_ext])
                if p_ext not in changed_payments:
                    changed_payments.add(p_ext)
                    payment_changes.append(Change(pay_ids[p_ext], existing_p[p_ext][3], {}, {}))
        rows_by_doc = dict(df.select("document.external_id", ROW).iter_rows())
        for d_ext, used in doc_after.items():
            new_amount = doc_amounts.get(d_ext)
            if new_amount is not None and used > new_amount:
                log.add(ImportIssue(
                    row=rows_by_doc.get(d_ext), column=label["document.amount"],
                    code=ImportErrorCode.ALLOCATION_EXCEEDS_DOCUMENT,
                    message=f"document {d_ext!r} would have {from_milli(used)} allocated, more than its amount "
                    f"{from_milli(new_amount)}",
                ))
        for d_ext, used in credit_used.items():
            if used > doc_amounts.get(d_ext, used):
                log.add(ImportIssue(
                    row=rows_by_doc.get(d_ext), column=label["document.amount"],
                    code=ImportErrorCode.ALLOCATION_EXCEEDS_DOCUMENT,
                    message=f"credit note {d_ext!r} has {from_milli(used)} applied, more than its new amount",
                ))
        pay_amounts = dict(payments.select("payment.external_id", "payment.amount").iter_rows())
        pay_rows_by_ext = dict(payments.select("payment.external_id", ROW).iter_rows())
        for p_ext, used in pay_after.items():
            if p_ext in pay_amounts and used > pay_amounts[p_ext]:
                log.add(ImportIssue(
                    row=pay_rows_by_ext[p_ext], column=label.get("payment.amount", "payment.amount"),
                    code=ImportErrorCode.ALLOCATION_EXCEEDS_PAYMENT,
                    message=f"payment {p_ext!r} is also allocated to documents not in this file; "
                    f"{from_milli(used)} allocated in all, more than its amount {from_milli(pay_amounts[p_ext])}",
                ))
    new_payments = payments.filter(~pl.col("payment.external_id").is_in(list(existing_p))) if existing_p else payments

    n_cust, n_docs, n_pays = cust.height, df.height, payments.height
    counts = {
        "customers": {"created": new_customers.height if spec.create_customers else 0,
                      "updated": len(customer_changes),
                      "unchanged": n_cust - len(customer_changes) - new_customers.height},
        "documents": {"created": new_documents.height, "updated": len(document_changes),
                      "unchanged": n_docs - new_documents.height - len(document_changes)},
        "payments": {"created": new_payments.height, "updated": len(changed_payments),
                     "unchanged": n_pays - new_payments.height - len(changed_payments)},
    }
    plan = Plan(
        new_customers=new_customers, new_documents=new_documents, new_payments=new_payments, allocations=allocations,
        customer_ids=customer_ids, document_ids=doc_ids, payment_ids=pay_ids, customer_changes=customer_changes,
        document_changes=document_changes, payment_changes=payment_changes, replaced_allocation_ids=replaced,
        unchanged_pairs=unchanged_pairs, recompute_documents=recompute_documents,
        recompute_payments=recompute_payments, counts=counts,
    )
    return plan, log
