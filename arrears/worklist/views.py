"""The workspace pages: worklist, next account, customer workspace with call log and timeline, team
dashboard, calendar and its iCal feed. Views parse, call one service or selector, and render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from arrears.common.clock import now, today
from arrears.compliance.errors import ComplianceBlocked, ComplianceError
from arrears.disputes.errors import DisputeError
from arrears.promises.errors import PromiseError
from arrears.users.models import Role, User
from arrears.worklist.charts import dbt_chart
from arrears.worklist.errors import WorklistError
from arrears.worklist.forms import OUTCOME_KEYS, AbsenceForm, CallLogForm, NoteForm, TargetForm
from arrears.worklist.models import CallLog, ItemStatus, WorklistItem
from arrears.worklist.selectors import (
    account_risk_for_customers,
    calendar_events_for_user,
    calendar_user_for_token,
    contacts_with_consent,
    dbt_trend_for_customer,
    targets_current,
    team_members,
    teams_visible,
    timeline_for_customer,
    worklist_accounts,
    worklist_customer_get,
    worklist_items_for_customer,
    worklist_next_customer_id,
)
from arrears.worklist.services import (
    absence_create,
    calendar_token_get_or_create,
    call_log_create,
    ical_calendar,
    note_create,
    target_may_set,
    target_set,
    worklist_build,
    worklist_rebalance,
)

TIMELINE_LIMIT = 60


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _my_progress(user: Any, as_of: dt.date) -> list[Any]:
    teams = [user.team] if user.team_id else []
    return targets_current(as_of=as_of, users=[user], teams=teams)


@login_required
@require_GET
def worklist_home(request: HttpRequest) -> HttpResponse:
    as_of = today()
    accounts = worklist_accounts(user=request.user, as_of=as_of)
    done = WorklistItem.objects.filter(user=request.user, as_of=as_of, status=ItemStatus.DONE).values("customer_id").distinct().count()
    return render(request, "worklist/worklist.html", {
        "as_of": as_of, "accounts": accounts, "done_accounts": done, "progress": _my_progress(request.user, as_of),
        "may_lead": request.user.sees_whole_portfolio or request.user.role == Role.LEAD,
    })


@login_required
@require_GET
def progress_partial(request: HttpRequest) -> HttpResponse:
    """The person's targets and progress (for the home page: hx-get="/worklist/progress/")."""
    return render(request, "worklist/_progress.html", {"progress": _my_progress(request.user, today())})


@login_required
@require_GET
def worklist_next(request: HttpRequest) -> HttpResponse:
    after = request.GET.get("after")
    customer_id = worklist_next_customer_id(user=request.user, as_of=today(), after=int(after) if (after or "").isdigit() else None)
    if customer_id is None:
        messages.success(request, "Your worklist is done for today.")
        return redirect("worklist:home")
    return redirect(f"{reverse('worklist:customer', args=[customer_id])}?flow=next")


def _workspace_context(request: HttpRequest, customer: Any, form: CallLogForm | None = None, *, flow: str = "") -> dict[str, Any]:
    as_of = today()
    risk = account_risk_for_customers(customer_ids=[customer.pk], as_of=as_of)[customer.pk]
    items = list(worklist_items_for_customer(customer_id=customer.pk, as_of=as_of))
    balances = sorted(
        ({"currency": c, "overdue": risk.overdue.get(c, 0), "open": risk.overdue.get(c, 0) + risk.not_due.get(c, 0)}
         for c in set(risk.overdue) | set(risk.not_due)),
        key=lambda b: b["currency"],
    )
    return {
        "customer": customer, "as_of": as_of, "risk": risk, "balances": balances,
        "items": [i for i in items if i.status == ItemStatus.OPEN], "done_items": [i for i in items if i.status == ItemStatus.DONE],
        "form": form or CallLogForm(customer=customer, initial={"next": "next" if flow == "next" else ""}),
        "outcome_keys": OUTCOME_KEYS, "flow": flow, "can_write": not request.user.is_read_only,
        "note_form": NoteForm(), "last_call": CallLog.objects.filter(customer=customer).order_by("-at").first(),
    }


@login_required
@require_GET
def customer_workspace(request: HttpRequest, pk: int) -> HttpResponse:
    customer = worklist_customer_get(user=request.user, pk=pk, as_of=today())
    context = _workspace_context(request, customer, flow=request.GET.get("flow", ""))
    context |= _timeline_context(customer)
    return render(request, "worklist/customer.html", context)


