"""`evaluate(contact, context) -> Decision`: the compliance gate of COMPLIANCE.md §0.1.

Pure: no clock, no settings, no database. The caller passes the planned instant inside the contact,
the facts in the context and, optionally, a policy (defaults per jurisdiction profile).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

from .checks import Env, run_checks
from .decision import Decision, Outcome, RuleHit, combine
from .model import ComplianceInputError, ContactContext, PlannedContact
from .policy import Policy, policy_for
from .zones import candidate_zones

_MAX_NEXT_STEPS = 24


def _evaluate_once(contact: PlannedContact, ctx: ContactContext, policy: Policy) -> tuple[list[RuleHit], list[str]]:
    zones, basis = candidate_zones(ctx.location, policy.default_zones)
    env = Env.build(contact, ctx, policy, zones, basis)
    return run_checks(env)


def _next_allowed(contact: PlannedContact, ctx: ContactContext, policy: Policy, hits: list[RuleHit]) -> dt.datetime | None:
    """The earliest instant at which the same action passes every rule, if waiting alone can get there.

    Each blocking hit reports the earliest instant at which *it* would pass; the latest of those is a
    lower bound, so re-evaluating there and repeating converges on the answer (a later time can trip
    another time rule, e.g. the 7-in-7 window clears at local midnight but 08:00 is the first hour).
    """
    current = hits
    candidate: dt.datetime | None = None
    for _ in range(_MAX_NEXT_STEPS):
        blocking = [h for h in current if h.outcome == Outcome.BLOCK]
        if not blocking:
            return candidate
        waits = [h.next_allowed_at for h in blocking]
        if any(w is None for w in waits):
            return None  # a hold that time alone does not lift
        candidate = max(w for w in waits if w is not None)
        current, _ = _evaluate_once(dataclasses.replace(contact, at=candidate), ctx, policy)
    return None


def evaluate(contact: PlannedContact, context: ContactContext, policy: Policy | None = None) -> Decision:
    """Check one planned contact against every rule of its context's jurisdiction profile."""
    if not isinstance(contact, PlannedContact):
        raise ComplianceInputError(f"contact: expected PlannedContact, got {type(contact).__name__}")
    if not isinstance(context, ContactContext):
        raise ComplianceInputError(f"context: expected ContactContext, got {type(context).__name__}")
    policy = policy or policy_for(context.profile)
    if policy.profile != context.profile:
        raise ComplianceInputError(
            f"policy: profile {policy.profile.value} does not match the context's {context.profile.value}"
        )
    hits, alerts = _evaluate_once(contact, context, policy)
    outcome = combine([h.outcome for h in hits])
    next_allowed = None
    if outcome == Outcome.BLOCK:
        next_allowed = _next_allowed(contact, context, policy, hits)
    return Decision(
        outcome=outcome,
        hits=tuple(hits),
        next_allowed_at=next_allowed.astimezone(dt.UTC) if next_allowed else None,
        alerts=tuple(dict.fromkeys(alerts)),
        evaluated_at=contact.at.astimezone(dt.UTC),
    )


def evaluate_many(
    contacts: Sequence[PlannedContact],
    contexts: Sequence[ContactContext] | ContactContext,
    policies: dict[str, Policy] | None = None,
) -> list[Decision]:
    """Evaluate a batch. `contexts` is one context per contact, or a single context shared by all.
    `policies` maps profile value -> configured Policy (defaults otherwise)."""
    if isinstance(contexts, ContactContext):
        pairs: Iterable[tuple[PlannedContact, ContactContext]] = ((c, contexts) for c in contacts)
    else:
        if len(contacts) != len(contexts):
            raise ComplianceInputError(
                f"evaluate_many: {len(contacts)} contacts but {len(contexts)} contexts"
            )
        pairs = zip(contacts, contexts, strict=True)
    policies = policies or {}
    return [evaluate(c, ctx, policies.get(ctx.profile.value)) for c, ctx in pairs]
