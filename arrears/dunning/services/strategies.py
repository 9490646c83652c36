"""Writing strategies: versions are immutable once a run used them, every change is audited.

    strategy = strategy_create(name="Commercial standard", steps=[{"key": "reminder_1", "offset_days": 7, ...}])
    version = strategy_version_create(strategy=strategy, steps=[...], note="day 10 instead of 7")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from arrears.audit.services import audit_record, snapshot
from arrears.common.clock import now
from arrears.dunning.errors import DunningError, DunningErrorCode
from arrears.dunning.models import (
    BusinessDays,
    EventKind,
    SegmentRule,
    Step,
    StepChannel,
    Strategy,
    StrategyVersion,
    Trigger,
)

_STEP_KEYS = frozenset(
    {"key", "trigger", "event", "offset_days", "channel", "template_key", "min_amount", "business_days", "allow_skip"}
)
_THANK_YOU_KEYS = ("thank_you", "thank_you_channel", "thank_you_template", "thank_you_within_days")


def _bad(field: str, message: str) -> DunningError:
    return DunningError(DunningErrorCode.INVALID_STRATEGY, f"{field}: {message}", field=field)


def _step(i: int, raw: Mapping[str, Any]) -> dict[str, Any]:
    prefix = f"steps[{i}]"
    unknown = sorted(set(raw) - _STEP_KEYS)
    if unknown:
        raise _bad(f"{prefix}.{unknown[0]}", "unknown field")
    for required in ("key", "channel"):
        if not raw.get(required):
            raise _bad(f"{prefix}.{required}", "required")
    trigger = raw.get("trigger", Trigger.DAYS_FROM_DUE)
    if trigger not in Trigger.values:
        raise _bad(f"{prefix}.trigger", f"{trigger!r} is not one of {', '.join(Trigger.values)}")
    event = raw.get("event") or ""
    if trigger == Trigger.EVENT and event not in EventKind.values:
        raise _bad(f"{prefix}.event", f"{event!r} is not one of {', '.join(EventKind.values)}")
    if trigger != Trigger.EVENT and event:
        raise _bad(f"{prefix}.event", "only an event step has an event")
    if raw["channel"] not in StepChannel.values:
        raise _bad(f"{prefix}.channel", f"{raw['channel']!r} is not one of {', '.join(StepChannel.values)}")
    offset = raw.get("offset_days", 0)
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise _bad(f"{prefix}.offset_days", f"expected an integer, got {offset!r}")
    if trigger != Trigger.DAYS_FROM_DUE and offset < 0:
        raise _bad(f"{prefix}.offset_days", "only a days-from-due step may be negative (a pre-due reminder)")
    rule = raw.get("business_days", BusinessDays.NEXT)
    if rule not in BusinessDays.values:
        raise _bad(f"{prefix}.business_days", f"{rule!r} is not one of {', '.join(BusinessDays.values)}")
    try:
        minimum = Decimal(str(raw.get("min_amount", "0")))
    except InvalidOperation as exc:
        raise _bad(f"{prefix}.min_amount", f"not an amount: {raw.get('min_amount')!r}") from exc
    if not minimum.is_finite() or minimum < 0:
        raise _bad(f"{prefix}.min_amount", "must be a non-negative amount")
    return {
        "key": str(raw["key"]),
        "trigger": trigger,
        "event": event,
        "offset_days": offset,
        "channel": raw["channel"],
        "template_key": str(raw.get("template_key") or raw["key"]),
        "min_amount": minimum,
        "business_days": rule,
        "allow_skip": bool(raw.get("allow_skip", True)),
    }


def _steps(steps: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    parsed = [_step(i, raw) for i, raw in enumerate(steps)]
    seen: set[str] = set()
    for i, step in enumerate(parsed):
        if step["key"] in seen:
            raise _bad(f"steps[{i}].key", f"{step['key']!r} is used twice")
        seen.add(step["key"])
    return parsed


def _version_snapshot(version: StrategyVersion) -> dict[str, Any]:
    data = snapshot(version)
    data["steps"] = [snapshot(s, [f.attname for f in Step._meta.concrete_fields if f.name != "id"]) for s in version.steps.all()]
    return data


@transaction.atomic
def strategy_create(
    *,
    name: str,
    steps: Sequence[Mapping[str, Any]],
    description: str = "",
    is_default: bool = False,
    actor: Any = None,
    **version_fields: Any,
) -> Strategy:
    if Strategy.objects.filter(name=name).exists():
        raise DunningError(DunningErrorCode.INVALID_STRATEGY, f"name: a strategy called {name!r} exists", field="name")
    if is_default:
        Strategy.objects.filter(is_default=True).update(is_default=False)
    strategy = Strategy.objects.create(name=name, description=description, is_default=is_default)
    audit_record(action="create", obj=strategy, after=snapshot(strategy), actor=actor)
    strategy_version_create(strategy=strategy, steps=steps, note="first version", actor=actor, **version_fields)
    return strategy


@transaction.atomic
def strategy_version_create(
    *, strategy: Strategy, steps: Sequence[Mapping[str, Any]], note: str = "", actor: Any = None, **fields: Any
) -> StrategyVersion:
    """The next version of ``strategy`` (the only way to change a strategy that a run has used)."""
    unknown = sorted(set(fields) - {"amount_currency", *_THANK_YOU_KEYS})
    if unknown:
        raise _bad(unknown[0], "unknown field")
    if fields.get("thank_you_channel", StepChannel.EMAIL) not in StepChannel.values:
        raise _bad("thank_you_channel", f"{fields['thank_you_channel']!r} is not a channel")
    parsed = _steps(steps)
    last = strategy.versions.order_by("-number").first()
    version = StrategyVersion.objects.create(
        strategy=strategy, number=(last.number + 1) if last else 1, note=note[:200], **fields
    )
    Step.objects.bulk_create([Step(version=version, position=i, **s) for i, s in enumerate(parsed)])
    audit_record(action="create", obj=version, after=_version_snapshot(version), actor=actor, note=note)
    return version


@transaction.atomic
def strategy_version_update(
    *, version: StrategyVersion, steps: Sequence[Mapping[str, Any]], actor: Any = None, **fields: Any
) -> StrategyVersion:
    """Edit a version in place, only while no run has used it; afterwards create a new version."""
    version = StrategyVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_frozen:
        raise DunningError(
            DunningErrorCode.VERSION_FROZEN,
            f"{version} was used by a run on {version.first_used_at:%Y-%m-%d}: create a new version instead",
        )
    unknown = sorted(set(fields) - {"amount_currency", "note", *_THANK_YOU_KEYS})
    if unknown:
        raise _bad(unknown[0], "unknown field")
    parsed = _steps(steps)
    before = _version_snapshot(version)
    for name, value in fields.items():
        setattr(version, name, value)
    version.save()
    version.steps.all().delete()
    Step.objects.bulk_create([Step(version=version, position=i, **s) for i, s in enumerate(parsed)])
    audit_record(action="update", obj=version, before=before, after=_version_snapshot(version), actor=actor)
    return version


def strategy_versions_freeze(*, version_ids: Sequence[int]) -> None:
    """Called by a run for the versions it uses: from then on they can only be superseded."""
    StrategyVersion.objects.filter(pk__in=list(version_ids), first_used_at__isnull=True).update(first_used_at=now())


_RULE_LISTS = ("kinds", "jurisdictions", "segments", "risk_bands", "currencies", "business_units")
_RULE_FIELDS = frozenset({"position", "name", "active", "strategy", "challenger", "challenger_percent", "salt",
                          "min_balance", "max_balance", "min_oldest_dpd", "max_oldest_dpd", *_RULE_LISTS})


def _rule_clean(fields: dict[str, Any], *, current: SegmentRule | None = None) -> dict[str, Any]:
    """Check a segment rule's fields (the new values merged over ``current``); raises naming the field."""
    unknown = sorted(set(fields) - _RULE_FIELDS)
    if unknown:
        raise _bad(unknown[0], "unknown field")
    if "name" in fields and not str(fields["name"] or "").strip():
        raise _bad("name", "required")
    for name in _RULE_LISTS:
        if name in fields:
            value = fields[name] if fields[name] is not None else []
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
                raise _bad(name, "expected a list of values")
            fields[name] = list(value)
    for name in ("min_balance", "max_balance", "challenger_percent"):
        if fields.get(name) is not None:
            try:
                fields[name] = Decimal(str(fields[name]))
            except InvalidOperation as exc:
                raise _bad(name, f"not a number: {fields[name]!r}") from exc
            if not fields[name].is_finite():
                raise _bad(name, f"not a number: {fields[name]!r}")
    for name in ("min_oldest_dpd", "max_oldest_dpd", "position"):
        value = fields.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise _bad(name, f"expected an integer, got {value!r}")
    if fields.get("position") is not None and fields["position"] < 0:
        raise _bad("position", "must not be negative")

    def merged(name: str) -> Any:
        if name in fields:
            return fields[name]
        return getattr(current, name) if current is not None else None

    percent = merged("challenger_percent") or Decimal(0)
    if not Decimal(0) <= percent <= Decimal(100):
        raise _bad("challenger_percent", "must be between 0 and 100")
    for low, high in (("min_balance", "max_balance"), ("min_oldest_dpd", "max_oldest_dpd")):
        if merged(low) is not None and merged(high) is not None and merged(low) > merged(high):
            raise _bad(high, f"must not be below {low.replace('_', ' ')}")
    challenger = merged("challenger")
    if challenger is not None:
        if not merged("salt"):
            raise _bad("salt", "a champion/challenger split needs a salt")
        if merged("strategy") is not None and challenger.pk == merged("strategy").pk:
            raise _bad("challenger", "must be another strategy than the champion")
    elif percent > 0:
        raise _bad("challenger", "a challenger percentage needs a challenger strategy")
    return fields


