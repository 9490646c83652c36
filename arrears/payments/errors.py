from enum import StrEnum


class StatementErrorCode(StrEnum):
    UNKNOWN_FORMAT = "unknown_format"
    MALFORMED = "malformed"
    MISSING_FIELD = "missing_field"
    INVALID_VALUE = "invalid_value"
    DUPLICATE_FILE = "duplicate_file"
    EMPTY_FILE = "empty_file"
    FILE_TOO_LARGE = "file_too_large"
    UNSAFE_XML = "unsafe_xml"


class MatchErrorCode(StrEnum):
    LINE_NOT_OPEN = "line_not_open"
    NOT_A_CREDIT = "not_a_credit"
    CURRENCY_MISMATCH = "currency_mismatch"
    DOCUMENT_NOT_OF_CUSTOMER = "document_not_of_customer"
    ALLOCATION_EXCEEDS_LINE = "allocation_exceeds_line"
    ALLOCATION_EXCEEDS_DOCUMENT = "allocation_exceeds_document"
    NON_POSITIVE_AMOUNT = "non_positive_amount"
    DUPLICATE_DOCUMENT = "duplicate_document"


class StatementError(Exception):
    """A statement file that cannot be imported. The message names the file, line and field."""

    def __init__(self, code: StatementErrorCode, message: str, *, file: str = "", line: int | None = None,
                 field: str = "") -> None:
        where = file + (f", line {line}" if line else "") + (f", field {field}" if field else "")
        full = f"{where}: {message}" if where else message
        super().__init__(full)
        self.code = code
        self.message = full
        self.file, self.line, self.field = file, line, field


class MatchError(Exception):
    def __init__(self, code: MatchErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
