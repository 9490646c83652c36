"""A small fixed-window rate limiter on Django's cache (locmem by default; use a shared cache such as
Redis when several processes serve the portal, or the limit is per process)."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it.
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _key(bucket: str, ident: str, window: int) -> str:
    return f"portal-rl:{bucket}:{ident}:{int(time.time()) // window}"


def rate_limited(*, bucket: str, ident: str, limit: int, window: int) -> bool:
    """True when `ident` already used up `limit` hits of `bucket` in the current window."""
    return int(cache.get(_key(bucket, ident, window), 0)) >= limit


def rate_hit(*, bucket: str, ident: str, window: int) -> int:
    key = _key(bucket, ident, window)
    if cache.add(key, 1, timeout=window + 1):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        return 1
