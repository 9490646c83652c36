"""Writes for cash application: import a statement, post automatic matches, match or ignore by hand.

The import is one transaction: the file is parsed completely, matched in memory against every open
document (loaded once, `selectors.match_index_load`), then the lines, payments and allocations are
written together. Small imports post through `ledger.services.payment_create/payment_allocate`
(audited per allocation); large ones post in bulk (`_post_bulk`) with the derived balances computed
from the allocations written in the same transaction, then notify `ledger.events.payments_allocated`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from arrears.audit.services import audit_record
from arrears.common.clock import now
from arrears.common.money import currency_exponent, from_minor, quantize, to_minor
from arrears.ledger.events import payments_allocated
from arrears.ledger.models import (
    ZERO,
    Allocation,
    AllocationSource,
    Customer,
    Document,
    DocumentKind,
    Payment,
)
from arrears.ledger.services import derive_status, payment_allocate, payment_create
from arrears.payments import conf
from arrears.payments.errors import MatchError, MatchErrorCode, StatementError, StatementErrorCode
from arrears.payments.matching import (
    IGNORED,
    MATCHED,
    LineMatch,
    Lines,
    MatchConfig,
    MatchIndex,
    match_lines,
)
from arrears.payments.models import (
    BankStatement,
    CustomerBankAccount,
    LineStatus,
    MatchMethod,
    StatementLine,
)
from arrears.payments.parsers import CsvProfile, ParsedLine, ParsedStatement, statement_parse
from arrears.payments.selectors import match_index_load

PAYMENT_METHOD = "bank transfer"


@dataclass
class ImportResult:
    statement: BankStatement | None
    report: dict[str, Any]


def payment_external_id(statement_id: int | str, position: int) -> str:
    return f"BANK-{statement_id}-{position}"


def iban_valid(iban: str) -> bool:
    try:
        IBAN(iban)
    except (SchwiftyException, ValueError):
        return False
    return True


# ------------------------------------------------------------------------------------------ import


def statement_import(
    *,
    file_name: str,
    content: bytes,
    format: str | None = None,
    csv_profile: CsvProfile | None = None,
    user: Any = None,
    dry_run: bool = False,
    config: MatchConfig | None = None,
) -> ImportResult:
    """Parse, match and (unless dry_run) post one statement file. Raises StatementError, writing nothing."""
    if len(content) > conf.max_upload_bytes():
        raise StatementError(StatementErrorCode.FILE_TOO_LARGE,
                             f"{len(content) / 1e6:.1f} MB is over the {conf.max_upload_bytes() / 1e6:.0f} MB limit",
                             file=file_name)
    sha = hashlib.sha256(content).hexdigest()
    earlier = BankStatement.objects.filter(sha256=sha).first()
    if earlier is not None:
        raise StatementError(StatementErrorCode.DUPLICATE_FILE,
                             f"this file was already imported as statement {earlier.pk} ({earlier.file_name}, "
                             f"{earlier.created_at:%Y-%m-%d %H:%M})", file=file_name)
    parsed = statement_parse(file_name, content, format=format, csv_profile=csv_profile)
    config = config or conf.match_config()
    if dry_run:
        fresh, duplicates = _drop_duplicates(parsed)
        index = match_index_load()
        matches = match_lines(_lines(fresh), index, config)
        report = _report(parsed, fresh, matches, duplicates, file_name=file_name, statement_id=None, dry_run=True)
        return ImportResult(None, report)
    with transaction.atomic():
        # Load and match inside the transaction: on SQLite it holds the write lock, on PostgreSQL the
        # posting below locks the documents it touches and never allocates more than is still open.
        fresh, duplicates = _drop_duplicates(parsed)
        index = match_index_load()
        matches = match_lines(_lines(fresh), index, config)
        statement = BankStatement.objects.create(
            file_name=file_name[:255], sha256=sha, format=parsed.format, account_iban=parsed.account_iban,
            currency=parsed.currency, statement_date=parsed.statement_date, statement_ref=parsed.statement_ref,
            imported_by=user if user is not None and user.is_authenticated else None,
            line_count=len(parsed.lines), credit_count=sum(1 for p in parsed.lines if p.is_credit),
            duplicate_count=duplicates,
        )
        rows = [_line_row(statement, position, p, m, index) for position, (p, m) in enumerate(zip(fresh, matches, strict=True), 1)]
        StatementLine.objects.bulk_create(rows, batch_size=2000)
        to_post = [(row, m) for row, m in zip(rows, matches, strict=True) if m.status == MATCHED]
        if len(to_post) >= conf.bulk_post_from():
            _post_bulk(statement, to_post)
        else:
            for row, m in to_post:
                _post_one(row, m.customer_id or 0, [(doc_id, from_minor(minor, row.currency)) for doc_id, minor in m.allocations])
        _learn_ibans([row for row, _ in to_post])
        report = _report(parsed, fresh, matches, duplicates, file_name=file_name, statement_id=statement.pk,
                         dry_run=False)
        statement.report = report
        statement.save(update_fields=["report", "updated_at"])
        audit_record(action="statement_import", obj=statement, after={k: report[k] for k in (
            "lines", "credits", "duplicates", "auto_matched", "suggested", "unmatched", "match_rate")}, actor=user
            if user is not None and user.is_authenticated else None)
    return ImportResult(statement, report)


def _drop_duplicates(parsed: ParsedStatement) -> tuple[list[ParsedLine], int]:
    """Lines whose (account, bank reference) was imported before, or repeats within the file, are skipped."""
    refs = [p.bank_reference for p in parsed.lines]
    existing: set[str] = set()
    for start in range(0, len(refs), 5000):
        existing.update(
            StatementLine.objects.filter(account_iban=parsed.account_iban, bank_reference__in=refs[start:start + 5000])
            .values_list("bank_reference", flat=True)
        )
    fresh, seen = [], set()
    for p in parsed.lines:
        if p.bank_reference in existing or p.bank_reference in seen:
            continue
        seen.add(p.bank_reference)
        fresh.append(p)
    return fresh, len(parsed.lines) - len(fresh)


def _lines(parsed: list[ParsedLine]) -> Lines:
    return Lines(
        amount_minor=[to_minor(p.amount, p.currency) for p in parsed],
        currencies=[p.currency for p in parsed],
        is_credit=[p.is_credit for p in parsed],
        names=[p.counterparty_name for p in parsed],
        ibans=[p.counterparty_iban for p in parsed],
        texts=[p.remittance_text for p in parsed],
        structured_refs=[p.structured_reference for p in parsed],
    )


def _candidates_json(m: LineMatch, index: MatchIndex, currency: str) -> list[dict[str, Any]]:
    out = []
    for c in m.candidates:
        out.append({
            "customer_id": c.customer_id,
            "customer_name": index.customer_name(c.customer_id),
            "confidence": round(c.confidence, 3),
            "allocations": [
                {"document_id": doc_id, "external_id": index.ext[pos] if (pos := index.position_of(doc_id)) is not None
                 else str(doc_id), "amount": str(from_minor(minor, currency))}
                for doc_id, minor in c.allocations
            ],
            "unapplied": str(from_minor(c.unapplied_minor, currency)),
            "evidence": c.evidence,
        })
    return out


def _line_row(statement: BankStatement, position: int, p: ParsedLine, m: LineMatch, index: MatchIndex) -> StatementLine:
    status = {MATCHED: LineStatus.MATCHED, IGNORED: LineStatus.IGNORED}.get(m.status, m.status)
    return StatementLine(
        statement=statement, account_iban=statement.account_iban, position=position, source_line=p.source_line,
        booking_date=p.booking_date, value_date=p.value_date, amount=p.amount, currency=p.currency,
        is_credit=p.is_credit, counterparty_name=p.counterparty_name, counterparty_iban=p.counterparty_iban,
        remittance_text=p.remittance_text, structured_reference=p.structured_reference,
        bank_reference=p.bank_reference, end_to_end_id=p.end_to_end_id,
        # Matched lines get their payment right after; the constraint is checked per statement, so
        # the row is written as unmatched and flipped when the payment exists.
        status=LineStatus.UNMATCHED if status == LineStatus.MATCHED else status,
        match_method=MatchMethod.NONE,
        confidence=Decimal(str(round(m.confidence, 3))),
        evidence=m.evidence, candidates=_candidates_json(m, index, p.currency),
        matched_customer_id=m.customer_id if m.status == MATCHED else None,
        ignore_reason=m.evidence[0] if m.status == IGNORED and m.evidence else "",
    )


def _report(parsed: ParsedStatement, fresh: list[ParsedLine], matches: list[LineMatch], duplicates: int, *,
            file_name: str, statement_id: int | None, dry_run: bool) -> dict[str, Any]:
    credits = [(p, m) for p, m in zip(fresh, matches, strict=True) if p.is_credit]
    auto = [(p, m) for p, m in credits if m.status == MATCHED]
    amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    credit_amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p, _ in auto:
        amounts[p.currency] += p.amount
    for p, _ in credits:
        credit_amounts[p.currency] += p.amount
    return {
        "statement_id": statement_id,
        "file_name": file_name,
        "format": parsed.format,
        "account_iban": parsed.account_iban,
        "dry_run": dry_run,
        "lines": len(parsed.lines),
        "duplicates": duplicates,
        "credits": len(credits),
        "debits": len(fresh) - len(credits),
        "credit_amount": {c: str(a) for c, a in sorted(credit_amounts.items())},
        "auto_matched": len(auto),
        "auto_matched_amount": {c: str(a) for c, a in sorted(amounts.items())},
        "suggested": sum(1 for _, m in credits if m.status == "suggested"),
        "unmatched": sum(1 for _, m in credits if m.status == "unmatched"),
        "match_rate": round(len(auto) / len(credits), 4) if credits else None,
    }


# ------------------------------------------------------------------------------------------ posting


def _locked_open(doc_ids: list[int]) -> dict[int, Document]:
    docs: dict[int, Document] = {}
    for start in range(0, len(doc_ids), 5000):
        chunk = doc_ids[start:start + 5000]
        docs.update((d.pk, d) for d in Document.objects.select_for_update().filter(pk__in=chunk).order_by("pk"))
    return docs


def _post_one(line: StatementLine, customer_id: int, allocations: list[tuple[int, Decimal]], *,
              user: Any = None, method: str = MatchMethod.AUTO) -> Payment:
    """One payment through the ledger services, allocations clamped to what is still open."""
    customer = Customer.objects.select_related("business_unit").get(pk=customer_id)
    docs = _locked_open([doc_id for doc_id, _ in allocations])
    pairs = []
    for doc_id, amount in allocations:
        doc = docs.get(doc_id)
        take = min(amount, doc.open_amount) if doc is not None else ZERO
        if take > ZERO:
            pairs.append((doc, take))
    payment = payment_create(
        business_unit=customer.business_unit, customer=customer,
        external_id=payment_external_id(line.statement_id, line.position), received_date=line.booking_date,
        amount=line.amount, currency=line.currency, method=PAYMENT_METHOD,
        reference=(line.bank_reference + " " + line.remittance_text).strip()[:200],
    )
    payment_allocate(payment=payment, allocations=pairs, date=line.booking_date)
    line.status = LineStatus.MATCHED
    line.match_method = method
    line.matched_customer = customer
    line.payment = payment
    line.matched_by = user
    line.matched_at = now()
    line.save(update_fields=["status", "match_method", "matched_customer", "payment", "matched_by", "matched_at",
                             "updated_at"])
    return payment


def _post_bulk(statement: BankStatement, to_post: list[tuple[StatementLine, LineMatch]]) -> None:
    """Many payments at once. Balances are set from the allocations written here, in this transaction."""
    doc_ids = sorted({doc_id for _, m in to_post for doc_id, _ in m.allocations})
    docs = _locked_open(doc_ids)
    open_left = {pk: d.open_amount for pk, d in docs.items()}
    customers = dict(Customer.objects.filter(pk__in={m.customer_id for _, m in to_post}).values_list("pk", "business_unit_id"))
    payments, planned = [], []
    for line, m in to_post:
        pairs = []
        for doc_id, minor in m.allocations:
            amount = min(from_minor(minor, line.currency), open_left.get(doc_id, ZERO))
            if amount > ZERO:
                open_left[doc_id] -= amount
                pairs.append((doc_id, amount))
        allocated = sum((a for _, a in pairs), ZERO)
        payments.append(Payment(
            business_unit_id=customers[m.customer_id], customer_id=m.customer_id,
            external_id=payment_external_id(statement.pk, line.position), received_date=line.booking_date,
            amount=line.amount, currency=line.currency, method=PAYMENT_METHOD,
            reference=(line.bank_reference + " " + line.remittance_text).strip()[:200],
            unapplied_amount=line.amount - allocated,
        ))
        planned.append(pairs)
    Payment.objects.bulk_create(payments, batch_size=2000)
    allocations = [
        Allocation(document_id=doc_id, source=AllocationSource.PAYMENT, payment=payment, amount=amount,
                   currency=payment.currency, date=payment.received_date)
        for payment, pairs in zip(payments, planned, strict=True) for doc_id, amount in pairs
    ]
    Allocation.objects.bulk_create(allocations, batch_size=2000)
    last_date: dict[int, dt.date] = {}
    for a in allocations:
        last_date[a.document_id] = max(a.date, last_date.get(a.document_id, a.date))
    closed = [pk for pk in last_date if open_left[pk] == ZERO]
    written_off = dict(
        Allocation.objects.filter(document_id__in=closed, source=AllocationSource.WRITE_OFF)
        .values("document_id").annotate(s=Sum("amount")).values_list("document_id", "s")
    ) if closed else {}
    stamp = now()
    ops = connection.ops
    updates = []
    for pk in last_date:
        doc = docs[pk]
        left = quantize(open_left[pk], doc.currency)
        status = derive_status(amount=doc.amount, open_amount=left, written_off=written_off.get(pk) or ZERO)
        updates.append((ops.adapt_decimalfield_value(left, 20, 3), status,
                        ops.adapt_datefield_value(last_date[pk] if left == ZERO else None),
                        ops.adapt_datetimefield_value(stamp), pk))
    table = Document._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET open_amount = %s, status = %s, closed_date = %s, updated_at = %s WHERE id = %s",
            updates,
        )
        rows = [(ops.adapt_datetimefield_value(stamp), payment.pk, line.pk) for (line, _), payment in zip(to_post, payments, strict=True)]
        cursor.executemany(
            f"UPDATE {StatementLine._meta.db_table} SET status = 'matched', match_method = 'auto', "
            "payment_id = %s, matched_at = %s WHERE id = %s",
            [(pk, at, line_pk) for at, pk, line_pk in rows],
        )
    for (line, m), payment in zip(to_post, payments, strict=True):
        line.status, line.match_method, line.payment, line.matched_at = LineStatus.MATCHED, MatchMethod.AUTO, payment, stamp
        line.matched_customer_id = m.customer_id
    payments_allocated(payment_ids=[p.pk for p in payments])


def _learn_ibans(lines: list[StatementLine]) -> None:
    """Remember the payer's IBAN for the customer a line was matched to (valid IBANs only)."""
    rows = {}
    for line in lines:
        if line.counterparty_iban and line.matched_customer_id and iban_valid(line.counterparty_iban):
            rows[(line.matched_customer_id, line.counterparty_iban)] = CustomerBankAccount(
                customer_id=line.matched_customer_id, iban=line.counterparty_iban,
                holder_name=line.counterparty_name[:200], learned_from=line,
            )
    if rows:
        CustomerBankAccount.objects.bulk_create(list(rows.values()), ignore_conflicts=True, batch_size=2000)


