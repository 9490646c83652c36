"""Pages: statements (upload, list, one statement with its match-rate report) and the matching queue.

Who: administrators, the head of collections and team leads match; auditors may look. Collectors
do not see this area (docs/cash-application.md, "Who may match"). A lead matches only to
customers of their team: customers are found through the ledger gate, and candidates of other
teams are not shown.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from arrears.ledger.selectors import customer_get_for_user
from arrears.payments.errors import MatchError, StatementError
from arrears.payments.models import LineStatus, StatementFormat, StatementLine
from arrears.payments.selectors import (
    cash_may_match,
    cash_may_read,
    customer_find_for_user,
    customer_open_documents,
    line_candidates_visible,
    statement_get,
    statement_line_get,
    statement_line_queue,
    statement_list,
)
from arrears.payments.services import (
    statement_counts,
    statement_import,
    statement_line_ignore,
    statement_line_match,
)

PAGE_SIZE = 50


class UploadForm(forms.Form):
    file = forms.FileField(label="Statement file", help_text="camt.053 XML, MT940 or CSV")
    format = forms.ChoiceField(choices=[("", "Detect"), *StatementFormat.choices], required=False)
    dry_run = forms.BooleanField(required=False, label="Dry run (match and report, post nothing)")


def _need(request: HttpRequest, *, write: bool = False) -> None:
    allowed = cash_may_match(user=request.user) if write else cash_may_read(user=request.user)
    if not allowed:
        raise PermissionDenied("bank statements are for administrators, the head of collections and team leads")


@login_required
@require_http_methods(["GET", "POST"])
def statement_list_view(request: HttpRequest) -> HttpResponse:
    _need(request, write=request.method == "POST")
    form = UploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = statement_import(file_name=upload.name, content=upload.read(),
                                      format=form.cleaned_data["format"] or None, user=request.user,
                                      dry_run=form.cleaned_data["dry_run"])
        except StatementError as exc:
            form.add_error("file", exc.message)
        else:
            if result.statement is not None:
                messages.success(request, f"Imported {upload.name}: {result.report['auto_matched']} of "
                                          f"{result.report['credits']} credits matched automatically.")
                return redirect(result.statement.get_absolute_url())
            report = result.report
    page = Paginator(statement_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "payments/statement_list.html", {
        "form": form, "page": page, "dry_report": report, "may_match": cash_may_match(user=request.user),
    })


@login_required
def statement_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request)
    statement = statement_get(pk=pk)
    lines = statement.lines.select_related("matched_customer", "payment").order_by("position")
    page = Paginator(lines, 200).get_page(request.GET.get("page"))
    return render(request, "payments/statement_detail.html", {
        "statement": statement, "report": statement.report, "counts": statement_counts(statement=statement),
        "page": page,
    })


@login_required
def queue_view(request: HttpRequest) -> HttpResponse:
    _need(request)
    status = request.GET.get("status", "")
    qs = statement_line_queue()
    if status in (LineStatus.SUGGESTED, LineStatus.UNMATCHED):
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(line, line_candidates_visible(user=request.user, line=line)) for line in page]
    return render(request, "payments/queue.html", {
        "page": page, "rows": rows, "status": status, "may_match": cash_may_match(user=request.user),
    })


def _match_context(request: HttpRequest, line: StatementLine, customer_query: str) -> dict[str, Any]:
    candidates = line_candidates_visible(user=request.user, line=line)
    customer = customer_find_for_user(user=request.user, query=customer_query) if customer_query else None
    if customer is None and not customer_query and candidates:
        customer = customer_find_for_user(user=request.user, query=str(candidates[0]["customer_id"]))
    rows = []
    if customer is not None:
        # Pre-fill: the candidate's allocation for this customer, else oldest first up to the line amount.
        proposed = next((c for c in candidates if c["customer_id"] == customer.pk), None)
        planned = {a["document_id"]: Decimal(a["amount"]) for a in proposed["allocations"]} if proposed else None
        left = line.amount
        for doc in customer_open_documents(customer=customer, currency=line.currency)[:50]:
            if planned is not None:
                amount = planned.get(doc.pk, Decimal(0))
            else:
                amount = min(left, doc.open_amount)
                left -= amount
            rows.append({"doc": doc, "amount": amount if amount > 0 else None})
    return {"line": line, "candidates": candidates, "customer": customer, "customer_query": customer_query,
            "rows": rows}


@login_required
@require_http_methods(["GET", "POST"])
def line_match_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, write=True)
    line = statement_line_get(pk=pk)
    if request.method == "GET":
        ctx = _match_context(request, line, request.GET.get("customer", "").strip())
        return render(request, "payments/_match_form.html", ctx)
    customer = customer_get_for_user(user=request.user, pk=request.POST.get("customer_id", "0"))
    error = ""
    allocations = []
    docs = {d.pk: d for d in customer_open_documents(customer=customer, currency=line.currency)}
    for key, raw in request.POST.items():
        if not key.startswith("doc_") or not raw.strip():
            continue
        try:
            doc_id, amount = int(key[4:]), Decimal(raw.strip().replace(",", "."))
        except (ValueError, InvalidOperation):
            error = f"{raw!r} is not an amount"
            break
        if amount == 0:
            continue
        if doc_id not in docs:
            error = f"document {doc_id} is not an open document of {customer}"
            break
        allocations.append((docs[doc_id], amount))
    if not error:
        try:
            line = statement_line_match(line=line, customer=customer, allocations=allocations, user=request.user)
        except MatchError as exc:
            error = exc.message
    if error:
        ctx = _match_context(request, line, str(customer.pk))
        ctx["error"] = error
        return render(request, "payments/_match_form.html", ctx, status=400 if request.htmx else 200)
    if request.htmx:
        return render(request, "payments/_queue_row.html", {"line": line, "candidates": [], "may_match": True})
    messages.success(request, f"Line {line.pk} matched to {customer}.")
    return redirect("payments_queue")


@login_required
@require_POST
def line_ignore_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, write=True)
    line = statement_line_get(pk=pk)
    try:
        line = statement_line_ignore(line=line, user=request.user, reason=request.POST.get("reason", ""))
    except MatchError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=400)
        messages.error(request, exc.message)
        return redirect("payments_queue")
    if request.htmx:
        return render(request, "payments/_queue_row.html", {"line": line, "candidates": [], "may_match": True})
    return redirect("payments_queue")
