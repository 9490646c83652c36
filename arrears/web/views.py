"""The web shell: home page and the helpers every page view shares.

Views parse the request, call one selector (or service) and render. Pages that htmx refreshes
render only their partial when the request comes from htmx, and the whole page otherwise, so every
URL also works as a bookmark and without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from arrears.common.clock import today
from arrears.users.models import Role
from arrears.web.selectors import portfolio_summary

PAGE_SIZE = 50


def render_page(
    request: HttpRequest, *, template: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """The partial for an htmx swap, the full page for a normal load or an htmx history restore."""
    htmx = getattr(request, "htmx", None)
    name = partial if htmx and not htmx.history_restore_request else template
    response = render(request, name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def portfolio_scope(user: Any) -> str:
    if user.sees_whole_portfolio:
        return "Whole portfolio"
    if user.role == Role.LEAD:
        return "Your team's portfolio"
    return "Your portfolio"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    as_of = today()
    summary = portfolio_summary(user=request.user, as_of=as_of)
    return render(
        request,
        "web/home.html",
        {"summary": summary, "as_of": as_of, "scope": portfolio_scope(request.user)},
    )
