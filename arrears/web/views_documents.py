"""Document list and document page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from arrears.common.clock import today
from arrears.web.forms import DocumentFilterForm
from arrears.web.selectors import (
    currency_list_known,
    document_allocation_list,
    document_get_for_user,
    document_list_for_page,
    page_fetch,
    page_number,
)
from arrears.web.views import PAGE_SIZE, portfolio_scope, render_page


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    as_of = today()
    form = DocumentFilterForm(request.GET or None)
    qs = document_list_for_page(user=request.user, as_of=as_of, **form.filters())
    page = page_fetch(qs, page=page_number(request.GET.get("page")), size=PAGE_SIZE)
    context = {
        "form": form,
        "page": page,
        "as_of": as_of,
        "currencies": currency_list_known(),
        "scope": portfolio_scope(request.user),
    }
    return render_page(
        request, template="web/document_list.html", partial="web/_document_table.html", context=context
    )


@login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = document_get_for_user(user=request.user, pk=pk)
    context = {
        "document": document,
        "customer": document.customer,
        "allocations": document_allocation_list(document=document),
        "as_of": today(),
    }
    return render(request, "web/document_detail.html", context)
