from enum import StrEnum


class PromiseErrorCode(StrEnum):
    NON_POSITIVE_AMOUNT = "non_positive_amount"
    DATE_BEFORE_MADE = "date_before_made"
    DOCUMENT_NOT_OF_CUSTOMER = "document_not_of_customer"
    NOT_A_DEBIT_DOCUMENT = "not_a_debit_document"
    CURRENCY_MISMATCH = "currency_mismatch"
    DOCUMENT_CLOSED = "document_closed"
    AMOUNT_EXCEEDS_OPEN = "amount_exceeds_open"
    NOT_PENDING = "not_pending"
    UNKNOWN_CHANNEL = "unknown_channel"


class PlanErrorCode(StrEnum):
    NO_DOCUMENTS = "no_documents"
    DOCUMENT_NOT_OF_CUSTOMER = "document_not_of_customer"
    NOT_A_DEBIT_DOCUMENT = "not_a_debit_document"
    CURRENCY_MISMATCH = "currency_mismatch"
    DOCUMENT_CLOSED = "document_closed"
    DOCUMENT_ALREADY_IN_PLAN = "document_already_in_plan"
    BAD_SCHEDULE = "bad_schedule"
    SCHEDULE_SUM_MISMATCH = "schedule_sum_mismatch"
    FEE_NOT_ALLOWED = "fee_not_allowed"
    INTEREST_NOT_ALLOWED = "interest_not_allowed"
    NOT_ALLOWED_TO_CREATE = "not_allowed_to_create"
    APPROVAL_LIMIT_EXCEEDED = "approval_limit_exceeded"
    INVALID_TRANSITION = "invalid_transition"


# Codes that mean "this person may not", answered 403 by the API rather than 400.
FORBIDDEN_CODES = frozenset({PlanErrorCode.NOT_ALLOWED_TO_CREATE, PlanErrorCode.APPROVAL_LIMIT_EXCEEDED})


class PromiseError(Exception):
    def __init__(self, code: PromiseErrorCode | PlanErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PlanError(PromiseError):
    pass
