"""Statement files -> plain lines. No Django, no database: bytes in, `ParsedStatement` out.

Formats: ISO 20022 camt.053 (any camt.053.001.xx version: .02 and .08 are tested), SWIFT MT940
(parsed by the `mt940` package; the :86: details in the German ?20 sub-field layout or the
/NAME/ /IBAN/ /REMI/ tag layout), and CSV with a column mapping (`CsvProfile`).

Any problem raises `StatementError` naming the file, the line in the file and the field; a file
is parsed completely before anything is written, so a bad file leaves nothing behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

import mt940

from arrears.common.money import MoneyError, check_currency, parse_amount
from arrears.payments.errors import StatementError, StatementErrorCode

FORMATS = ("camt053", "mt940", "csv")
CAMT053_NS_PREFIX = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."


@dataclass(slots=True)
class ParsedLine:
    source_line: int
    booking_date: dt.date
    amount: Decimal  # positive
    currency: str
    is_credit: bool
    value_date: dt.date | None = None
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance_text: str = ""
    structured_reference: str = ""
    bank_reference: str = ""
    end_to_end_id: str = ""


@dataclass(slots=True)
class ParsedStatement:
    format: str
    account_iban: str = ""
    currency: str = ""
    statement_date: dt.date | None = None
    statement_ref: str = ""
    lines: list[ParsedLine] = field(default_factory=list)


@dataclass(frozen=True)
class CsvProfile:
    """Which CSV column holds what. Each field lists accepted header names (case-insensitive)."""

    date: tuple[str, ...] = ("date", "booking date", "booking_date", "buchungstag", "datum", "value date")
    amount: tuple[str, ...] = ("amount", "betrag", "credit amount")
    currency: tuple[str, ...] = ("currency", "ccy", "währung", "waehrung")
    side: tuple[str, ...] = ("credit/debit", "cdtdbtind", "side", "soll/haben", "dc")
    name: tuple[str, ...] = ("counterparty", "counterparty name", "name", "payer", "auftraggeber", "debtor")
    iban: tuple[str, ...] = ("iban", "counterparty iban", "payer iban", "debtor iban")
    text: tuple[str, ...] = ("remittance", "remittance text", "reference text", "description",
                             "verwendungszweck", "purpose", "details")
    reference: tuple[str, ...] = ("bank reference", "transaction id", "reference", "id", "ref")
    structured: tuple[str, ...] = ("creditor reference", "structured reference", "rf")
    date_formats: tuple[str, ...] = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y%m%d")
    decimal_comma: bool | None = None  # None: decide per value ("1.234,56" vs "1,234.56")
    default_currency: str = ""
    account_iban: str = ""

    @classmethod
    def from_mapping(cls, mapping: dict[str, object]) -> CsvProfile:
        """{"date": "Buchung", "amount": "Betrag", ..., "date_formats": [...], "decimal_comma": true}."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ValueError(f"unknown CSV mapping keys: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        values: dict[str, object] = {}
        for key, value in mapping.items():
            if key in {"decimal_comma", "default_currency", "account_iban"}:
                values[key] = value
            else:
                values[key] = (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]
        return replace(cls(), **values)  # type: ignore[arg-type]


def detect_format(name: str, content: bytes) -> str:
    head = content[:4096].lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith(b"<") and b"camt.053" in content[:8192]:
        return "camt053"
    if head.startswith(b"<"):
        raise StatementError(StatementErrorCode.UNKNOWN_FORMAT, "an XML file, but not camt.053", file=name)
    if (re.search(rb"(^|\n):20:", head) and b":61:" in content) or (b":25:" in head and b":60F:" in head):
        return "mt940"
    lower = name.lower()
    if lower.endswith((".sta", ".mt940", ".940")):
        return "mt940"
    if lower.endswith((".csv", ".txt")) or b"," in head or b";" in head:
        return "csv"
    raise StatementError(StatementErrorCode.UNKNOWN_FORMAT, "not camt.053, MT940 or CSV", file=name)


