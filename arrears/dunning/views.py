"""Pages for dunning (issue #3): the strategy editor, segment rules, runs, the dry run and the backtest.

Who: admins and the head of collections read and edit; team leads and auditors read (no buttons, and
any POST is 403); collectors get 403 on every page. Every write goes through
``services/strategies.py``, which is atomic and audited with the acting user; a ``DunningError``
is shown next to the field it names, and nothing is saved.

The reads are small (a few dozen strategies and rules, one page of runs), so they stay here rather
than in a selectors module; run_preview and strategy_diff do the heavy lifting.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from arrears.audit.models import AuditEvent
from arrears.common.clock import today
from arrears.dunning.errors import DunningError
from arrears.dunning.forms import (
    AsOfForm,
    SegmentRuleForm,
    StepForm,
    StepFormSet,
    StepFormSetWithBlank,
    StrategyForm,
    VersionForm,
    rule_initial,
    step_initial,
    version_initial,
)
from arrears.dunning.models import (
    CustomerDunningState,
    DunningRun,
    SegmentRule,
    Strategy,
    StrategyVersion,
)
from arrears.dunning.services.nightly_run import run_preview, strategy_diff
from arrears.dunning.services.strategies import (
    segment_rule_create,
    segment_rule_move,
    segment_rule_update,
    strategy_create,
    strategy_ladder_save,
    strategy_make_default,
)
from arrears.ledger.models import Customer
from arrears.users.models import Role

PREVIEW_ROWS = 100
DIFF_EXAMPLES = 50
RUNS_PAGE = 50
HISTORY_ROWS = 200
READERS = frozenset({Role.ADMIN, Role.HEAD, Role.LEAD, Role.AUDITOR})
EDITORS = frozenset({Role.ADMIN, Role.HEAD})
_STEP_FIELD = re.compile(r"^steps\[(\d+)\]\.(\w+)$")


def may_edit(user: Any) -> bool:
    return bool(user.is_superuser or user.role in EDITORS)


def _may_read(user: Any) -> bool:
    return bool(user.is_superuser or user.role in READERS)


def reader_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in, and not a collector; POSTs only for editors."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _may_read(request.user):
            raise PermissionDenied("strategies and runs are for team leads, the head of collections and auditors")
        if request.method == "POST" and not may_edit(request.user):
            raise PermissionDenied("only the head of collections and admins change strategies")
        return view(request, *args, **kwargs)

    return wrapped


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"may_edit": may_edit(request.user), **extra}


def _field_error(form: Any, exc: DunningError) -> None:
    """Put the service's error on the form field it names (or on the form when it names none)."""
    name = exc.field if exc.field in getattr(form, "fields", {}) else None
    message = exc.message.split(": ", 1)[1] if name and exc.message.startswith(f"{name}: ") else exc.message
    form.add_error(name, message)


# --- strategies --------------------------------------------------------------------------------------


def _current_versions(strategies: list[Strategy]) -> dict[int, StrategyVersion]:
    current: dict[int, StrategyVersion] = {}
    for version in StrategyVersion.objects.filter(strategy__in=strategies).order_by("strategy_id", "number"):
        current[version.strategy_id] = version  # the highest number wins
    return current


@reader_page
def strategy_list(request: HttpRequest) -> HttpResponse:
    strategies = list(Strategy.objects.order_by("name"))
    current = _current_versions(strategies)
    assigned = dict(
        CustomerDunningState.objects.filter(strategy_version__isnull=False).order_by()
        .values_list("strategy_version__strategy_id").annotate(n=Count("pk"))
    )
    rows = [{"strategy": s, "current": current.get(s.pk), "customers": assigned.get(s.pk, 0)} for s in strategies]
    rules = SegmentRule.objects.select_related("strategy", "challenger").order_by("position", "id")
    return render(request, "dunning/strategy_list.html", _context(request, rows=rows, rules=rules))


def _history(strategy: Strategy) -> list[AuditEvent]:
    version_ids = [str(pk) for pk in strategy.versions.values_list("pk", flat=True)]
    rule_ids = [str(pk) for pk in SegmentRule.objects.filter(Q(strategy=strategy) | Q(challenger=strategy))
                .values_list("pk", flat=True)]
    where = (Q(object_type="dunning.strategy", object_id=str(strategy.pk))
             | Q(object_type="dunning.strategyversion", object_id__in=version_ids)
             | Q(object_type="dunning.segmentrule", object_id__in=rule_ids))
    return [_history_row(e) for e in AuditEvent.objects.filter(where).order_by("-at", "-id")[:HISTORY_ROWS]]


