"""Planned contacts and contexts from JSON-shaped dicts (for `arrears compliance check --json`, the API and
the what-if page). Field names are the dataclass field names; errors name the offending path, e.g.
`context.history[3].at: datetime must be timezone-aware`.

    {"contact": {"at": "2025-01-15T13:05:00Z", "channel": "phone", "debt_ids": ["D1"]},
     "context": {"profile": "us_consumer", "location": {"addresses": [{"country": "US", "region": "NY"}]}},
     "policy": {"apply_reg_f_to_first_party": false}}
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from .model import ComplianceInputError, ContactContext, PlannedContact
from .policy import Policy, policy_from_dict


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _convert(path: str, value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            if type(None) in args:
                return None
            raise ComplianceInputError(f"{path}: must not be null")
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(path, value, inner)
    if value is None:
        raise ComplianceInputError(f"{path}: must not be null")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ComplianceInputError(f"{path}: expected a list")
        return tuple(_convert(f"{path}[{i}]", v, args[0]) for i, v in enumerate(value))
    if origin is frozenset:
        if not isinstance(value, list | tuple | set | frozenset):
            raise ComplianceInputError(f"{path}: expected a list")
        return frozenset(_convert(f"{path}[{i}]", v, args[0]) for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return from_dict(hint, value, path)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError as exc:
            allowed = ", ".join(str(m.value) for m in hint)  # type: ignore[attr-defined]
            raise ComplianceInputError(f"{path}: {value!r} is not one of {allowed}") from exc
    if hint is dt.datetime:
        if isinstance(value, dt.datetime):
            parsed = value
        else:
            try:
                parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError as exc:
                raise ComplianceInputError(f"{path}: not an ISO 8601 datetime: {value!r}") from exc
        if parsed.tzinfo is None:
            raise ComplianceInputError(f"{path}: datetime must be timezone-aware, got {value!r}")
        return parsed
    if hint is dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise ComplianceInputError(f"{path}: not an ISO 8601 date: {value!r}") from exc
    if hint is dt.time:
        try:
            return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))
        except ValueError as exc:
            raise ComplianceInputError(f"{path}: not a HH:MM time: {value!r}") from exc
    if hint is Decimal:
        if isinstance(value, float):
            raise ComplianceInputError(f"{path}: give amounts as strings, not floats ({value!r})")
        try:
            return Decimal(str(value))
        except InvalidOperation as exc:
            raise ComplianceInputError(f"{path}: not a decimal amount: {value!r}") from exc
    if hint is bool:
        if not isinstance(value, bool):
            raise ComplianceInputError(f"{path}: expected true/false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ComplianceInputError(f"{path}: expected an integer, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ComplianceInputError(f"{path}: expected a string, got {value!r}")
        return value
    raise ComplianceInputError(f"{path}: unsupported field type {hint!r}")  # pragma: no cover


def from_dict[T](cls: type[T], data: Any, path: str) -> T:
    if not isinstance(data, Mapping):
        raise ComplianceInputError(f"{path}: expected an object")
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ComplianceInputError(f"{path}: unknown field(s) {', '.join(unknown)}")
    kwargs = {name: _convert(f"{path}.{name}", value, hints[name]) for name, value in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ComplianceInputError(f"{path}: {exc}") from exc


def contact_from_dict(data: Any) -> PlannedContact:
    return from_dict(PlannedContact, data, "contact")


def context_from_dict(data: Any) -> ContactContext:
    return from_dict(ContactContext, data, "context")


def request_from_dict(data: Any) -> tuple[PlannedContact, ContactContext, Policy]:
    """One what-if request: {"contact": {...}, "context": {...}, "policy": {...optional overrides}}."""
    if not isinstance(data, Mapping):
        raise ComplianceInputError("request: expected an object with 'contact' and 'context'")
    unknown = sorted(set(data) - {"contact", "context", "policy"})
    if unknown:
        raise ComplianceInputError(f"request: unknown field(s) {', '.join(unknown)}")
    for key in ("contact", "context"):
        if key not in data:
            raise ComplianceInputError(f"request.{key}: missing")
    contact = contact_from_dict(data["contact"])
    context = context_from_dict(data["context"])
    overrides = data.get("policy") or {}
    if not isinstance(overrides, Mapping):
        raise ComplianceInputError("request.policy: expected an object")
    return contact, context, policy_from_dict(context.profile, overrides)
