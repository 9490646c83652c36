"""Customer list, customer page with its htmx tabs, and the customer flags form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from arrears.common.clock import today
from arrears.ledger.models import Channel, Customer
from arrears.ledger.selectors import customer_get_for_user
from arrears.ledger.services import customer_update
from arrears.web.forms import CustomerFilterForm, CustomerFlagsForm
from arrears.web.selectors import (
    AGING_BUCKETS,
    collector_list_visible,
    customer_aging,
    customer_audit_list,
    customer_balance_detail,
    customer_balances,
    customer_contact_list,
    customer_credit_use,
    customer_document_list,
    customer_list_for_page,
    customer_payment_list,
    customer_segment_list,
    page_fetch,
    page_number,
)
from arrears.web.views import PAGE_SIZE, portfolio_scope, render_page

TABS = (
    ("timeline", "Timeline"),
    ("open", "Open items"),
    ("documents", "All documents"),
    ("payments", "Payments"),
    ("contacts", "Contacts"),
    ("audit", "Audit trail"),
)
TAB_PAGE_SIZE = 25


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    as_of = today()
    form = CustomerFilterForm(
        request.GET or None,
        segments=customer_segment_list(user=user),
        collectors=collector_list_visible(user=user),
    )
    qs = customer_list_for_page(user=user, as_of=as_of, **form.filters())
    page = page_fetch(qs, page=page_number(request.GET.get("page")), size=PAGE_SIZE)
    balances = customer_balances(customer_ids=[c.pk for c in page.rows], as_of=as_of)
    rows = [(c, balances.get(c.pk, [])) for c in page.rows]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "as_of": as_of,
        "scope": portfolio_scope(user),
        "show_collector_filter": user.sees_whole_portfolio or user.role == "lead",
    }
    return render_page(
        request, template="web/customer_list.html", partial="web/_customer_table.html", context=context
    )


def _tab_context(request: HttpRequest, customer: Customer, tab: str) -> dict[str, Any]:
    number = page_number(request.GET.get("page"))
    if tab == "timeline":
        return {}  # the worklist app serves the timeline itself, loaded by htmx
    if tab == "open":
        page = page_fetch(customer_document_list(customer=customer, open_only=True), page=number, size=TAB_PAGE_SIZE)
        return {"page": page}
    if tab == "documents":
        page = page_fetch(customer_document_list(customer=customer), page=number, size=TAB_PAGE_SIZE)
        return {"page": page}
    if tab == "payments":
        return {"page": page_fetch(customer_payment_list(customer=customer), page=number, size=TAB_PAGE_SIZE)}
    if tab == "contacts":
        contacts = customer_contact_list(customer=customer)
        channels = list(Channel.choices)
        rows = []
        for contact in contacts:
            by_channel = {c.channel: c for c in contact.consents.all()}
            rows.append((contact, [(label, by_channel.get(value)) for value, label in channels]))
        return {"contact_rows": rows}
    if tab == "audit":
        return {"page": page_fetch(customer_audit_list(customer=customer), page=number, size=TAB_PAGE_SIZE)}
    raise Http404("No such tab")


def _tab_template(tab: str) -> str:
    return f"web/customer_tab_{tab}.html"


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get_for_user(user=request.user, pk=pk)
    tab = request.GET.get("tab", "open")
    if tab not in dict(TABS):
        tab = "open"
    as_of = today()
    balances = customer_balance_detail(customer=customer, as_of=as_of)
    context = {
        "customer": customer,
        "as_of": as_of,
        "balances": balances,
        "credit": customer_credit_use(customer=customer, balances=balances),
        "aging": customer_aging(customer=customer, as_of=as_of),
        "aging_labels": [label for _key, label, *_ in AGING_BUCKETS],
        "tabs": TABS,
        "tab": tab,
        "tab_template": _tab_template(tab),
        "flags_form": CustomerFlagsForm(initial={f: getattr(customer, f) for f in CustomerFlagsForm.FIELDS}),
        "can_write": not request.user.is_read_only,
        **_tab_context(request, customer, tab),
    }
    return render(request, "web/customer_detail.html", context)


@login_required
def customer_tab(request: HttpRequest, pk: int, tab: str) -> HttpResponse:
    if tab not in dict(TABS):
        raise Http404("No such tab")
    customer = customer_get_for_user(user=request.user, pk=pk)
    if not getattr(request, "htmx", None):
        return redirect(f"{customer.get_absolute_url()}?tab={tab}")
    context = {
        "customer": customer,
        "as_of": today(),
        "tabs": TABS,
        "tab": tab,
        "tab_template": _tab_template(tab),
        **_tab_context(request, customer, tab),
    }
    return render(request, "web/_customer_tabs.html", context)


@login_required
@require_POST
def customer_flags(request: HttpRequest, pk: int) -> HttpResponse:
    if request.user.is_read_only:
        raise PermissionDenied("read-only users cannot change customers")
    customer = customer_get_for_user(user=request.user, pk=pk)
    form = CustomerFlagsForm(request.POST)
    if not form.is_valid():  # booleans only: cannot really fail, but never save unchecked input
        messages.error(request, "The flags could not be saved.")
        return redirect(customer.get_absolute_url())
    changes = {f: form.cleaned_data[f] for f in CustomerFlagsForm.FIELDS if form.cleaned_data[f] != getattr(customer, f)}
    if changes:
        try:
            customer_update(customer=customer, **changes)
        except ValidationError as exc:
            messages.error(request, f"Not saved: {'; '.join(exc.messages)}")
            return redirect(customer.get_absolute_url())
        messages.success(request, f"Saved: {', '.join(sorted(changes))}.")
    else:
        messages.info(request, "Nothing changed.")
    return redirect(customer.get_absolute_url())