def _ladder_text(steps: Any) -> Any:
    """A version snapshot's steps as one readable line per step, instead of the raw JSON."""
    if not isinstance(steps, list):
        return steps
    return "; ".join(f"{s.get('key')} ({s.get('trigger')} {s.get('offset_days')}, {s.get('channel')})" for s in steps)


def _history_row(event: AuditEvent) -> dict[str, Any]:
    changes = [(name, _ladder_text(before) if name == "steps" else before,
                _ladder_text(after) if name == "steps" else after)
               for name, before, after in event.changed_fields() if name not in ("id", "version_id")]
    return {"at": event.at, "actor_label": event.actor_label, "action": event.action, "object_type": event.object_type,
            "object_id": event.object_id, "object_repr": event.object_repr, "note": event.note, "changes": changes}


@reader_page
def strategy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    strategy = get_object_or_404(Strategy, pk=pk)
    versions = list(strategy.versions.order_by("-number"))
    shown = versions[0] if versions else None
    wanted = request.GET.get("version", "")
    if wanted.isdigit():
        shown = next((v for v in versions if v.number == int(wanted)), shown)
    rules = SegmentRule.objects.filter(Q(strategy=strategy) | Q(challenger=strategy)).select_related(
        "strategy", "challenger").order_by("position", "id")
    customers = CustomerDunningState.objects.filter(strategy_version__strategy=strategy).count()
    return render(request, "dunning/strategy_detail.html", _context(
        request, strategy=strategy, versions=versions, shown=shown, current=versions[0] if versions else None,
        steps=list(shown.steps.order_by("position")) if shown else [], rules=rules, customers=customers,
        history={"rows": _history(strategy)},
    ))


def _ladder_error(exc: DunningError, formset: Any, kept: list[Any], version_form: VersionForm) -> None:
    match = _STEP_FIELD.match(exc.field or "")
    if match and int(match[1]) < len(kept):
        form = kept[int(match[1])]
        name = match[2] if match[2] in form.fields else None
        form.add_error(name, exc.message.split(": ", 1)[-1])
    elif exc.field in version_form.fields:
        _field_error(version_form, exc)
    else:
        formset._non_form_errors = formset.error_class([exc.message])  # shown above the ladder


def _typed_rows(data: Any) -> list[dict[str, Any]]:
    """The ladder rows as typed (unchecked), without removed rows and rows left without a key."""
    rows = []
    for i in range(min(int(data.get("steps-TOTAL_FORMS") or 0), 200)):
        prefix = f"steps-{i}-"
        if data.get(prefix + "DELETE") or not data.get(prefix + "key", "").strip():
            continue
        row = {name: data.get(prefix + name, "") for name in StepForm.base_fields}
        row["allow_skip"] = bool(data.get(prefix + "allow_skip"))
        row["ORDER"] = data.get(prefix + "ORDER", "")
        rows.append(row)
    rows.sort(key=lambda r: int(r["ORDER"]) if str(r["ORDER"]).isdigit() else 10_000)
    for i, row in enumerate(rows):
        row["ORDER"] = i + 1
    return rows


@reader_page
@require_http_methods(["GET", "POST"])
def strategy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    strategy = get_object_or_404(Strategy, pk=pk)
    if not may_edit(request.user):  # readers see the ladder on the strategy page
        return redirect("dunning:strategy_detail", pk=strategy.pk)
    current = strategy.versions.order_by("-number").first()
    if request.method == "GET":
        rows = step_initial(current)
        formset = (StepFormSet if rows else StepFormSetWithBlank)(initial=rows, prefix="steps")
        version_form = VersionForm(initial=version_initial(current))
    elif "add_step" in request.POST:  # one more blank row under what was typed; nothing checked or saved
        formset = StepFormSetWithBlank(initial=_typed_rows(request.POST), prefix="steps")
        typed = {name: request.POST.get(name, "") for name in VersionForm.base_fields}
        typed["thank_you"] = bool(request.POST.get("thank_you"))
        version_form = VersionForm(initial=typed)
    else:
        formset = StepFormSet(data=request.POST, prefix="steps")
        version_form = VersionForm(data=request.POST)
        if formset.is_valid() and version_form.is_valid():
            steps, kept = formset.steps()
            try:
                version, created = strategy_ladder_save(
                    strategy=strategy, steps=steps, note=version_form.cleaned_data["note"], actor=request.user,
                    **version_form.version_fields(),
                )
            except DunningError as exc:
                _ladder_error(exc, formset, kept, version_form)
            else:
                verb = "Saved as version" if created else "Updated draft version"
                messages.success(request, f"{verb} {version.number}.")
                return redirect("dunning:strategy_detail", pk=strategy.pk)
    return render(request, "dunning/strategy_edit.html", _context(
        request, strategy=strategy, current=current, formset=formset, version_form=version_form,
        creates_version=current is None or current.is_frozen,
    ))