def statement_parse(name: str, content: bytes, *, format: str | None = None,
                    csv_profile: CsvProfile | None = None) -> ParsedStatement:
    if not content.strip():
        raise StatementError(StatementErrorCode.EMPTY_FILE, "the file is empty", file=name)
    fmt = format or detect_format(name, content)
    if fmt == "camt053":
        parsed = parse_camt053(name, content)
    elif fmt == "mt940":
        parsed = parse_mt940(name, content)
    elif fmt == "csv":
        parsed = parse_csv(name, content, csv_profile or CsvProfile())
    else:
        raise StatementError(StatementErrorCode.UNKNOWN_FORMAT, f"unknown format {fmt!r} (use {', '.join(FORMATS)})",
                             file=name)
    _derive_missing_references(parsed)
    return parsed


def _derive_missing_references(parsed: ParsedStatement) -> None:
    """Lines without a bank reference get one from their content, so the same line in an overlapping
    file is recognised; identical lines within one file stay distinct by their occurrence number."""
    seen: Counter[str] = Counter()
    for line in parsed.lines:
        if line.bank_reference:
            continue
        basis = "|".join([line.booking_date.isoformat(), str(line.amount), line.currency, "C" if line.is_credit else "D",
                          line.counterparty_iban, line.counterparty_name, line.remittance_text, line.structured_reference])
        seen[basis] += 1
        digest = hashlib.sha256(f"{basis}|{seen[basis]}".encode()).hexdigest()[:40]
        line.bank_reference = f"H:{digest}"


def _money(name: str, line: int, fieldname: str, raw: str | Decimal, currency: str) -> tuple[Decimal, str]:
    try:
        currency = check_currency(currency)
        amount = parse_amount(raw, currency)
    except MoneyError as exc:
        raise StatementError(StatementErrorCode.INVALID_VALUE, str(exc), file=name, line=line, field=fieldname) from exc
    return amount, currency


def _iban(raw: str) -> str:
    return re.sub(r"\s", "", raw or "").upper()


# ------------------------------------------------------------------------------------------ camt.053


def parse_camt053(name: str, content: bytes) -> ParsedStatement:
    if re.search(rb"<!(DOCTYPE|ENTITY)", content[:65536]):
        raise StatementError(StatementErrorCode.UNSAFE_XML, "DOCTYPE / ENTITY declarations are not accepted", file=name)
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        line, col = exc.position
        raise StatementError(StatementErrorCode.MALFORMED, f"not well-formed XML (column {col}): {exc}", file=name,
                             line=line) from exc
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if not ns.startswith(CAMT053_NS_PREFIX):
        raise StatementError(StatementErrorCode.UNKNOWN_FORMAT,
                             f"namespace {ns or '(none)'!r} is not camt.053 ({CAMT053_NS_PREFIX}xx)", file=name)
    q = f"{{{ns}}}"

    def path(p: str) -> str:
        return "/".join(q + part for part in p.split("/"))

    def text(el: ET.Element | None, p: str) -> str:
        if el is None:
            return ""
        found = el.find(path(p))
        return (found.text or "").strip() if found is not None else ""

    # Line numbers of the <Ntry> elements, in document order (ElementTree keeps none).
    ntry_lines = [content.count(b"\n", 0, m.start()) + 1 for m in re.finditer(rb"<(?:[\w.-]+:)?Ntry[\s>]", content)]
    statements = root.findall(path("BkToCstmrStmt/Stmt"))
    if not statements:
        raise StatementError(StatementErrorCode.MISSING_FIELD, "no BkToCstmrStmt/Stmt element", file=name,
                             field="BkToCstmrStmt/Stmt")
    parsed = ParsedStatement(format="camt053")
    n_entry = 0
    for stmt in statements:
        parsed.account_iban = parsed.account_iban or _iban(text(stmt, "Acct/Id/IBAN"))
        parsed.currency = parsed.currency or text(stmt, "Acct/Ccy")
        parsed.statement_ref = parsed.statement_ref or text(stmt, "Id")
        created = text(stmt, "CreDtTm")[:10] or text(stmt, "FrToDt/ToDtTm")[:10]
        if created and parsed.statement_date is None:
            parsed.statement_date = _date(name, None, "CreDtTm", created, ("%Y-%m-%d",))
        for ntry in stmt.findall(path("Ntry")):
            line_no = ntry_lines[n_entry] if n_entry < len(ntry_lines) else None
            n_entry += 1
            parsed.lines += _camt_entry(name, line_no, ntry, text, path)
    return parsed