@transaction.atomic
def segment_rule_create(*, strategy: Strategy, name: str, actor: Any = None, **fields: Any) -> SegmentRule:
    if "position" not in fields or fields["position"] is None:
        last = SegmentRule.objects.order_by("-position").first()
        fields["position"] = (last.position + 10) if last else 10
    fields = _rule_clean({**fields, "name": name, "strategy": strategy})
    rule = SegmentRule.objects.create(**fields)
    audit_record(action="create", obj=rule, after=snapshot(rule), actor=actor)
    return rule


@transaction.atomic
def segment_rule_update(*, rule: SegmentRule, actor: Any = None, note: str = "", **fields: Any) -> SegmentRule:
    """Change a rule's filters, strategy, challenger split or ``active`` flag; audited before/after."""
    rule = SegmentRule.objects.select_for_update().get(pk=rule.pk)
    fields = _rule_clean(dict(fields), current=rule)
    changed = sorted(name for name, value in fields.items() if getattr(rule, name) != value)  # 12.5 == 12.50
    if not changed:
        return rule
    attnames = [SegmentRule._meta.get_field(name).attname for name in changed]
    before = snapshot(rule, attnames)
    for name in changed:
        setattr(rule, name, fields[name])
    rule.save(update_fields=[*changed, "updated_at"])
    rule.refresh_from_db()  # the stored (quantised) values for the trail
    audit_record(action="update", obj=rule, before=before, after=snapshot(rule, attnames), actor=actor, note=note)
    return rule


