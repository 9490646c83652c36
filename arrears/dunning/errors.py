"""Dunning error codes (enums, not free strings) and the error that carries them."""

from __future__ import annotations

from enum import StrEnum


class DunningErrorCode(StrEnum):
    INVALID_STRATEGY = "invalid_strategy"
    VERSION_FROZEN = "version_frozen"
    NO_STRATEGY = "no_strategy"
    RUN_IN_PROGRESS = "run_in_progress"
    INVALID_INPUT = "invalid_input"
    BAD_DATA = "bad_data"
    NO_FX_RATE = "no_fx_rate"


class DunningError(Exception):
    def __init__(self, code: DunningErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
