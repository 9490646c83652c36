"""Listeners for "cash was applied" that live in apps above the ledger.

The ledger must not import promises or payment plans, yet a payment should settle a promise the
moment it is allocated, not only at the nightly run. Higher apps register a listener in their
AppConfig.ready(); ledger services call `payments_allocated` inside the same transaction, so a
listener's failure rolls the allocation back with it. See docs/adr/0004.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

PaymentListener = Callable[[list[int]], None]
_listeners: list[PaymentListener] = []


def payment_listener_register(listener: PaymentListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def payments_allocated(*, payment_ids: Iterable[int]) -> None:
    ids = sorted(set(payment_ids))
    if not ids:
        return
    for listener in list(_listeners):
        listener(ids)
