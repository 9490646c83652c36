from enum import StrEnum


class DisputeErrorCode(StrEnum):
    INVALID_TRANSITION = "invalid_transition"
    UNKNOWN_REASON = "unknown_reason"
    NO_DOCUMENTS = "no_documents"
    DUPLICATE_DOCUMENT = "duplicate_document"
    DOCUMENT_NOT_OF_CUSTOMER = "document_not_of_customer"
    NOT_A_DEBIT_DOCUMENT = "not_a_debit_document"
    CURRENCY_MISMATCH = "currency_mismatch"
    NON_POSITIVE_AMOUNT = "non_positive_amount"
    DISPUTED_EXCEEDS_OPEN = "disputed_exceeds_open"
    RESOLUTION_EXCEEDS_DISPUTED = "resolution_exceeds_disputed"
    RESOLUTION_EXCEEDS_OPEN = "resolution_exceeds_open"
    UNKNOWN_ADJUSTMENT = "unknown_adjustment"
    EMPTY_COMMENT = "empty_comment"
    ATTACHMENT_TOO_LARGE = "attachment_too_large"
    ATTACHMENT_EMPTY = "attachment_empty"
    ATTACHMENT_TYPE_NOT_ALLOWED = "attachment_type_not_allowed"
    OWNER_CANNOT_OWN = "owner_cannot_own"


class DisputeError(Exception):
    def __init__(self, code: DisputeErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
