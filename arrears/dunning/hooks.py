"""Where the apps above the ledger plug their facts into the nightly run (they register from ready()).

Dunning sits above promises and disputes in the layer contract, but those apps do not exist yet; the
run reads what is registered here, so they can arrive without a change to the run:

- ``dispute_source_register(loader)``: ``loader(*, document_ids: list[int], as_of: date) ->
  {document_id: Decimal disputed amount}``. Without one, a document's disputed amount is
  ``Document.attributes["disputed_amount"]`` (a decimal string), else 0. Only the disputed part of a
  document is held; the rest is dunned.
- ``promise_source_register(loader)``: ``loader(*, customer_ids: list[int], as_of: date) -> PromiseFacts``
  (active promises and payment plans, and which documents they cover).
- ``event_source_register(loader)``: ``loader(*, customer_ids: list[int], since: date, as_of: date) ->
  list[(customer_id, kind, date, on_time)]`` with ``kind`` one of promise_broken, instalment_missed,
  dispute_resolved, promise_kept. Payments received come from the ledger's allocations.
- ``touch_source_register(loader)``: ``loader(*, customer_ids: list[int], since: datetime, until: datetime)
  -> {customer_id: count}``: contacts made by people (calls logged in the worklist) in [since, until),
  counted as touches by the champion/challenger report beside the messages the runs dispatched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any


@dataclasses.dataclass(slots=True)
class PromiseFacts:
    promise_until: Mapping[int, dt.date] = dataclasses.field(default_factory=dict)  # customer -> last day
    plan_active: frozenset[int] = frozenset()  # customers with an active payment plan
    # documents the customer's promise / plan does NOT cover (default: they cover every open document)
    promise_uncovered: frozenset[int] = frozenset()
    plan_uncovered: frozenset[int] = frozenset()


DisputeLoader = Callable[..., Mapping[int, Decimal]]
PromiseLoader = Callable[..., PromiseFacts]
EventLoader = Callable[..., list[tuple[int, str, dt.date, bool]]]
TouchLoader = Callable[..., Mapping[int, int]]

_DISPUTES: list[DisputeLoader] = []
_PROMISES: list[PromiseLoader] = []
_EVENTS: list[EventLoader] = []
_TOUCHES: list[TouchLoader] = []


def _register(registry: list[Any], loader: Any) -> None:
    if loader not in registry:
        registry.append(loader)


def dispute_source_register(loader: DisputeLoader) -> None:
    _register(_DISPUTES, loader)


def promise_source_register(loader: PromiseLoader) -> None:
    _register(_PROMISES, loader)


def event_source_register(loader: EventLoader) -> None:
    _register(_EVENTS, loader)


def touch_source_register(loader: TouchLoader) -> None:
    _register(_TOUCHES, loader)


def has_touch_sources() -> bool:
    return bool(_TOUCHES)


def touches(*, customer_ids: list[int], since: dt.datetime, until: dt.datetime) -> dict[int, int]:
    out: dict[int, int] = {}
    for loader in _TOUCHES:
        for cid, n in loader(customer_ids=customer_ids, since=since, until=until).items():
            out[cid] = out.get(cid, 0) + int(n)
    return out


def sources_clear() -> None:
    """For tests."""
    _DISPUTES.clear()
    _PROMISES.clear()
    _EVENTS.clear()
    _TOUCHES.clear()


def disputed_amounts(*, document_ids: list[int], as_of: dt.date) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for loader in _DISPUTES:
        for pk, amount in loader(document_ids=document_ids, as_of=as_of).items():
            out[int(pk)] = out.get(int(pk), Decimal(0)) + Decimal(amount)
    return out


def has_dispute_sources() -> bool:
    return bool(_DISPUTES)


def promise_facts(*, customer_ids: list[int], as_of: dt.date) -> PromiseFacts:
    merged = PromiseFacts()
    for loader in _PROMISES:
        facts = loader(customer_ids=customer_ids, as_of=as_of)
        until = dict(merged.promise_until)
        for cid, day in facts.promise_until.items():
            until[cid] = max(day, until.get(cid, day))
        merged = PromiseFacts(
            promise_until=until,
            plan_active=merged.plan_active | facts.plan_active,
            promise_uncovered=merged.promise_uncovered | facts.promise_uncovered,
            plan_uncovered=merged.plan_uncovered | facts.plan_uncovered,
        )
    return merged


def extra_events(*, customer_ids: list[int], since: dt.date, as_of: dt.date) -> list[tuple[int, str, dt.date, bool]]:
    out: list[tuple[int, str, dt.date, bool]] = []
    for loader in _EVENTS:
        out.extend(loader(customer_ids=customer_ids, since=since, as_of=as_of))
    return out


def has_promise_or_event_sources() -> bool:
    return bool(_PROMISES or _EVENTS)