def _timeline_context(customer: Any) -> dict[str, Any]:
    as_of = today()
    trend = dbt_trend_for_customer(customer_id=customer.pk, as_of=as_of)
    return {
        "customer": customer, "entries": timeline_for_customer(customer_id=customer.pk, limit=TIMELINE_LIMIT),
        "trend": trend, "chart": dbt_chart(trend), "has_trend": any(p.settled for p in trend), "contacts": contacts_with_consent(customer_id=customer.pk),
    }


@login_required
@require_GET
def customer_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer 360 timeline, trend chart and contacts as an htmx partial."""
    customer = worklist_customer_get(user=request.user, pk=pk, as_of=today())
    return render(request, "worklist/_timeline.html", _timeline_context(customer))


def _safe_next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return value
    return ""


@login_required
def customer_call(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the call form (a partial for htmx). POST: log the call; the compliance gate decides first."""
    customer = worklist_customer_get(user=request.user, pk=pk, as_of=today())
    if request.method == "GET":
        form = CallLogForm(customer=customer, initial={"next": request.GET.get("next", "")})
        return render(request, "worklist/_call_form.html", {"customer": customer, "form": form, "outcome_keys": OUTCOME_KEYS,
                                                             "can_write": not request.user.is_read_only})
    if request.method != "POST":
        return HttpResponse(status=405)
    if request.user.is_read_only:
        raise PermissionDenied("read-only users cannot log calls")
    form = CallLogForm(request.POST, customer=customer)
    blocked = None
    if form.is_valid():
        try:
            log = call_log_create(customer=customer, user=request.user, **form.service_kwargs())
        except ComplianceBlocked as exc:
            blocked = exc
        except (WorklistError, PromiseError, DisputeError, ComplianceError) as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Call logged: {log.get_outcome_display()}"
                             + (f"; promise of {log.promise.amount} {log.promise.currency} by {log.promise.promised_date}" if log.promise_id else ""))
            target = form.cleaned_data.get("next") or ""
            if target == "next":
                return redirect(f"{reverse('worklist:customer', args=[customer.pk])}?flow=next&logged={log.pk}")
            return redirect(_safe_next(request, target) or reverse("worklist:customer", args=[customer.pk]))
    context = _workspace_context(request, customer, form, flow="next" if request.POST.get("next") == "next" else "")
    context |= _timeline_context(customer)
    context["blocked"] = blocked
    return render(request, "worklist/customer.html", context, status=409 if blocked else 400)


@login_required
@require_POST
def customer_note(request: HttpRequest, pk: int) -> HttpResponse:
    customer = worklist_customer_get(user=request.user, pk=pk, as_of=today())
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note_create(customer=customer, author=request.user, body=form.cleaned_data["body"])
            messages.success(request, "Note added.")
        except WorklistError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "A note needs some text.")
    return redirect(reverse("worklist:customer", args=[customer.pk]) + "#timeline")


# --- team dashboard ---------------------------------------------------------------------------------


def _team_rows(team: Any, as_of: dt.date) -> list[dict[str, Any]]:
    rows = []
    members = team_members(team=team)
    progress = {p.target.user_id: p for p in targets_current(as_of=as_of, users=members)}
    counts = {}
    for user_id, status in WorklistItem.objects.filter(user__in=members, as_of=as_of).values_list("user_id", "status"):
        counts.setdefault(user_id, {"open": 0, "done": 0})[status] += 1
    start = dt.datetime.combine(as_of, dt.time.min, tzinfo=now().tzinfo)
    calls = {}
    for user_id in CallLog.objects.filter(user__in=members, at__gte=start).values_list("user_id", flat=True):
        calls[user_id] = calls.get(user_id, 0) + 1
    for m in members:
        rows.append({"user": m, "open": counts.get(m.pk, {}).get("open", 0), "done": counts.get(m.pk, {}).get("done", 0),
                     "calls": calls.get(m.pk, 0), "progress": [p for uid, p in progress.items() if uid == m.pk]})
    return rows


@login_required
@require_GET
def team_dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    teams = list(teams_visible(user=user))
    if not teams and not user.sees_whole_portfolio:
        raise PermissionDenied("the team dashboard is for team leads and the head of collections")
    as_of = today()
    blocks = []
    for team in teams:
        blocks.append({"team": team, "rows": _team_rows(team, as_of),
                       "progress": targets_current(as_of=as_of, teams=[team])})
    users = User.objects.filter(team__in=teams, is_active=True).order_by("username")
    return render(request, "worklist/team.html", {
        "as_of": as_of, "blocks": blocks,
        "target_form": TargetForm(users=users, teams=teams_visible(user=user), initial={"start_date": as_of.replace(day=1), "period": "monthly"}),
        "absence_form": AbsenceForm(users=users, initial={"start": as_of, "end": as_of}),
        "may_write": not user.is_read_only,
    })


