"""Scoring error codes."""

from __future__ import annotations

import enum


class ScoringErrorCode(enum.StrEnum):
    NOT_ENOUGH_DATA = "not_enough_data"
    NO_MODEL = "no_model"
    BAD_CUTOFF = "bad_cutoff"


class ScoringError(Exception):
    def __init__(self, code: ScoringErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.message}