def _camt_entry(name: str, line_no: int | None, ntry: ET.Element, text, path) -> list[ParsedLine]:  # type: ignore[no-untyped-def]
    amt = ntry.find(path("Amt"))
    if amt is None or not (amt.text or "").strip():
        raise StatementError(StatementErrorCode.MISSING_FIELD, "entry without an amount", file=name, line=line_no,
                             field="Ntry/Amt")
    amount, currency = _money(name, line_no or 0, "Ntry/Amt", (amt.text or "").strip(), amt.get("Ccy", ""))
    side = text(ntry, "CdtDbtInd")
    if side not in ("CRDT", "DBIT"):
        raise StatementError(StatementErrorCode.INVALID_VALUE, f"CdtDbtInd is {side!r}, expected CRDT or DBIT",
                             file=name, line=line_no, field="Ntry/CdtDbtInd")
    is_credit = side == "CRDT"
    if text(ntry, "RvslInd").lower() == "true":
        is_credit = not is_credit  # a reversal books the other way
    booked = text(ntry, "BookgDt/Dt") or text(ntry, "BookgDt/DtTm")[:10]
    if not booked:
        raise StatementError(StatementErrorCode.MISSING_FIELD, "entry without a booking date", file=name,
                             line=line_no, field="Ntry/BookgDt")
    booking_date = _date(name, line_no, "Ntry/BookgDt", booked, ("%Y-%m-%d",))
    valued = text(ntry, "ValDt/Dt") or text(ntry, "ValDt/DtTm")[:10]
    value_date = _date(name, line_no, "Ntry/ValDt", valued, ("%Y-%m-%d",)) if valued else None
    entry_ref = text(ntry, "AcctSvcrRef") or text(ntry, "NtryRef")
    details = ntry.findall(path("NtryDtls/TxDtls"))
    if not details:
        details = [None]  # type: ignore[list-item]
    out = []
    party, account = ("Dbtr", "DbtrAcct") if is_credit else ("Cdtr", "CdtrAcct")
    for k, tx in enumerate(details):
        tx_amount = amount
        if tx is not None and len(details) > 1:
            raw = text(tx, "AmtDtls/TxAmt/Amt") or text(tx, "Amt")
            if not raw:
                raise StatementError(StatementErrorCode.MISSING_FIELD, f"batch entry detail {k + 1} without an amount",
                                     file=name, line=line_no, field="TxDtls/AmtDtls/TxAmt/Amt")
            tx_amount, _ = _money(name, line_no or 0, "TxDtls/AmtDtls/TxAmt/Amt", raw, currency)
        if tx_amount <= 0:
            raise StatementError(StatementErrorCode.INVALID_VALUE, "the amount must be positive", file=name,
                                 line=line_no, field="Ntry/Amt")
        ustrd = [] if tx is None else [(u.text or "").strip() for u in tx.findall(path("RmtInf/Ustrd"))]
        remittance = " ".join(u for u in ustrd if u) or text(ntry, "AddtlNtryInf")
        tx_ref = text(tx, "Refs/AcctSvcrRef")
        bank_ref = tx_ref or (f"{entry_ref}/{k + 1}" if entry_ref and len(details) > 1 else entry_ref)
        out.append(ParsedLine(
            source_line=line_no or 0, booking_date=booking_date, value_date=value_date, amount=tx_amount,
            currency=currency, is_credit=is_credit,
            counterparty_name=(text(tx, f"RltdPties/{party}/Nm") or text(tx, f"RltdPties/{party}/Pty/Nm"))[:200],
            counterparty_iban=_iban(text(tx, f"RltdPties/{account}/Id/IBAN"))[:34],
            remittance_text=remittance,
            structured_reference=text(tx, "RmtInf/Strd/CdtrRefInf/Ref")[:35],
            bank_reference=bank_ref[:80],
            end_to_end_id=text(tx, "Refs/EndToEndId")[:80],
        ))
    return out


