"""Server-rendered pages for disputes and payment plans (issue 5).

Every page starts at the permission gates (`dispute_list_visible`, `plan_list_visible`,
`customer_get_for_user`), so a collector gets 404 for another collector's records. Auditors read and
get 403 on every POST. Writes go through the services only; their errors are shown as messages that
name the code and the reason, and change nothing (the services are atomic).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from arrears.common.clock import today
from arrears.disputes.errors import DisputeError
from arrears.disputes.models import Dispute, DisputeReason, DisputeStatus
from arrears.disputes.selectors import dispute_list_visible
from arrears.disputes.services import (
    dispute_comment_add,
    dispute_credit,
    dispute_open,
    dispute_resolve_invalid,
    dispute_resolve_valid,
    dispute_start_review,
)
from arrears.ledger.models import ZERO, Customer, Document, DocumentKind
from arrears.ledger.selectors import customer_get_for_user, document_list_visible
from arrears.promises import conf as plan_conf
from arrears.promises.errors import PromiseError
from arrears.promises.models import PaymentPlan, PlanFrequency, PlanStatus
from arrears.promises.selectors import plan_list_visible
from arrears.promises.services import plan_approve, plan_cancel, plan_create
from arrears.users.models import Role
from arrears.web.selectors import page_fetch, page_number

PAGE_SIZE = 50
MAY_ADJUST = frozenset({Role.ADMIN, Role.HEAD, Role.LEAD})
CANCELLABLE = frozenset({PlanStatus.DRAFT, PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE})


def _role(user: Any) -> str:
    return Role.ADMIN if user.is_superuser else user.role


def _may_write(user: Any) -> bool:
    return _role(user) != Role.AUDITOR


def _may_adjust(user: Any) -> bool:
    return _role(user) in MAY_ADJUST


def _forbid_readers(request: HttpRequest) -> None:
    if not _may_write(request.user):
        raise PermissionDenied("auditors read; they do not change disputes or plans")


def _error(request: HttpRequest, exc: DisputeError | PromiseError) -> None:
    messages.error(request, f"{exc.code}: {exc.message}")


def _int(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _date(raw: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        return None


def _open_documents(user: Any, customer: Customer) -> QuerySet[Document]:
    """Debit documents of the customer with something open, through the document gate."""
    return (
        document_list_visible(user=user)
        .filter(customer=customer, open_amount__gt=ZERO)
        .exclude(kind=DocumentKind.CREDIT_NOTE)
        .order_by("due_date", "id")
    )


# --- disputes ------------------------------------------------------------------------------------


def _dispute_get(user: Any, pk: int) -> Dispute:
    return get_object_or_404(dispute_list_visible(user=user).select_related("customer", "created_by"), pk=pk)


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    qs = dispute_list_visible(user=request.user).select_related("customer").order_by("-opened_at", "-id")
    status = request.GET.get("status", "")
    reason = request.GET.get("reason", "")
    owner = request.GET.get("owner", "")
    if status in DisputeStatus.values:
        qs = qs.filter(status=status)
    elif status == "holding":
        qs = qs.filter(status__in=[DisputeStatus.OPEN, DisputeStatus.IN_REVIEW])
    if reason in DisputeReason.values:
        qs = qs.filter(reason=reason)
    if owner == "mine":
        qs = qs.filter(owner=request.user)
    page = page_fetch(qs, page=page_number(request.GET.get("page")), size=PAGE_SIZE)
    context = {
        "page": page, "status": status, "reason": reason, "owner": owner, "as_of": today(),
        "statuses": DisputeStatus.choices, "reasons": DisputeReason.choices,
    }
    return render(request, "web/cases/dispute_list.html", context)


@login_required
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _dispute_get(request.user, pk)
    may_write = _may_write(request.user)
    context = {
        "dispute": dispute,
        "customer": dispute.customer,
        "lines": list(dispute.lines.all()),
        "comments": list(dispute.comments.select_related("author")),
        "attachments": list(dispute.attachments.all()),
        "as_of": today(),
        "may_write": may_write,
        "may_review": may_write and dispute.status == DisputeStatus.OPEN,
        "may_resolve": may_write and dispute.status == DisputeStatus.IN_REVIEW,
        "may_credit": may_write and dispute.status == DisputeStatus.IN_REVIEW and _may_adjust(request.user),
    }
    return render(request, "web/cases/dispute_detail.html", context)


@login_required
@require_POST
def dispute_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _forbid_readers(request)
    dispute = _dispute_get(request.user, pk)
    note = request.POST.get("note", "")
    done = {
        "review": "Review started.",
        "invalid": "Resolved: the claim is invalid.",
        "valid": "Resolved: the claim is valid.",
        "credit": "Credited.",
        "comment": "Comment added.",
    }
    if action not in done:
        raise Http404("No such action")
    adjusting = action == "credit" or (action == "valid" and request.POST.get("adjustment") == "write_off")
    if adjusting and not _may_adjust(request.user):
        messages.error(
            request,
            "not_allowed: only a team lead, the head of collections or an administrator may credit or write off",
        )
        return HttpResponseRedirect(reverse("case_dispute_detail", args=[dispute.pk]))
    try:
        if action == "review":
            dispute_start_review(dispute=dispute, note=note)
        elif action == "invalid":
            dispute_resolve_invalid(dispute=dispute, note=note)
        elif action == "valid":
            dispute_resolve_valid(
                dispute=dispute, note=note, adjustment=request.POST.get("adjustment", ""),
                amount=request.POST.get("amount") or None, by=request.user,
            )
        elif action == "credit":
            dispute_credit(dispute=dispute, note=note, amount=request.POST.get("amount") or None)
        else:
            dispute_comment_add(dispute=dispute, author=request.user, body=request.POST.get("body", ""))
    except DisputeError as exc:
        _error(request, exc)
    else:
        messages.success(request, done[action])
    return HttpResponseRedirect(reverse("case_dispute_detail", args=[dispute.pk]))


@login_required
def dispute_new(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get_for_user(user=request.user, pk=pk)
    documents = list(_open_documents(request.user, customer))
    chosen: dict[int, str] = {}
    reason, description = "", ""
    if request.method == "POST":
        _forbid_readers(request)
        reason = request.POST.get("reason", "")
        description = request.POST.get("description", "")
        by_pk = {d.pk: d for d in documents}
        for raw in request.POST.getlist("document"):
            doc_pk = _int(raw)
            if doc_pk in by_pk:
                chosen[doc_pk] = request.POST.get(f"amount_{doc_pk}", "").strip()
        try:
            dispute = dispute_open(
                customer=customer, reason=reason, description=description, created_by=request.user,
                lines=[(by_pk[doc_pk], amount or None) for doc_pk, amount in chosen.items()],
            )
        except DisputeError as exc:
            _error(request, exc)
        else:
            messages.success(request, f"Dispute {dispute.pk} opened.")
            return HttpResponseRedirect(reverse("case_dispute_detail", args=[dispute.pk]))
    context = {
        "customer": customer, "documents": documents, "chosen": chosen, "reason": reason,
        "description": description, "reasons": DisputeReason.choices, "may_write": _may_write(request.user),
    }
    return render(request, "web/cases/dispute_new.html", context, status=400 if request.method == "POST" else 200)


# --- payment plans -------------------------------------------------------------------------------


def _may_approve(user: Any, plan: PaymentPlan, count: int) -> bool:
    limit = plan_conf.approval_limit(_role(user))
    return limit is not None and limit.allows(instalments=count, total=plan.total, currency=plan.currency)


def _plan_get(user: Any, pk: int) -> PaymentPlan:
    return get_object_or_404(
        plan_list_visible(user=user).select_related("customer", "created_by", "approved_by"), pk=pk
    )


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    qs = plan_list_visible(user=request.user).select_related("customer").order_by("-made_on", "-id")
    status = request.GET.get("status", "")
    if status in PlanStatus.values:
        qs = qs.filter(status=status)
    page = page_fetch(qs, page=page_number(request.GET.get("page")), size=PAGE_SIZE)
    context = {"page": page, "status": status, "statuses": PlanStatus.choices}
    return render(request, "web/cases/plan_list.html", context)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_get(request.user, pk)
    instalments = list(plan.instalments.all())
    may_write = _may_write(request.user)
    context = {
        "plan": plan,
        "customer": plan.customer,
        "instalments": instalments,
        "documents": list(plan.documents.order_by("due_date", "id")),
        "may_approve": may_write
        and plan.status == PlanStatus.PENDING_APPROVAL
        and _may_approve(request.user, plan, len(instalments)),
        "may_cancel": may_write and plan.status in CANCELLABLE,
    }
    return render(request, "web/cases/plan_detail.html", context)


@login_required
@require_POST
def plan_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _forbid_readers(request)
    plan = _plan_get(request.user, pk)
    try:
        if action == "approve":
            plan_approve(plan=plan, by=request.user)
            messages.success(request, "Plan approved: it is active.")
        elif action == "cancel":
            plan_cancel(plan=plan, reason=request.POST.get("reason", ""))
            messages.success(request, "Plan cancelled.")
        else:
            raise Http404("No such action")
    except PromiseError as exc:
        _error(request, exc)
    return HttpResponseRedirect(reverse("case_plan_detail", args=[plan.pk]))


@login_required
def plan_new(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get_for_user(user=request.user, pk=pk)
    documents = list(_open_documents(request.user, customer))
    form: dict[str, Any] = {"count": "3", "frequency": PlanFrequency.MONTHLY, "first_due_date": "", "chosen": set()}
    status = 200
    if request.method == "POST":
        _forbid_readers(request)
        by_pk = {d.pk: d for d in documents}
        chosen = {p for p in (_int(r) for r in request.POST.getlist("document")) if p in by_pk}
        form = {
            "count": request.POST.get("instalment_count", ""),
            "frequency": request.POST.get("frequency", ""),
            "first_due_date": request.POST.get("first_due_date", ""),
            "chosen": chosen,
        }
        count, first = _int(form["count"]), _date(form["first_due_date"])
        if count is None:
            messages.error(request, f"instalment_count: {form['count']!r} is not a whole number")
        elif first is None:
            messages.error(request, f"first_due_date: {form['first_due_date']!r} is not a date (YYYY-MM-DD)")
        else:
            try:
                plan = plan_create(
                    customer=customer, documents=[by_pk[p] for p in sorted(chosen)], created_by=request.user,
                    instalment_count=count, frequency=form["frequency"], first_due_date=first,
                )
            except PromiseError as exc:
                _error(request, exc)
            else:
                messages.success(request, f"Payment plan {plan.pk} made: {plan.get_status_display().lower()}.")
                return HttpResponseRedirect(reverse("case_plan_detail", args=[plan.pk]))
        status = 400
    context = {
        "customer": customer, "documents": documents, "form": form, "frequencies": PlanFrequency.choices,
        "may_write": _may_write(request.user), "total_open": sum((d.open_amount for d in documents), Decimal(0)),
    }
    return render(request, "web/cases/plan_new.html", context, status=status)