@transaction.atomic
def segment_rule_move(*, rule: SegmentRule, direction: str, actor: Any = None) -> SegmentRule:
    """Swap the rule with its neighbour above ("up") or below ("down") in the order rules are tried.

    Positions are renumbered 10, 20, 30... first when two rules share one, so the swap is exact."""
    if direction not in ("up", "down"):
        raise DunningError(DunningErrorCode.INVALID_INPUT, f"direction: {direction!r} is not up or down",
                           field="direction")
    rules = list(SegmentRule.objects.select_for_update().order_by("position", "id"))
    index = next((i for i, r in enumerate(rules) if r.pk == rule.pk), None)
    if index is None:
        raise DunningError(DunningErrorCode.INVALID_INPUT, f"rule: no segment rule with id {rule.pk}", field="rule")
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(rules):
        return rules[index]
    before = {r.pk: r.position for r in rules}
    rules[index], rules[other] = rules[other], rules[index]
    for i, r in enumerate(rules):
        r.position = (i + 1) * 10
    for r in rules:
        if r.position != before[r.pk]:
            r.save(update_fields=["position", "updated_at"])
            audit_record(action="update", obj=r, before={"position": before[r.pk]}, after={"position": r.position},
                         actor=actor, note=f"moved {direction}" if r.pk == rule.pk else "")
    return rules[other]


@transaction.atomic
def strategy_make_default(*, strategy: Strategy, actor: Any = None) -> Strategy:
    """Make ``strategy`` the one customers no segment rule matches get (there is at most one)."""
    strategy = Strategy.objects.select_for_update().get(pk=strategy.pk)
    if strategy.is_default:
        return strategy
    for previous in Strategy.objects.select_for_update().filter(is_default=True):
        previous.is_default = False
        previous.save(update_fields=["is_default", "updated_at"])
        audit_record(action="update", obj=previous, before={"is_default": True}, after={"is_default": False},
                     actor=actor)
    strategy.is_default = True
    strategy.save(update_fields=["is_default", "updated_at"])
    audit_record(action="update", obj=strategy, before={"is_default": False}, after={"is_default": True}, actor=actor)
    return strategy