def _date(name: str, line: int | None, fieldname: str, raw: str, formats: tuple[str, ...]) -> dt.date:
    for fmt in formats:
        try:
            return dt.datetime.strptime(raw.strip(), fmt).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    raise StatementError(StatementErrorCode.INVALID_VALUE, f"{raw!r} is not a date ({' or '.join(formats)})",
                         file=name, line=line, field=fieldname)


# ------------------------------------------------------------------------------------------ MT940


def _decode(name: str, content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatementError(StatementErrorCode.MALFORMED, "cannot decode the file as text", file=name)  # pragma: no cover


def parse_mt940(name: str, content: bytes) -> ParsedStatement:
    text = _decode(name, content).replace("\r\n", "\n").replace("\r", "\n")
    raw_lines = text.split("\n")
    tx_lines = [i + 1 for i, row in enumerate(raw_lines) if row.startswith(":61:")]
    for i in tx_lines:
        if not mt940.TRANSACTION_RE.match(raw_lines[i - 1][4:]):
            raise StatementError(StatementErrorCode.MALFORMED, f"cannot read the :61: statement line {raw_lines[i - 1]!r}",
                                 file=name, line=i, field=":61:")
    for i, row in enumerate(raw_lines, start=1):
        if row.startswith((":60F:", ":60M:", ":62F:", ":62M:")) and not re.match(r":6\d[FM]:[CD]\d{6}[A-Z]{3}[\d,]+$", row.strip()):
            raise StatementError(StatementErrorCode.MALFORMED, f"cannot read the balance {row!r}", file=name, line=i,
                                 field=row[:5])
    if not tx_lines and ":20:" not in text:
        raise StatementError(StatementErrorCode.MALFORMED, "no :20: or :61: field: not an MT940 statement", file=name)
    # The package reads :60M:/:62M: intermediate balances as the F ones would be: normalise.
    normalised = re.sub(r"(?m)^:6([02])M:", r":6\1F:", text)
    try:
        statements = mt940.MT940(io.StringIO(normalised)).statements
    except (ValueError, AttributeError, InvalidOperation) as exc:
        raise StatementError(StatementErrorCode.MALFORMED, f"cannot read the MT940 file: {exc}", file=name) from exc
    parsed = ParsedStatement(format="mt940")
    n_tx = 0
    for stmt in statements:
        account = _iban(stmt.account.split("/")[-1] if "/" in stmt.account and not stmt.account[:2].isalpha()
                        else stmt.account)
        parsed.account_iban = parsed.account_iban or account[:34]
        parsed.statement_ref = parsed.statement_ref or (stmt.statement or "").strip()[:64]
        balance = stmt.start_balance or stmt.end_balance
        if balance is None:
            raise StatementError(StatementErrorCode.MISSING_FIELD, "statement without an opening balance",
                                 file=name, field=":60F:")
        currency = balance.currency
        parsed.currency = parsed.currency or currency
        if stmt.end_balance is not None:
            parsed.statement_date = stmt.end_balance.date
        for tx in stmt.transactions:
            line_no = tx_lines[n_tx] if n_tx < len(tx_lines) else 0
            n_tx += 1
            amount, currency = _money(name, line_no, ":61: amount", abs(tx.amount), currency)
            if amount <= 0:
                raise StatementError(StatementErrorCode.INVALID_VALUE, "the amount must be positive", file=name,
                                     line=line_no, field=":61: amount")
            details = mt940_details(tx.description or "")
            reference = (tx.reference or "").strip()
            bank_ref = (tx.institution_reference or "").strip()
            if not bank_ref and reference and reference.upper() != "NONREF":
                bank_ref = reference
            parsed.lines.append(ParsedLine(
                source_line=line_no, booking_date=tx.booking or tx.date, value_date=tx.date, amount=amount,
                currency=currency, is_credit=tx.amount > 0,
                counterparty_name=details.get("name", "")[:200], counterparty_iban=_iban(details.get("iban", ""))[:34],
                remittance_text=details.get("text", ""), structured_reference=details.get("structured", "")[:35],
                bank_reference=bank_ref[:80], end_to_end_id=details.get("eref", "")[:80],
            ))
    return parsed


_SEPA_KEYS = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC)\+")


