"""Why a file was rejected: one code per kind of problem, and the issue that names row and column."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class ImportErrorCode(StrEnum):
    # The file as a whole
    UNKNOWN_PROFILE = "unknown_profile"
    BAD_PROFILE = "bad_profile"
    UNSUPPORTED_FILE_TYPE = "unsupported_file_type"
    FILE_TOO_LARGE = "file_too_large"
    EMPTY_FILE = "empty_file"
    NO_ROWS = "no_rows"
    WRONG_ENCODING = "wrong_encoding"
    MALFORMED_CSV = "malformed_csv"
    NOT_XLSX = "not_xlsx"
    MISSING_COLUMN = "missing_column"
    UNKNOWN_BUSINESS_UNIT = "unknown_business_unit"
    # One cell
    REQUIRED_VALUE_MISSING = "required_value_missing"
    BAD_DATE = "bad_date"
    NOT_A_NUMBER = "not_a_number"
    NEGATIVE_AMOUNT = "negative_amount"
    ZERO_AMOUNT = "zero_amount"
    AMOUNT_TOO_LARGE = "amount_too_large"
    TOO_MANY_DECIMALS = "too_many_decimals"
    UNKNOWN_CURRENCY = "unknown_currency"
    BAD_VALUE = "bad_value"
    VALUE_TOO_LONG = "value_too_long"
    # Rules across cells, rows or the ledger
    DUE_BEFORE_ISSUE = "due_before_issue"
    DUPLICATE_EXTERNAL_ID = "duplicate_external_id"
    UNKNOWN_CUSTOMER = "unknown_customer"
    PAYMENT_ON_CREDIT_NOTE = "payment_on_credit_note"
    PAYMENT_CONFLICT = "payment_conflict"
    ALLOCATION_EXCEEDS_DOCUMENT = "allocation_exceeds_document"
    ALLOCATION_EXCEEDS_PAYMENT = "allocation_exceeds_payment"
    IMMUTABLE_FIELD_CHANGED = "immutable_field_changed"
    WRITE_FAILED = "write_failed"


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One problem. `row` is the 1-based line of the file (the header is row 1); None for the whole file."""

    row: int | None
    column: str | None
    code: ImportErrorCode
    message: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["code"] = str(self.code)
        return data

    def __str__(self) -> str:
        where = ", ".join(p for p in (f"row {self.row}" if self.row else "", f"column {self.column!r}" if self.column else "") if p)
        return f"{where}: {self.message}" if where else self.message


class ImportRejected(Exception):
    """The file is rejected whole; `issues` says why (possibly only the first of many, see `total`)."""

    def __init__(self, issues: list[ImportIssue], total: int | None = None) -> None:
        self.issues = issues
        self.total = total if total is not None else len(issues)
        super().__init__("; ".join(str(i) for i in issues[:3]) + (" ..." if self.total > 3 else ""))


def reject(code: ImportErrorCode, message: str, *, row: int | None = None, column: str | None = None) -> ImportRejected:
    return ImportRejected([ImportIssue(row=row, column=column, code=code, message=message)])