# ------------------------------------------------------------------------------------------ the queue


def _open_line(line: StatementLine) -> StatementLine:
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    if line.status not in (LineStatus.UNMATCHED, LineStatus.SUGGESTED):
        raise MatchError(MatchErrorCode.LINE_NOT_OPEN, f"line {line.pk} is already {line.get_status_display().lower()}")
    return line


@transaction.atomic
def statement_line_match(
    *, line: StatementLine, customer: Customer, allocations: list[tuple[Document, Decimal]] | None = None, user: Any
) -> StatementLine:
    """A person applies the line: to these documents and amounts, or (None) oldest first. Audited."""
    line = _open_line(line)
    if not line.is_credit:
        raise MatchError(MatchErrorCode.NOT_A_CREDIT, "a debit line pays nothing in: ignore it instead")
    if allocations is None:
        left, allocations = line.amount, []
        for doc in (Document.objects.filter(customer=customer, currency=line.currency, open_amount__gt=0)
                    .exclude(kind=DocumentKind.CREDIT_NOTE).order_by("due_date", "id")):
            if left <= ZERO:
                break
            take = min(left, doc.open_amount)
            allocations.append((doc, take))
            left -= take
    seen, pairs = set(), []
    for doc, amount in allocations:
        amount = Decimal(amount)
        if doc.pk in seen:
            raise MatchError(MatchErrorCode.DUPLICATE_DOCUMENT, f"{doc} appears twice")
        seen.add(doc.pk)
        if doc.customer_id != customer.pk:
            raise MatchError(MatchErrorCode.DOCUMENT_NOT_OF_CUSTOMER, f"{doc} belongs to another customer")
        if doc.currency != line.currency:
            raise MatchError(MatchErrorCode.CURRENCY_MISMATCH, f"{doc} is in {doc.currency}, the line in {line.currency}")
        if amount <= ZERO:
            raise MatchError(MatchErrorCode.NON_POSITIVE_AMOUNT, f"the amount for {doc} must be positive")
        if quantize(amount, line.currency) != amount:
            raise MatchError(MatchErrorCode.NON_POSITIVE_AMOUNT,
                             f"{amount} has more than {currency_exponent(line.currency)} decimals")
        pairs.append((doc, amount))
    total = sum((a for _, a in pairs), ZERO)
    if total > line.amount:
        raise MatchError(MatchErrorCode.ALLOCATION_EXCEEDS_LINE, f"allocating {total} exceeds the line's {line.amount}")
    docs = _locked_open([d.pk for d, _ in pairs])
    for doc, amount in pairs:
        if amount > docs[doc.pk].open_amount:
            raise MatchError(MatchErrorCode.ALLOCATION_EXCEEDS_DOCUMENT,
                             f"{amount} exceeds the open amount {docs[doc.pk].open_amount} of {doc}")
    before = {"status": line.status, "confidence": str(line.confidence)}
    payment = _post_one(line, customer.pk, [(d.pk, a) for d, a in pairs], user=user, method=MatchMethod.MANUAL)
    line.evidence = [*line.evidence, f"matched by {user.get_username() if user else 'system'}"]
    line.save(update_fields=["evidence", "updated_at"])
    _learn_ibans([line])
    audit_record(
        action="cash_match", obj=line, customer_id=customer.pk, before=before,
        after={"status": line.status, "customer": customer.external_id, "payment": payment.external_id,
               "allocations": [{"document": d.external_id, "amount": str(a)} for d, a in pairs],
               "unapplied": str(line.amount - total)},
        actor=user,
    )
    return line