def mt940_details(description: str) -> dict[str, str]:
    """The :86: field: name, IBAN, remittance text, structured reference and end-to-end id."""
    desc = description.replace("\n", "")
    out: dict[str, str] = {}
    if re.search(r"\?\d\d", desc):  # German layout: 3-digit code, then ?20..?29 purpose, ?32/?33 name, ?31 IBAN
        parts = re.split(r"\?(\d\d)", desc)
        fields: dict[str, list[str]] = {}
        for code, value in zip(parts[1::2], parts[2::2], strict=False):
            fields.setdefault(code, []).append(value)
        purpose = "".join("".join(fields.get(str(c), [])) for c in [*range(20, 30), *range(60, 64)])
        sepa = dict(zip(*[iter(_SEPA_KEYS.split(purpose)[1:])] * 2, strict=False))
        out["text"] = (sepa.get("SVWZ") or purpose).strip()
        if sepa.get("EREF") and sepa["EREF"].strip() != "NOTPROVIDED":
            out["eref"] = sepa["EREF"].strip()
        out["name"] = "".join(fields.get("32", []) + fields.get("33", [])).strip()
        out["iban"] = "".join(fields.get("31", [])).strip()
    elif "/CNTP/" in desc or "/REMI/USTD" in desc or "/REMI/STRD" in desc:  # ING layout
        info = mt940.ing_description(desc + "/")
        cntp = info.get("cntp") or {}
        remi = info.get("remi") or {}
        out["name"] = (cntp.get("name") or "").strip()
        out["iban"] = (cntp.get("account_number") or "").strip()
        remittance = (remi.get("remittance_info") or "").strip("/ ")
        if remi.get("code") == "STRD":
            out["structured"] = remittance
        else:
            out["text"] = remittance
        if info.get("eref"):
            out["eref"] = str(info["eref"]).strip()
    elif any(tag in desc for tag in ("/NAME/", "/REMI/", "/IBAN/", "/EREF/")):  # SWIFT-style tags
        info = mt940.abn_amro_description(desc)
        out["name"] = info.get("name", "").strip()
        out["iban"] = info.get("iban", "").strip()
        out["text"] = info.get("remi", "").strip()
        if info.get("eref"):
            out["eref"] = info["eref"].strip()
    else:
        out["text"] = desc.strip()
    text = out.get("text", "")
    if not out.get("structured"):
        m = re.match(r"^\s*(RF\d\d[A-Z0-9 ]{1,25})\s*$", text.upper())
        if m:
            out["structured"] = re.sub(r"\s", "", m.group(1))
    return out


# ------------------------------------------------------------------------------------------ CSV


