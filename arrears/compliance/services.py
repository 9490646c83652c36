"""The compliance gate: every contact (automatic or manual, any channel) passes here before it happens.

    decision = compliance_gate(customer=c, channel="phone", when=at, initiated_by="manual", actor=user)
    decision.allowed, decision.outcome, decision.blocking_rules, decision.reasons, decision.decision

The facts come from the ledger (`context.py`), the rules engine decides (`rules.evaluate`), and the
decision is stored with every rule's inputs and reason (`ComplianceDecision`). `record=False` is a
what-if: the same decision, nothing written. After the contact happened, `contact_attempt_record`
adds it to the history that the frequency caps count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction

from arrears.common.clock import now
from arrears.compliance.context import (
    GateRequest,
    LedgerFacts,
    contact_context_build,
    history_days,
    ledger_facts_load,
    planned_contact_build,
    policy_for_profile,
    profile_for_customer,
    recipient_of,
)
from arrears.compliance.errors import ComplianceBlocked, ComplianceError, ComplianceErrorCode, field_of
from arrears.compliance.models import AttemptOutcome, ComplianceDecision, ContactAttempt, Direction
from arrears.compliance.rules import (
    ComplianceInputError,
    Content,
    Decision,
    DialMode,
    Initiator,
    Outcome,
    Policy,
    Profile,
    Purpose,
    RuleHit,
    combine,
    evaluate,
)
from arrears.compliance.rules.serialization import from_dict, request_from_dict
from arrears.ledger.models import BusinessUnit, Channel, Contact, Customer

PAUSED_RULE = "HOLD-PAUSED"
FACTS_RULE = "GATE-FACTS"

# ---------------------------------------------------------------------------------------------------
# Input checks: every error names the field (and the item of a batch)
# ---------------------------------------------------------------------------------------------------


def _bad(field: str, message: str) -> ComplianceError:
    return ComplianceError(ComplianceErrorCode.INVALID_INPUT, f"{field}: {message}", field=field)


def _choice(field: str, value: Any, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    if value not in allowed:
        raise _bad(field, f"{value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _aware(field: str, value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise _bad(field, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _bad(field, f"datetime must be timezone-aware, got {value.isoformat()}")
    return value


def _ids(field: str, value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise _bad(field, "expected a list of document ids")
    ids = []
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int):
            raise _bad(f"{field}[{i}]", f"expected a document id (integer), got {item!r}")
        ids.append(item)
    return tuple(dict.fromkeys(ids))


def _content(field: str, flags: Mapping[str, Any] | None) -> Content:
    if not flags:
        return Content()
    try:
        return from_dict(Content, flags, field)
    except ComplianceInputError as exc:
        raise ComplianceError(ComplianceErrorCode.INVALID_INPUT, str(exc), field=field_of(str(exc))) from exc


_GATE_KEYS = frozenset(
    {"customer", "channel", "when", "initiated_by", "contact", "purpose", "debt_ids", "content_flags", "actor",
     "source", "dial_mode"}
)


@dataclasses.dataclass(slots=True)
class _Item:
    prefix: str
    customer: Customer | int
    contact: Contact | int | None
    fields: dict[str, Any]


def _item(prefix: str, raw: Mapping[str, Any]) -> _Item:
    unknown = sorted(set(raw) - _GATE_KEYS)
    if unknown:
        raise _bad(f"{prefix}{unknown[0]}", "unknown field")
    for key in ("customer", "channel", "when"):
        if raw.get(key) is None:
            raise _bad(f"{prefix}{key}", "required")
    customer = raw["customer"]
    if not isinstance(customer, Customer) and (isinstance(customer, bool) or not isinstance(customer, int)):
        raise _bad(f"{prefix}customer", f"expected a customer or its id, got {customer!r}")
    contact = raw.get("contact")
    if contact is not None and not isinstance(contact, Contact) and (isinstance(contact, bool) or not isinstance(contact, int)):
        raise _bad(f"{prefix}contact", f"expected a contact or its id, got {contact!r}")
    fields = {
        "channel": _choice(f"{prefix}channel", raw["channel"], Channel.values),
        "when": _aware(f"{prefix}when", raw["when"]),
        "initiated_by": _choice(f"{prefix}initiated_by", raw.get("initiated_by", "automatic"), (i.value for i in Initiator)),
        "purpose": _choice(f"{prefix}purpose", raw.get("purpose", "collection"), (p.value for p in Purpose)),
        "dial_mode": _choice(f"{prefix}dial_mode", raw.get("dial_mode", "manual"), (d.value for d in DialMode)),
        "debt_ids": _ids(f"{prefix}debt_ids", raw.get("debt_ids")),
        "content": _content(f"{prefix}content_flags", raw.get("content_flags")),
        "actor": raw.get("actor"),
        "source": str(raw.get("source") or "")[:100],
    }
    return _Item(prefix, customer, contact, fields)


def _load_customers(items: list[_Item]) -> None:
    """Customer ids -> customers, in one query."""
    ids = {i.customer for i in items if isinstance(i.customer, int)}
    if not ids:
        return
    found = Customer.objects.in_bulk(sorted(ids))
    for item in items:
        if isinstance(item.customer, int):
            if item.customer not in found:
                raise ComplianceError(
                    ComplianceErrorCode.INVALID_INPUT, f"{item.prefix}customer: no customer with id {item.customer}",
                    field=f"{item.prefix}customer",
                )
            item.customer = found[item.customer]


def _request(item: _Item, facts: LedgerFacts) -> GateRequest:
    customer = item.customer
    assert isinstance(customer, Customer)
    contact = item.contact
    if contact is not None:
        contact_id = contact.pk if isinstance(contact, Contact) else contact
        match = next((c for c in facts.contacts.get(customer.pk, []) if c.pk == contact_id), None)
        if match is None:
            raise ComplianceError(
                ComplianceErrorCode.CONTACT_MISMATCH,
                f"{item.prefix}contact: contact {contact_id} is not a contact of customer {customer.pk}",
                field=f"{item.prefix}contact",
            )
        contact = match
    request = GateRequest(customer=customer, contact=contact, **item.fields)
    for i, pk in enumerate(request.debt_ids):
        doc = facts.documents.get(pk)
        if doc is None or doc.customer_id != customer.pk:
            raise ComplianceError(
                ComplianceErrorCode.INVALID_INPUT,
                f"{item.prefix}debt_ids[{i}]: document {pk} is not a document of customer {customer.pk}",
                field=f"{item.prefix}debt_ids[{i}]",
            )
    return request


# ---------------------------------------------------------------------------------------------------
# Product holds the engine does not know
# ---------------------------------------------------------------------------------------------------


def _paused_hold(decision: Decision, request: GateRequest) -> Decision:
    """Collections paused: automatic contacts stop; a person may still contact the customer (flagged)."""
    if not request.customer.paused:
        return decision
    automatic = request.initiated_by == Initiator.AUTOMATIC
    hit = RuleHit(
        PAUSED_RULE,
        Outcome.BLOCK if automatic else Outcome.ALLOW_WITH_FLAG,
        "COLLECTIONS_PAUSED",
        "collections are paused for this customer" + ("" if automatic else "; manual contact only"),
        "[POLICY] customer hold (Customer.paused)",
        {"paused": True, "initiated_by": request.initiated_by},
    )
    hits = (*decision.hits, hit)
    outcome = combine([h.outcome for h in hits])
    return Decision(
        outcome=outcome,
        hits=hits,
        next_allowed_at=None if automatic else decision.next_allowed_at,  # lifted by a person, not by time
        alerts=decision.alerts,
        evaluated_at=decision.evaluated_at,
    )


def _unusable_facts(request: GateRequest, exc: ComplianceInputError) -> Decision:
    """The ledger holds a fact the rules cannot read (an unknown time zone, a country without a holiday
    calendar): fail closed with REVIEW and say which, rather than stop a whole batch."""
    hit = RuleHit(
        FACTS_RULE, Outcome.REVIEW, "INVALID_FACTS", f"the customer's data cannot be checked: {exc}",
        "[POLICY] fail closed", {"customer_id": request.customer.pk},
    )
    return Decision(outcome=Outcome.REVIEW, hits=(hit,), evaluated_at=request.when.astimezone(dt.UTC))


# ---------------------------------------------------------------------------------------------------
# The gate
# ---------------------------------------------------------------------------------------------------


def _reasons(decision: Decision) -> str:
    failing = [h for h in decision.hits if h.outcome != Outcome.ALLOW]
    if not failing:
        checked = ", ".join(dict.fromkeys(h.rule_id for h in decision.hits)) or "no rule applies"
        return f"All checks passed ({checked})."
    return "\n".join(f"{h.rule_id} [{h.outcome.value}] {h.code}: {h.message}" for h in failing)


def _row(request: GateRequest, decision: Decision, recipient: Contact | None, decided_at: dt.datetime) -> ComplianceDecision:
    noted = dict.fromkeys(h.rule_id for h in decision.hits if h.outcome != Outcome.ALLOW)
    keys = "|" + "|".join(noted) + "|" if noted else ""
    row = ComplianceDecision(
        at=decided_at,
        customer=request.customer,
        contact=recipient,
        channel=request.channel,
        planned_at=request.when,
        initiated_by=request.initiated_by,
        purpose=request.purpose,
        debt_ids=list(request.debt_ids),
        allowed=decision.allowed,
        outcome=decision.outcome.value,
        blocking_rules=list(decision.blocking_rule_ids),
        rule_keys=keys[:500],
        reasons=_reasons(decision),
        next_allowed_at=decision.next_allowed_at,
        decision=decision.to_dict(),
        actor=request.actor if getattr(request.actor, "pk", None) else None,
        source=request.source,
    )
    row.result = decision  # the engine's Decision object, for callers that want more than the JSON
    return row


def compliance_gate_many(
    *, items: Sequence[Mapping[str, Any]], record: bool = True
) -> list[ComplianceDecision]:
    """Gate many planned contacts with a fixed number of queries (the nightly run).

    Each item has the keyword arguments of `compliance_gate` (customer may be an id, contact too).
    Errors name the item: `items[3].channel: 'fax' is not one of ...`; nothing is written then.
    """
    parsed = [_item(f"items[{i}].", raw) for i, raw in enumerate(items)]
    return _gate(parsed, record=record)


def _gate(parsed: list[_Item], *, record: bool) -> list[ComplianceDecision]:
    if not parsed:
        return []
    _load_customers(parsed)
    customers = [i.customer for i in parsed]
    assert all(isinstance(c, Customer) for c in customers)
    units = BusinessUnit.objects.in_bulk(sorted({c.business_unit_id for c in customers}))  # type: ignore[union-attr]
    profiles: dict[int, Profile] = {}
    policies: dict[Profile, Policy] = {}
    for customer in customers:
        assert isinstance(customer, Customer)
        profile = profile_for_customer(customer, units.get(customer.business_unit_id))
        profiles[customer.pk] = profile
        if profile not in policies:
            try:
                policies[profile] = policy_for_profile(profile)
            except ComplianceInputError as exc:
                raise ComplianceError(
                    ComplianceErrorCode.INVALID_INPUT, f"settings.COMPLIANCE_POLICIES[{profile.value!r}]: {exc}"
                ) from exc
    whens = [i.fields["when"] for i in parsed]
    lookback = dt.timedelta(days=max(history_days(p) for p in policies.values()))
    facts = ledger_facts_load(
        customer_ids=[c.pk for c in customers],  # type: ignore[union-attr]
        business_units=units,
        since=min(whens) - lookback,
        until=max(whens),
        document_ids=[d for i in parsed for d in i.fields["debt_ids"]],
    )
    decided_at = now()
    rows = []
    for item in parsed:
        request = _request(item, facts)
        profile = profiles[request.customer.pk]
        try:
            planned = planned_contact_build(request, facts)
            context = contact_context_build(request, facts, profile)
            decision = evaluate(planned, context, policies[profile])
        except ComplianceInputError as exc:
            decision = _unusable_facts(request, exc)
        rows.append(_row(request, _paused_hold(decision, request), recipient_of(request, facts), decided_at))
    if record:
        with transaction.atomic():
            created = ComplianceDecision.objects.bulk_create(rows)
        for row, saved in zip(rows, created, strict=True):
            row.pk = saved.pk
    return rows


def compliance_gate(
    *,
    customer: Customer,
    channel: str,
    when: dt.datetime,
    initiated_by: str = "automatic",
    contact: Contact | None = None,
    purpose: str = "collection",
    debt_ids: list[int] | None = None,
    content_flags: dict[str, Any] | None = None,
    actor: Any = None,
    record: bool = True,
    source: str = "",
    dial_mode: str = "manual",
) -> ComplianceDecision:
    """Check one planned contact and (unless record=False) store the decision.

    `contact` is the person addressed (default: the customer's primary contact); `debt_ids` are the
    documents it is about (default: every open one); `content_flags` describe the rendered message
    (`rules.Content` fields, e.g. {"opt_out_statement": false}). Raises ComplianceError on bad input."""
    raw = {
        "customer": customer, "channel": channel, "when": when, "initiated_by": initiated_by, "contact": contact,
        "purpose": purpose, "debt_ids": debt_ids, "content_flags": content_flags, "actor": actor,
        "source": source, "dial_mode": dial_mode,
    }
    return _gate([_item("", raw)], record=record)[0]


def manual_contact_check_or_raise(
    *,
    customer: Customer,
    channel: str,
    when: dt.datetime,
    actor: Any = None,
    contact: Contact | None = None,
    purpose: str = "collection",
    debt_ids: list[int] | None = None,
    content_flags: dict[str, Any] | None = None,
    source: str = "manual",
    record: bool = True,
) -> ComplianceDecision:
    """The gate for a person about to call, write or text: the stored decision when the contact may
    happen, else ComplianceBlocked naming the rule and the reason (REVIEW refuses too: a compliance
    officer decides). The refused decision is stored before raising; call this outside a transaction
    you roll back on the exception, or the record of the refusal goes with it."""
    decision = compliance_gate(
        customer=customer, channel=channel, when=when, initiated_by="manual", contact=contact, purpose=purpose,
        debt_ids=debt_ids, content_flags=content_flags, actor=actor, record=record, source=source,
    )
    if not decision.allowed:
        raise ComplianceBlocked(decision)
    return decision


def compliance_check_request(*, data: Any) -> Decision:
    """A what-if from the JSON request format of `rules.serialization` (the facts are given, the
    ledger is not read). Raises ComplianceError naming the field path."""
    try:
        contact, context, policy = request_from_dict(data)
        return evaluate(contact, context, policy)
    except ComplianceInputError as exc:
        raise ComplianceError(ComplianceErrorCode.INVALID_INPUT, str(exc), field=field_of(str(exc))) from exc


# ---------------------------------------------------------------------------------------------------
# The contact history
# ---------------------------------------------------------------------------------------------------

_OUTCOME_RANK = {
    AttemptOutcome.FAILED: 0, AttemptOutcome.ATTEMPTED: 1, AttemptOutcome.DELIVERED: 2, AttemptOutcome.CONVERSATION: 3,
}


def contact_attempt_record(
    *,
    customer: Customer,
    channel: str,
    at: dt.datetime,
    contact: Contact | None = None,
    outcome: str = "attempted",
    decision: ComplianceDecision | None = None,
    source: str = "",
    reference: str = "",
    debt_ids: list[int] | None = None,
    actor: Any = None,
    direction: str = "outbound",
) -> ContactAttempt:
    """Record a contact that happened (attempted, delivered, a right-party conversation, or failed).

    One contact is one row: recording the same (customer, channel, source, reference) again, e.g. a
    delivery receipt after the send, updates that row's outcome instead of counting the contact twice
    (an outcome never goes back: a conversation stays a conversation)."""
    _choice("channel", channel, Channel.values)
    _choice("outcome", outcome, AttemptOutcome.values)
    _choice("direction", direction, Direction.values)
    _aware("at", at)
    ids = list(_ids("debt_ids", debt_ids))
    if contact is not None and contact.customer_id != customer.pk:
        raise ComplianceError(
            ComplianceErrorCode.CONTACT_MISMATCH, f"contact: {contact.pk} is not a contact of customer {customer.pk}",
            field="contact",
        )
    if decision is not None and decision.customer_id != customer.pk:
        raise ComplianceError(
            ComplianceErrorCode.DECISION_MISMATCH,
            f"decision: {decision.pk} was made for customer {decision.customer_id}, not {customer.pk}",
            field="decision",
        )
    values = {
        "contact": contact, "direction": direction, "at": at, "outcome": outcome, "decision": decision,
        "debt_ids": ids, "actor": actor if getattr(actor, "pk", None) else None,
    }
    if not reference:
        return ContactAttempt.objects.create(customer=customer, channel=channel, source=source[:100], **values)
    key = {"customer": customer, "channel": channel, "source": source[:100], "reference": reference[:200]}
    for _ in range(2):
        try:
            with transaction.atomic():
                attempt, created = ContactAttempt.objects.select_for_update().get_or_create(**key, defaults=values)
                if not created and _OUTCOME_RANK[AttemptOutcome(outcome)] > _OUTCOME_RANK[AttemptOutcome(attempt.outcome)]:
                    attempt.outcome = outcome
                    attempt.save(update_fields=["outcome"])
                return attempt
        except IntegrityError:  # a concurrent first record of the same reference: read it back
            continue
    raise ComplianceError(ComplianceErrorCode.INVALID_INPUT, f"reference: could not record {reference!r}")