@reader_page
@require_http_methods(["GET", "POST"])
def strategy_new(request: HttpRequest) -> HttpResponse:
    if not may_edit(request.user):
        return redirect("dunning:strategy_list")
    form = StrategyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        source = form.cleaned_data["copy_from"]
        source_version = source.versions.order_by("-number").first() if source else None
        steps = [{k: v for k, v in s.items() if k != "ORDER"} for s in step_initial(source_version)]
        try:
            strategy = strategy_create(
                name=form.cleaned_data["name"], description=form.cleaned_data["description"],
                is_default=form.cleaned_data["is_default"], steps=steps, actor=request.user,
                **version_initial(source_version),
            )
        except DunningError as exc:
            _field_error(form, exc)
        else:
            messages.success(request, f"Strategy {strategy.name} created (version 1).")
            return redirect("dunning:strategy_edit", pk=strategy.pk)
    return render(request, "dunning/strategy_new.html", _context(request, form=form))


@reader_page
@require_POST
def strategy_default(request: HttpRequest, pk: int) -> HttpResponse:
    strategy = get_object_or_404(Strategy, pk=pk)
    strategy_make_default(strategy=strategy, actor=request.user)
    messages.success(request, f"{strategy.name} is now the default strategy.")
    return redirect("dunning:strategy_detail", pk=strategy.pk)


# --- segment rules -----------------------------------------------------------------------------------


@reader_page
@require_http_methods(["GET", "POST"])
def rule_new(request: HttpRequest) -> HttpResponse:
    if not may_edit(request.user):
        return redirect("dunning:strategy_list")
    form = SegmentRuleForm(request.POST or None, initial={"active": True, "challenger_percent": 0})
    if request.method == "POST" and form.is_valid():
        fields = form.rule_fields()
        try:
            rule = segment_rule_create(strategy=fields.pop("strategy"), name=fields.pop("name"), actor=request.user,
                                       **fields)
        except DunningError as exc:
            _field_error(form, exc)
        else:
            messages.success(request, f"Segment rule {rule.name} created.")
            return redirect("dunning:strategy_list")
    return render(request, "dunning/rule_form.html", _context(request, form=form, rule=None))


@reader_page
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(SegmentRule, pk=pk)
    form = SegmentRuleForm(request.POST or None, initial=rule_initial(rule))
    if not may_edit(request.user):  # readers see the rule and its history, not a form to change it
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        fields = form.rule_fields()
        if fields["position"] is None:
            fields["position"] = rule.position
        try:
            segment_rule_update(rule=rule, actor=request.user, **fields)
        except DunningError as exc:
            _field_error(form, exc)
        else:
            messages.success(request, f"Segment rule {fields['name']} saved.")
            return redirect("dunning:strategy_list")
    events = AuditEvent.objects.filter(object_type="dunning.segmentrule", object_id=str(rule.pk)).order_by("-at", "-id")
    return render(request, "dunning/rule_form.html", _context(
        request, form=form, rule=rule, history={"rows": [_history_row(e) for e in events[:HISTORY_ROWS]]}))


@reader_page
@require_POST
def rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(SegmentRule, pk=pk)
    try:
        segment_rule_move(rule=rule, direction=request.POST.get("direction", ""), actor=request.user)
    except DunningError as exc:
        messages.error(request, exc.message)
    return redirect("dunning:strategy_list")


