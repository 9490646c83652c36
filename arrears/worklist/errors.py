from enum import StrEnum


class WorklistErrorCode(StrEnum):
    UNKNOWN_OUTCOME = "unknown_outcome"
    PROMISE_DETAILS_MISSING = "promise_details_missing"
    DISPUTE_DETAILS_MISSING = "dispute_details_missing"
    FOLLOW_UP_DATE_MISSING = "follow_up_date_missing"
    FOLLOW_UP_DATE_PAST = "follow_up_date_past"
    CONTACT_NOT_OF_CUSTOMER = "contact_not_of_customer"
    READ_ONLY = "read_only"
    TARGET_FORBIDDEN = "target_forbidden"
    REBALANCE_FORBIDDEN = "rebalance_forbidden"
    BAD_TARGET = "bad_target"
    BAD_ABSENCE = "bad_absence"
    EMPTY_NOTE = "empty_note"


# Codes that mean "this person may not": answered 403 by the API rather than 400.
FORBIDDEN_CODES = frozenset({
    WorklistErrorCode.READ_ONLY, WorklistErrorCode.TARGET_FORBIDDEN, WorklistErrorCode.REBALANCE_FORBIDDEN,
})


class WorklistError(Exception):
    def __init__(self, code: WorklistErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
