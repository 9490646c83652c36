"""JSON output for `--json` commands and audit snapshots: Decimals as strings, dates as ISO."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any, **kwargs: Any) -> str:
    return json.dumps(value, default=_default, **kwargs)


def jsonable(value: Any) -> Any:
    return json.loads(dumps(value))
