"""Dashboards for the head of collections (/analytics/) and team leads (their team), the CSV/XLSX
export of every table and the monthly PDF report (/analytics/report/2026-10.pdf).

Who sees what: the head, admins and auditors see the whole portfolio and may pick a team (?team=);
a lead sees the customers of their team (the ledger's permission gate); a collector gets 403, their
own figures being on the worklist pages.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import urlencode

from arrears.analytics.errors import AnalyticsError
from arrears.analytics.kpis.core import KpiInputError
from arrears.analytics.selectors.dashboard import Dashboard, dashboard_build
from arrears.analytics.selectors.ledger import Scope, currencies_in_use
from arrears.common.clock import today
from arrears.common.money import MoneyError, check_currency
from arrears.ledger.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, table_to_csv, table_to_xlsx
from arrears.users.models import Role, Team, User

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def dashboard_scope(request: HttpRequest) -> tuple[Scope, str, Team | None]:
    """The gate of every analytics page: (scope, its label, the team shown)."""
    user: Any = request.user
    if not (user.sees_whole_portfolio or user.role == Role.LEAD):
        raise PermissionDenied("The analytics dashboards are for the head of collections and team leads.")
    teams = Team.objects.all() if user.sees_whole_portfolio else Team.objects.filter(lead=user)
    team = None
    if request.GET.get("team"):
        team = teams.filter(pk=request.GET["team"]).first() if request.GET["team"].isdigit() else None
        if team is None:
            raise Http404("No such team")
    if team is not None:
        members = tuple(User.objects.filter(team=team).values_list("pk", flat=True))
        ids = tuple(sorted({*members, *([team.lead_id] if team.lead_id else [])}))
        return Scope(user=user, collector_ids=ids), f"Team {team.name}", team
    if user.sees_whole_portfolio:
        return Scope(user=user), "Whole portfolio", None
    return Scope(user=user), "Your team", None


def _month(text: str | None) -> tuple[int, int]:
    if not text:
        first = today().replace(day=1) - dt.timedelta(days=1)
        return first.year, first.month
    m = MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"month: {text!r} is not a month; expected YYYY-MM, e.g. 2026-10")
    return int(m.group(1)), int(m.group(2))


def _currency(text: str | None) -> str | None:
    if text:
        return check_currency(text)
    used = currencies_in_use()
    return used[0] if used else None


def _build(request: HttpRequest, month: tuple[int, int]) -> tuple[Dashboard, Team | None]:
    scope, label, team = dashboard_scope(request)
    user: Any = request.user
    dashboard = dashboard_build(
        month=month, currency=_currency(request.GET.get("currency")), scope=scope, scope_label=label, today=today(),
        # The forecast is per currency and business unit, not per collector: whole-portfolio views only.
        with_forecast=user.sees_whole_portfolio and team is None,
    )
    return dashboard, team


def _query(request: HttpRequest, dashboard: Dashboard) -> str:
    params = {"month": dashboard.start.strftime("%Y-%m"), "currency": dashboard.currency}
    if request.GET.get("team"):
        params["team"] = request.GET["team"]
    return urlencode(params)


def _context(request: HttpRequest, dashboard: Dashboard, team: Team | None) -> dict[str, Any]:
    user: Any = request.user
    return {
        "d": dashboard,
        "team": team,
        "teams": Team.objects.all() if user.sees_whole_portfolio else Team.objects.filter(lead=user),
        "query": _query(request, dashboard),
        "month_value": dashboard.start.strftime("%Y-%m"),
        "trend_labels": [p.start.strftime("%b %y") for p in dashboard.trend],
        "currencies": currencies_in_use(),
    }


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    dashboard_scope(request)  # 403 before any work
    try:
        month = _month(request.GET.get("month"))
        dashboard, team = _build(request, month)
    except (ValueError, AnalyticsError, KpiInputError, MoneyError) as exc:
        return render(request, "analytics/dashboard.html", {"error": str(exc), "currencies": currencies_in_use(),
                                                            "month_value": request.GET.get("month", "")}, status=400)
    return render(request, "analytics/dashboard.html", _context(request, dashboard, team))


@login_required
def report_pdf(request: HttpRequest, month: str) -> HttpResponse:
    """The month's figures as a PDF (WeasyPrint), the same numbers as the dashboard."""
    dashboard_scope(request)
    try:
        dashboard, team = _build(request, _month(month))
    except (ValueError, AnalyticsError, KpiInputError, MoneyError) as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    from weasyprint import HTML

    html = render_to_string("analytics/report_pdf.html", _context(request, dashboard, team) | {"pdf": True}, request=request)
    response = HttpResponse(HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="collections-report-{month}.pdf"'
    return response


@login_required
def export_table(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """One dashboard table as CSV or XLSX: /analytics/export/aging.csv?month=2026-10."""
    dashboard_scope(request)
    try:
        dashboard, _ = _build(request, _month(request.GET.get("month")))
    except (ValueError, AnalyticsError, KpiInputError, MoneyError) as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    tables = dashboard.tables()
    if table not in tables:
        raise Http404(f"No table {table!r}; tables: {', '.join(tables)}")
    title, (header, rows) = tables[table]
    name = f"{table}-{dashboard.start:%Y-%m}-{dashboard.currency}"
    if fmt == "csv":
        response = HttpResponse(table_to_csv(header, rows), content_type=CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(table_to_xlsx(header, rows, title=title), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
