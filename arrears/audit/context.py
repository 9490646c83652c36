"""Who is acting right now: set by the web middleware, the API, the CLI and jobs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_actor: ContextVar[Any] = ContextVar("arrears_actor", default=None)
_label: ContextVar[str] = ContextVar("arrears_actor_label", default="system")


def current_actor() -> tuple[Any, str]:
    return _actor.get(), _label.get()


@contextmanager
def acting_as(user: Any = None, label: str | None = None) -> Iterator[None]:
    t1 = _actor.set(user if user is not None and getattr(user, "is_authenticated", False) else None)
    t2 = _label.set(label or (user.get_username() if user is not None and hasattr(user, "get_username") else "system"))
    try:
        yield
    finally:
        _actor.reset(t1)
        _label.reset(t2)