@transaction.atomic
def statement_line_ignore(*, line: StatementLine, user: Any, reason: str = "") -> StatementLine:
    """Not cash to apply (a refund, an internal transfer...). Audited; nothing is posted."""
    line = _open_line(line)
    before = {"status": line.status}
    line.status = LineStatus.IGNORED
    line.ignore_reason = (reason or "ignored by hand")[:200]
    line.matched_by = user
    line.matched_at = now()
    line.match_method = MatchMethod.MANUAL
    line.save(update_fields=["status", "ignore_reason", "matched_by", "matched_at", "match_method", "updated_at"])
    audit_record(action="cash_ignore", obj=line, before=before,
                 after={"status": line.status, "reason": line.ignore_reason}, actor=user)
    return line


def statement_counts(*, statement: BankStatement) -> dict[str, Any]:
    """Live counts (manual matches included), next to the import-time report."""
    rows = statement.lines.filter(is_credit=True).values_list("status", "match_method")
    counts: dict[str, int] = defaultdict(int)
    for status, method in rows:
        counts[status] += 1
        if status == LineStatus.MATCHED:
            counts[f"matched_{method or 'auto'}"] += 1
    credits = sum(v for k, v in counts.items() if k in LineStatus.values)
    return {
        "credits": credits,
        "matched": counts[LineStatus.MATCHED],
        "matched_auto": counts["matched_auto"],
        "matched_manual": counts["matched_manual"],
        "suggested": counts[LineStatus.SUGGESTED],
        "unmatched": counts[LineStatus.UNMATCHED],
        "ignored": counts[LineStatus.IGNORED],
        "matched_rate": round(counts[LineStatus.MATCHED] / credits, 4) if credits else None,
    }
