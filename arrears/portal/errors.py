from enum import StrEnum


class PortalErrorCode(StrEnum):
    NO_DOCUMENTS = "no_documents"
    DOCUMENT_NOT_OPEN = "document_not_open"
    CURRENCY_MISMATCH = "currency_mismatch"
    PROMISE_TOO_LATE = "promise_too_late"
    PROMISE_TOO_SMALL = "promise_too_small"
    PLAN_TOO_MANY_INSTALMENTS = "plan_too_many_instalments"
    PLAN_INSTALMENT_TOO_SMALL = "plan_instalment_too_small"
    PLAN_FIRST_DUE_TOO_LATE = "plan_first_due_too_late"
    INVALID_IBAN = "invalid_iban"
    INVALID_BIC = "invalid_bic"
    METHOD_NOT_OFFERED = "method_not_offered"
    NO_PAYMENT_SETTINGS = "no_payment_settings"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    BAD_SIGNATURE = "bad_signature"
    STALE_SIGNATURE = "stale_signature"
    BAD_EVENT = "bad_event"
    UNKNOWN_CHANNEL = "unknown_channel"
    BAD_INPUT = "bad_input"


class PortalError(Exception):
    def __init__(self, code: PortalErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
