from enum import StrEnum


class LedgerErrorCode(StrEnum):
    CURRENCY_MISMATCH = "currency_mismatch"
    CUSTOMER_MISMATCH = "customer_mismatch"
    ALLOCATION_EXCEEDS_DOCUMENT = "allocation_exceeds_document"
    ALLOCATION_EXCEEDS_PAYMENT = "allocation_exceeds_payment"
    ALLOCATION_EXCEEDS_CREDIT = "allocation_exceeds_credit"
    NOT_A_DEBIT_DOCUMENT = "not_a_debit_document"
    NOT_A_CREDIT_NOTE = "not_a_credit_note"
    NON_POSITIVE_AMOUNT = "non_positive_amount"
    NO_FX_RATE = "no_fx_rate"


class LedgerError(Exception):
    def __init__(self, code: LedgerErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