@reader_page
@require_POST
def rule_active(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(SegmentRule, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        segment_rule_update(rule=rule, active=active, actor=request.user)
    except DunningError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Segment rule {rule.name} {'activated' if active else 'deactivated'}.")
    return redirect("dunning:strategy_list")


# --- runs, dry run, backtest ---------------------------------------------------------------------------


@reader_page
def run_list(request: HttpRequest) -> HttpResponse:
    runs = DunningRun.objects.filter(dry_run=False).order_by("-as_of", "-id")
    page = Paginator(runs, RUNS_PAGE).get_page(request.GET.get("page"))
    latest = runs.first()
    return render(request, "dunning/run_list.html", _context(request, page=page, latest=latest))


_COUNT_TABLES = (("strategy", "Per strategy"), ("step", "Per step"), ("channel", "Per channel"),
                 ("outcome", "Per outcome"), ("kind", "Per kind"), ("arm", "Champion / challenger"),
                 ("reasons", "Items per reason"), ("gate_paths", "Gate paths"))


def _tables(counts: dict[str, Any]) -> list[tuple[str, list[tuple[str, Any]]]]:
    out = []
    for key, title in _COUNT_TABLES:
        value = counts.get(key)
        if isinstance(value, dict) and value:
            out.append((title, sorted(value.items(), key=lambda kv: (-kv[1], kv[0]) if isinstance(kv[1], int)
                                      else (0, kv[0]))))
    return out


@reader_page
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(DunningRun, pk=pk)
    durations = {k: v for k, v in run.durations.items() if not isinstance(v, dict)}
    dispatch = run.counts.get("dispatch") if isinstance(run.counts.get("dispatch"), dict) else None
    return render(request, "dunning/run_detail.html", _context(
        request, run=run, tables=_tables(run.counts), blocked=sorted(run.blocked.items(), key=lambda kv: -kv[1]),
        durations=durations, dispatch=dispatch,
    ))


def _customer_names(ids: set[int]) -> dict[int, str]:
    return dict(Customer.objects.filter(pk__in=ids).values_list("pk", "name"))


@reader_page
def preview(request: HttpRequest) -> HttpResponse:
    form = AsOfForm(request.GET or None)
    as_of = form.as_of_or(today() + dt.timedelta(days=1))
    try:
        result = run_preview(as_of=as_of)
    except DunningError as exc:
        messages.error(request, exc.message)
        result = {"action_count": 0, "counts": {}, "blocked": {}, "actions": []}
    actions = result["actions"][:PREVIEW_ROWS]
    names = _customer_names({a["customer_id"] for a in actions})
    for action in actions:
        action["customer_name"] = names.get(action["customer_id"], f"customer {action['customer_id']}")
        action["amount_text"] = ", ".join(f"{amount} {currency}" for currency, amount in sorted(action["amounts"].items()))
    return render(request, "dunning/preview.html", _context(
        request, form=form, as_of=as_of, result=result, actions=actions, tables=_tables(result["counts"]),
        blocked=sorted(result["blocked"].items(), key=lambda kv: -kv[1]), shown=len(actions),
    ))


def _version_of(strategy: Strategy, raw: str | None, default: StrategyVersion | None) -> StrategyVersion | None:
    if raw and raw.isdigit():
        return strategy.versions.filter(number=int(raw)).first() or default
    return default


@reader_page
def diff(request: HttpRequest) -> HttpResponse:
    strategies = list(Strategy.objects.order_by("name"))
    raw = request.GET.get("strategy", "")
    strategy = next((s for s in strategies if str(s.pk) == raw), None) or next(
        (s for s in strategies if s.versions.count() > 1), strategies[0] if strategies else None)
    form = AsOfForm(request.GET or None)
    as_of = form.as_of_or(today() + dt.timedelta(days=1))
    context = _context(request, strategies=strategies, strategy=strategy, form=form, as_of=as_of)
    if strategy is not None:
        versions = list(strategy.versions.order_by("-number"))
        b = _version_of(strategy, request.GET.get("b"), versions[0] if versions else None)
        a = _version_of(strategy, request.GET.get("a"), versions[1] if len(versions) > 1 else b)
        context.update(versions=versions, a=a, b=b)
        if a is not None and b is not None and a.pk != b.pk:
            try:
                result = strategy_diff(version_a=a, version_b=b, as_of=as_of)
            except DunningError as exc:
                messages.error(request, exc.message)
                return render(request, "dunning/diff.html", context)
            examples = result["customers_differing"][:DIFF_EXAMPLES]
            names = _customer_names({e["customer_id"] for e in examples})
            for e in examples:
                e["customer_name"] = names.get(e["customer_id"], f"customer {e['customer_id']}")
            channels = sorted(set(result["a"].get("channel", {})) | set(result["b"].get("channel", {})))
            steps = sorted(set(result["a"].get("step", {})) | set(result["b"].get("step", {})))
            context.update(
                result=result, examples=examples,
                channel_rows=[(c, result["a"].get("channel", {}).get(c, 0), result["b"].get("channel", {}).get(c, 0))
                              for c in channels],
                step_rows=[(s, result["a"].get("step", {}).get(s, 0), result["b"].get("step", {}).get(s, 0))
                           for s in steps],
            )
    return render(request, "dunning/diff.html", context)