@login_required
@require_POST
def target_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    teams = teams_visible(user=user)
    users = User.objects.filter(team__in=teams) if not user.sees_whole_portfolio else User.objects.all()
    form = TargetForm(request.POST, users=users, teams=teams)
    if not form.is_valid():
        messages.error(request, "Target not set: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("worklist:team")
    d = form.cleaned_data
    if not target_may_set(actor=user, user=d.get("user"), team=d.get("team")):
        raise PermissionDenied("you may not set this target")
    try:
        target = target_set(actor=user, scope=d["scope"], user=d.get("user") if d["scope"] == "user" else None,
                            team=d.get("team") if d["scope"] == "team" else None, period=d["period"],
                            start_date=d["start_date"], amount=d["amount"], currency=d["currency"])
        messages.success(request, f"Target set: {target}.")
    except WorklistError as exc:
        messages.error(request, exc.message)
    return redirect("worklist:team")


@login_required
@require_POST
def absence_add(request: HttpRequest) -> HttpResponse:
    teams = teams_visible(user=request.user)
    form = AbsenceForm(request.POST, users=User.objects.filter(team__in=teams))
    if not form.is_valid():
        messages.error(request, "Absence not recorded: check the dates and the person.")
        return redirect("worklist:team")
    try:
        absence_create(actor=request.user, **form.cleaned_data)
        messages.success(request, f"Absence recorded for {form.cleaned_data['user']}.")
    except WorklistError as exc:
        messages.error(request, exc.message)
    return redirect("worklist:team")


@login_required
@require_POST
def team_rebalance(request: HttpRequest, team_id: int) -> HttpResponse:
    team = teams_visible(user=request.user).filter(pk=team_id).first()
    if team is None or request.user.is_read_only:
        raise Http404("No such team")
    try:
        result = worklist_rebalance(team=team, as_of=today(), actor=request.user)
        messages.success(request, f"{result.moved} worklist items moved from absent collectors.")
    except WorklistError as exc:
        messages.error(request, exc.message)
    return redirect("worklist:team")


@login_required
@require_POST
def worklist_rebuild(request: HttpRequest) -> HttpResponse:
    if request.user.is_read_only or not (request.user.sees_whole_portfolio or request.user.role == Role.LEAD):
        raise PermissionDenied("only leads and the head of collections rebuild the worklists")
    result = worklist_build(as_of=today())
    messages.success(request, f"Worklists rebuilt: {result.created} new, {result.closed} done, {result.open} open.")
    return redirect("worklist:team" if request.POST.get("back") == "team" else "worklist:home")


# --- calendar ---------------------------------------------------------------------------------------


def _month(value: str | None, fallback: dt.date) -> dt.date:
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return fallback.replace(day=1)


@login_required
@require_GET
def calendar_month(request: HttpRequest) -> HttpResponse:
    first = _month(request.GET.get("month"), today())
    start = first - dt.timedelta(days=first.weekday())
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    end = last + dt.timedelta(days=6 - last.weekday())
    events = calendar_events_for_user(user=request.user, start=start, end=end)
    by_day: dict[dt.date, list[Any]] = {}
    for e in events:
        by_day.setdefault(e.date, []).append(e)
    weeks, day = [], start
    while day <= end:
        weeks.append([(d, by_day.get(d, []), d.month == first.month) for d in (day + dt.timedelta(days=i) for i in range(7))])
        day += dt.timedelta(days=7)
    token = calendar_token_get_or_create(user=request.user)
    prev_month = (first - dt.timedelta(days=1)).replace(day=1)
    next_month = last + dt.timedelta(days=1)
    return render(request, "worklist/calendar.html", {
        "first": first, "weeks": weeks, "today": today(), "event_count": sum(1 for e in events if e.date.month == first.month),
        "prev_month": prev_month, "next_month": next_month,
        "feed_url": request.build_absolute_uri(reverse("worklist:calendar_ics") + f"?token={token.token}"),
    })


@require_GET
def calendar_ics(request: HttpRequest) -> HttpResponse:
    """The iCal feed: no login (a calendar app cannot log in); the per-user secret token in the URL."""
    user = calendar_user_for_token(token=request.GET.get("token", ""))
    if user is None:
        raise Http404("No such calendar")
    as_of = today()
    events = calendar_events_for_user(user=user, start=as_of - dt.timedelta(days=31), end=as_of + dt.timedelta(days=180))
    body = ical_calendar(events=events, name=f"Arrears: {user}", stamp=now(), host=request.get_host().split(":")[0],
                         base_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="arrears.ics"'
    return response