def _amount_text(raw: str, decimal_comma: bool | None) -> str:
    # Thousands spaces, apostrophes and currency signs go; anything else stays and fails to parse.
    s = re.sub(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$", "", raw.strip())
    s = re.sub(r"[\s'\u00a0\u202f€$£¥]", "", s)
    if decimal_comma is None:
        if "," in s and "." in s:
            decimal_comma = s.rfind(",") > s.rfind(".")
        else:
            decimal_comma = bool(re.search(r",\d{1,2}$", s))
    if decimal_comma:
        return s.replace(".", "").replace(",", ".")
    return s.replace(",", "")


def parse_csv(name: str, content: bytes, profile: CsvProfile) -> ParsedStatement:
    text = _decode(name, content)
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise StatementError(StatementErrorCode.EMPTY_FILE, "no header row", file=name) from exc
    lowered = [h.strip().lower() for h in header]
    columns: dict[str, int] = {}
    for key in ("date", "amount", "currency", "side", "name", "iban", "text", "reference", "structured"):
        for alias in getattr(profile, key):
            if alias.lower() in lowered:
                columns[key] = lowered.index(alias.lower())
                break
    for required in ("date", "amount"):
        if required not in columns:
            raise StatementError(StatementErrorCode.MISSING_FIELD,
                                 f"no {required} column (looked for: {', '.join(getattr(profile, required))})",
                                 file=name, line=1, field=required)
    if "currency" not in columns and not profile.default_currency:
        raise StatementError(StatementErrorCode.MISSING_FIELD, "no currency column and no default currency",
                             file=name, line=1, field="currency")
    parsed = ParsedStatement(format="csv", account_iban=_iban(profile.account_iban),
                             currency=profile.default_currency.upper())

    def cell(row: list[str], key: str) -> str:
        i = columns.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    for row in reader:
        line_no = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            raise StatementError(StatementErrorCode.MALFORMED, f"{len(row)} columns, the header has {len(header)}",
                                 file=name, line=line_no)
        raw_amount = cell(row, "amount")
        if not raw_amount:
            raise StatementError(StatementErrorCode.MISSING_FIELD, "empty amount", file=name, line=line_no,
                                 field=header[columns["amount"]])
        currency = cell(row, "currency") or profile.default_currency
        try:
            currency = check_currency(currency)
        except MoneyError as exc:
            raise StatementError(StatementErrorCode.INVALID_VALUE, str(exc), file=name, line=line_no,
                                 field=header[columns["currency"]] if "currency" in columns else "currency") from exc
        amount, currency = _money(name, line_no, header[columns["amount"]],
                                  _amount_text(raw_amount, profile.decimal_comma), currency)
        side = cell(row, "side").upper()
        if side:
            if side in ("C", "CR", "CRDT", "CREDIT", "H", "HABEN", "+"):
                is_credit = True
            elif side in ("D", "DR", "DBIT", "DEBIT", "S", "SOLL", "-"):
                is_credit = False
            else:
                raise StatementError(StatementErrorCode.INVALID_VALUE, f"{side!r} is neither credit nor debit",
                                     file=name, line=line_no, field=header[columns["side"]])
            if amount < 0:
                is_credit, amount = not is_credit, -amount
        else:
            is_credit, amount = amount > 0, abs(amount)
        if amount == 0:
            raise StatementError(StatementErrorCode.INVALID_VALUE, "the amount is zero", file=name, line=line_no,
                                 field=header[columns["amount"]])
        parsed.lines.append(ParsedLine(
            source_line=line_no,
            booking_date=_date(name, line_no, header[columns["date"]], cell(row, "date"), profile.date_formats),
            amount=amount, currency=currency, is_credit=is_credit,
            counterparty_name=cell(row, "name")[:200], counterparty_iban=_iban(cell(row, "iban"))[:34],
            remittance_text=cell(row, "text"), structured_reference=cell(row, "structured")[:35],
            bank_reference=cell(row, "reference")[:80],
        ))
        parsed.currency = parsed.currency or currency
    if not parsed.lines:
        raise StatementError(StatementErrorCode.EMPTY_FILE, "no statement lines after the header", file=name)
    parsed.statement_date = max(line.booking_date for line in parsed.lines)
    return parsed
