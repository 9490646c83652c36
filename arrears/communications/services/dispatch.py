"""The nightly run's hand-over: dunning actions (plain data) -> outbox messages, one print file, call tasks.

Communications sits below dunning in the layer contract, so it never reads dunning's tables: the run
passes its actions as dicts (see `dunning_actions_dispatch`). Each action gives at most one object,
keyed by the action's id, so dispatching the same actions again (a resumed run, a retried task)
creates nothing twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from arrears.communications.models import MessageTemplate
from arrears.communications.services.bulk import (
    MESSAGE_CHANNELS,
    BulkResult,
    CallRequest,
    QueueRequest,
    call_tasks_create_many,
    messages_queue_many,
)
from arrears.communications.services.letters import letter_batch_print
from arrears.ledger.models import Channel

CALL_TASK = "call_task"
# Template keys used by dunning's shipped strategies that name no template family of their own: the
# family that says the same thing. A template saved under the dunning key itself wins over the alias.
TEMPLATE_ALIASES = {
    "pre_due_reminder": "pre_due",
    "pre_due_sms": "pre_due",
    "reminder_sms": "reminder_1",
    "formal_letter": "reminder_3",  # the third written step (reminder_3): no threat of legal action
    "call_script": "reminder_3",
}


class DispatchInputError(ValueError):
    """An action dict that cannot be dispatched; the message names `actions[i]` and the field."""


@dataclasses.dataclass(slots=True)
class DispatchResult:
    dispatched: list[int] = dataclasses.field(default_factory=list)  # action ids with their object (new or earlier)
    not_handled: list[int] = dataclasses.field(default_factory=list)  # channels communications does not serve
    missing_template: list[int] = dataclasses.field(default_factory=list)  # no active template for key/channel
    skipped: list[int] = dataclasses.field(default_factory=list)  # not planned (blocked / review): left alone
    messages: BulkResult = dataclasses.field(default_factory=BulkResult)
    calls: BulkResult = dataclasses.field(default_factory=BulkResult)
    letters: dict[str, Any] = dataclasses.field(default_factory=dict)  # {"batch_id", "printed", "blocked", ...}

    def __int__(self) -> int:
        return len(self.dispatched)

    def as_dict(self) -> dict[str, Any]:
        return {"dispatched": len(self.dispatched), "not_handled": self.not_handled,
                "missing_template": self.missing_template, "skipped": self.skipped,
                "messages": self.messages.as_dict(), "calls": self.calls.as_dict(), "letters": self.letters}


def _field(action: Mapping[str, Any], name: str, cast: Any, where: str) -> Any:
    try:
        return cast(action[name])
    except KeyError as exc:
        raise DispatchInputError(f"{where}.{name}: required") from exc
    except (TypeError, ValueError) as exc:
        raise DispatchInputError(f"{where}.{name}: {action[name]!r} is not a valid {cast.__name__}") from exc


def _document_ids(action: Mapping[str, Any], where: str) -> tuple[int, ...]:
    raw = action.get("document_ids")
    if raw is None:
        raw = [item[0] for item in action.get("items") or []]
    try:
        return tuple(int(x) for x in raw)
    except (TypeError, ValueError, IndexError) as exc:
        raise DispatchInputError(f"{where}.items: expected [[document id, level], ...] ({exc})") from exc


def dunning_action_key(*, action_id: int, channel: str) -> str:
    """The idempotency key of the message or call task an action gives."""
    return f"dunning:a{action_id}:{'call' if channel == CALL_TASK else channel}"


def dunning_actions_dispatch(
    *,
    actions: Sequence[Mapping[str, Any]],
    as_of: dt.date,
    run_reference: str,
    now: dt.datetime | None = None,
    actor: Any = None,
    print_letters: bool = True,
) -> DispatchResult:
    """Turn a run's planned actions into outbox messages, one letter print file and call tasks.

    Each action is a dict with `id`, `customer_id`, `channel` (email | sms | letter | call_task; other
    dunning channels such as escalate_lead or agency are returned in `not_handled`), `template_key`
    (falls back to `step_key`, then to TEMPLATE_ALIASES), optional `step_key`, `level`, `kind`, and
    `items` ([[document id, level], ...], as on DunningAction) or `document_ids`. Actions whose
    `status` is given and is not "planned", or whose `gate` is blocked/review, are `skipped`.

    Messages: key `dunning:a<id>:<channel>`, statement limited to the action's documents, run
    reference `run_reference`. Letters: then printed into one file for the run (letter_batch_print
    gates each). Call tasks: key `dunning:a<id>:call`, due on `as_of`, for the customer's collector.
    Returns a DispatchResult; `dispatched` lists the action ids that now have their object, which the
    caller marks dispatched. Queueing is one transaction; printing runs after it.
    """
    result = DispatchResult()
    pending: list[tuple[int, str, list[str], Any]] = []  # (action id, channel, template candidates, request)
    for i, action in enumerate(actions):
        where = f"actions[{i}]"
        action_id = _field(action, "id", int, where)
        customer_id = _field(action, "customer_id", int, where)
        channel = _field(action, "channel", str, where)
        if action.get("status", "planned") != "planned" or action.get("gate") in ("blocked", "review"):
            result.skipped.append(action_id)
            continue
        if channel not in (*MESSAGE_CHANNELS, CALL_TASK):
            result.not_handled.append(action_id)
            continue
        kind = str(action.get("kind") or "dunning")
        template_key = str(action.get("template_key") or ("thank_you" if kind == "thank_you" else ""))
        step_key = str(action.get("step_key") or "")
        candidates = [k for k in dict.fromkeys((template_key, step_key, TEMPLATE_ALIASES.get(template_key, ""),
                                                 TEMPLATE_ALIASES.get(step_key, ""))) if k]
        if not candidates:
            raise DispatchInputError(f"{where}.template_key: required (action {action_id})")
        key = dunning_action_key(action_id=action_id, channel=channel)
        request: QueueRequest | CallRequest
        if channel == CALL_TASK:
            request = CallRequest(customer_id=customer_id, step_key="", due_date=as_of, idempotency_key=key)
        else:
            # a thank-you lists what is still open, not the items that were just paid
            documents = _document_ids(action, where) if kind != "thank_you" else ()
            request = QueueRequest(
                customer_id=customer_id, channel=channel, step_key="", debt_ids=documents or None, idempotency_key=key,
                extra={"dunning": {"action_id": action_id, "level": action.get("level"), "kind": kind}},
            )
        pending.append((action_id, channel, candidates, request))

    # The template family of each action: its first candidate key with an active template for the channel.
    families = _families_with_templates([(_template_channel(c), k) for _, c, ks, _ in pending for k in ks])
    messages: list[QueueRequest] = []
    calls: list[CallRequest] = []
    dispatched: list[int] = []
    for action_id, channel, candidates, request in pending:
        family = next((k for k in candidates if (k, _template_channel(channel)) in families), "")
        if not family:
            result.missing_template.append(action_id)
            continue
        dispatched.append(action_id)
        if isinstance(request, CallRequest):
            calls.append(dataclasses.replace(request, step_key=family))
        else:
            messages.append(dataclasses.replace(request, step_key=family))

    with transaction.atomic():
        result.messages = messages_queue_many(requests=messages, as_of=as_of, run_reference=run_reference,
                                              actor=actor, now=now)
        result.calls = call_tasks_create_many(requests=calls, as_of=as_of, run_reference=run_reference)
    result.dispatched = dispatched
    if print_letters and any(r.channel == Channel.LETTER for r in messages):
        printed = letter_batch_print(run_reference=run_reference, now=now)
        batch = printed.pop("batch")
        result.letters = {"batch_id": batch.pk if batch is not None else None,
                          "file": batch.file if batch is not None else "", **printed}
    return result


def _template_channel(channel: str) -> str:
    return Channel.PHONE.value if channel == CALL_TASK else channel


def _families_with_templates(wanted: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """{(key, channel)} among the wanted pairs that have an active template (any language), one query."""
    if not wanted:
        return set()
    found = set(MessageTemplate.objects.filter(key__in={k for _, k in wanted}, channel__in={c for c, _ in wanted},
                                               active=True).values_list("key", "channel"))
    return found