@transaction.atomic
def strategy_ladder_save(
    *, strategy: Strategy, steps: Sequence[Mapping[str, Any]], note: str, actor: Any = None, **fields: Any
) -> tuple[StrategyVersion, bool]:
    """Save an edited ladder: (version, created). The current version is updated in place while no run
    has used it (a draft); once frozen, the edit becomes the next version. ``note`` says what changed."""
    note = (note or "").strip()
    if not note:
        raise _bad("note", "say what changed")
    current = strategy.versions.select_for_update().order_by("-number").first()
    if current is None or current.is_frozen:
        return strategy_version_create(strategy=strategy, steps=steps, note=note, actor=actor, **fields), True
    return strategy_version_update(version=current, steps=steps, actor=actor, note=note[:200], **fields), False


# ---------------------------------------------------------------------------------------------------
# The shipped defaults (`arrears dunning seed`)
# ---------------------------------------------------------------------------------------------------

COMMERCIAL_STANDARD = [
    {"key": "pre_due", "offset_days": -3, "channel": "email", "template_key": "pre_due_reminder"},
    {"key": "reminder_1", "offset_days": 7, "channel": "email", "template_key": "reminder_1"},
    {"key": "reminder_2", "offset_days": 21, "channel": "email", "template_key": "reminder_2"},
    {"key": "letter", "offset_days": 35, "channel": "letter", "template_key": "formal_letter"},
    {"key": "call", "offset_days": 45, "channel": "call_task", "template_key": "call_script"},
    {"key": "escalate", "offset_days": 60, "channel": "escalate_lead", "template_key": "escalation"},
    {"key": "agency", "offset_days": 90, "channel": "agency", "template_key": "agency_handover", "min_amount": "50.00"},
]
CONSUMER_GENTLE = [
    {"key": "pre_due", "offset_days": -3, "channel": "sms", "template_key": "pre_due_sms"},
    {"key": "reminder_1", "offset_days": 5, "channel": "sms", "template_key": "reminder_sms"},
    {"key": "reminder_2", "offset_days": 14, "channel": "email", "template_key": "reminder_2"},
    {"key": "letter", "offset_days": 30, "channel": "letter", "template_key": "formal_letter"},
    {"key": "call", "offset_days": 45, "channel": "call_task", "template_key": "call_script"},
    {"key": "escalate", "offset_days": 75, "channel": "escalate_lead", "template_key": "escalation"},
]
THANK_YOU = {"thank_you": True, "thank_you_channel": "email", "thank_you_template": "thank_you", "thank_you_within_days": 7}


@transaction.atomic
def strategy_seed_defaults(*, actor: Any = None) -> list[Strategy]:
    """Create the shipped strategies and segment rules; does nothing for names that exist."""
    made = []
    if not Strategy.objects.filter(name="Commercial standard").exists():
        made.append(strategy_create(
            name="Commercial standard", is_default=not Strategy.objects.filter(is_default=True).exists(),
            description="Business customers: e-mail reminders, a letter, a call, the lead, then an agency.",
            steps=COMMERCIAL_STANDARD, actor=actor, **THANK_YOU,
        ))
    consumer_rules = [("Consumer gentle (UK)", "uk", "GBP"), ("Consumer gentle (US)", "us_consumer", "USD")]
    for name, jurisdiction, currency in consumer_rules:
        if Strategy.objects.filter(name=name).exists():
            continue
        strategy = strategy_create(
            name=name, description=f"Consumers ({jurisdiction}): SMS first, softer tone, no agency.",
            steps=CONSUMER_GENTLE, actor=actor, amount_currency=currency, **THANK_YOU,
        )
        segment_rule_create(strategy=strategy, name=f"Consumers, {jurisdiction}", kinds=["consumer"],
                            jurisdictions=[jurisdiction], actor=actor)
        made.append(strategy)
    if not Strategy.objects.filter(name="Consumer gentle").exists():
        strategy = strategy_create(
            name="Consumer gentle", description="Consumers in other jurisdictions.", steps=CONSUMER_GENTLE,
            actor=actor, **THANK_YOU,
        )
        segment_rule_create(strategy=strategy, name="Consumers, elsewhere", kinds=["consumer"], actor=actor)
        made.append(strategy)
    return made
