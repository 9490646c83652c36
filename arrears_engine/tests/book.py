"""A tiny in-memory ledger for scenario tests: customers, invoices and events as Python rows,
run nightly through ``plan_dunning_run``, feeding each plan back the way the Django side will
(levels, dates sent, thank-yous). Not part of the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from arrears_engine import (
    Customers,
    DunningPlan,
    DunningPolicy,
    EventKind,
    Events,
    MessageKind,
    OpenItems,
    Reason,
    plan_dunning_run,
)
from arrears_engine.tests.reference import reference_plan

CURRENCIES = ("EUR", "USD")


def assert_same_plan(actual: DunningPlan, expected: DunningPlan) -> None:
    for part in ("items", "messages", "totals"):
        a, e = getattr(actual, part), getattr(expected, part)
        for name in a.SPECS:
            x, y = getattr(a, name), getattr(e, name)
            assert x.dtype == y.dtype, f"{part}.{name}: dtype {x.dtype} != {y.dtype}"
            assert np.array_equal(x, y), f"{part}.{name}:\n engine    {x.tolist()}\n reference {y.tolist()}"


@dataclass
class Book:
    policy: DunningPolicy
    customers: list[dict] = field(default_factory=list)
    invoices: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    sent: list[tuple[date, DunningPlan]] = field(default_factory=list)

    def customer(self, strategy: int = 0, **flags: object) -> int:
        self.customers.append({"strategy": strategy, "business_unit": 0, **flags})
        return len(self.customers) - 1

    def invoice(
        self, customer: int, number: int, *, due: date, amount: int, issued: date | None = None, currency: str = "EUR"
    ) -> int:
        self.invoices.append(
            {
                "document_id": number,
                "customer": customer,
                "due_date": due,
                "issue_date": issued or due.replace(day=1),
                "open_minor": amount,
                "currency": CURRENCIES.index(currency),
                "disputed_minor": 0,
                "level": -1,
                "last_sent": None,
                "promise_covered": True,
                "plan_covered": True,
            }
        )
        return len(self.invoices) - 1

    def pay(self, number: int, amount: int) -> None:
        row = self._row(number)
        row["open_minor"] -= amount

    def dispute(self, number: int, amount: int) -> None:
        self._row(number)["disputed_minor"] = amount

    def event(self, customer: int, kind: EventKind, day: date, *, on_time: bool = False) -> None:
        self.events.append({"customer": customer, "kind": int(kind), "date": day, "on_time": on_time})

    def set(self, customer: int, **values: object) -> None:
        self.customers[customer].update(values)

    def columns(self) -> tuple[OpenItems, Customers, Events]:
        items = OpenItems.from_sequences(
            **{key: [row[key] for row in self.invoices] for key in self.invoices[0]}, currencies=CURRENCIES
        )
        keys = sorted({key for row in self.customers for key in row})
        defaults = {"promise_until": None, "last_thank_you": None, "arm": 0}
        customers = Customers.from_sequences(
            **{key: [row.get(key, defaults.get(key, False)) for row in self.customers] for key in keys}
        )
        events = (
            Events.from_sequences(**{key: [row[key] for row in self.events] for key in self.events[0]})
            if self.events
            else None
        )
        return items, customers, events

    def preview(self, as_of: date) -> DunningPlan:
        """The engine's plan, checked against the one-item-at-a-time reference on every night."""
        items, customers, events = self.columns()
        plan = plan_dunning_run(items, customers, self.policy, as_of=as_of, events=events)
        assert_same_plan(plan, reference_plan(items, customers, self.policy, as_of=as_of, events=events))
        return plan

    def run(self, as_of: date) -> DunningPlan:
        """Plan the night of ``as_of`` and record what was sent, as the nightly job will."""
        plan = self.preview(as_of)
        for i in plan.actions:
            self.invoices[i]["level"] = int(plan.items.new_level[i])
            self.invoices[i]["last_sent"] = as_of
        for m in range(len(plan.messages)):
            if plan.messages.kind[m] == MessageKind.THANK_YOU:
                self.customers[int(plan.messages.customer[m])]["last_thank_you"] = as_of
        self.sent.append((as_of, plan))
        return plan

    def _row(self, number: int) -> dict:
        return next(row for row in self.invoices if row["document_id"] == number)

    def item(self, plan: DunningPlan, number: int) -> dict:
        i = next(k for k, row in enumerate(self.invoices) if row["document_id"] == number)
        p = plan.items
        return {
            "reason": Reason(int(p.reason[i])),
            "step": int(p.step[i]),
            "due_step": int(p.due_step[i]),
            "level": int(p.new_level[i]),
            "message": int(p.message[i]),
            "dunnable": int(p.dunnable_minor[i]),
        }


def messages(plan: DunningPlan) -> list[dict]:
    m = plan.messages
    out = []
    for k in range(len(m)):
        totals = {
            plan.currencies[int(plan.totals.currency[j])]: int(plan.totals.amount_minor[j])
            for j in range(len(plan.totals))
            if plan.totals.message[j] == k
        }
        out.append(
            {
                "customer": int(m.customer[k]),
                "kind": MessageKind(int(m.kind[k])).name,
                "step": int(m.step[k]),
                "channel": int(m.channel[k]),
                "n_items": int(m.n_items[k]),
                "totals": totals,
            }
        )
    return out
