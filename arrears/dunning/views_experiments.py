"""Champion/challenger pages: /experiments/ (the list) and /experiments/<rule id>/ (the two arms side by
side, the tests and the verdict; ``?format=csv`` exports the per-arm table). config/urls.py mounts
``experiment_urls`` at /experiments/. Read by admin, head, lead and auditor; collectors get 403."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from arrears.common.clock import today
from arrears.dunning.errors import DunningError
from arrears.dunning.services.experiments import (
    experiment_get,
    experiment_list,
    experiment_may_read,
    experiment_period_default,
    experiment_report,
    experiment_rows,
)


def _gate(request: HttpRequest) -> None:
    if not experiment_may_read(user=request.user):
        raise PermissionDenied("experiments are read by admins, heads of collections, team leads and auditors")


@login_required
def experiment_list_page(request: HttpRequest) -> HttpResponse:
    _gate(request)
    return render(request, "dunning/experiments.html", {"experiments": experiment_list()})


def _date(raw: str, default: dt.date, name: str, errors: list[str]) -> dt.date:
    raw = (raw or "").strip()
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{name}: {raw!r} is not a date; expected YYYY-MM-DD")
        return default


@login_required
def experiment_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    _gate(request)
    try:
        rule = experiment_get(rule_id=pk)
    except DunningError as exc:
        raise Http404(exc.message) from exc
    default_start, default_end = experiment_period_default(rule=rule, today=today())
    errors: list[str] = []
    start = _date(request.GET.get("from", ""), default_start, "from", errors)
    end = _date(request.GET.get("to", ""), default_end, "to", errors)
    currency = (request.GET.get("currency") or "").strip().upper()
    report: dict[str, Any] | None = None
    if not errors:
        try:
            report = experiment_report(rule=rule, start=start, end=end, currency=currency or None)
        except DunningError as exc:
            errors.append(exc.message)
    if report is not None and request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (f'attachment; filename="experiment-{rule.pk}-{start.isoformat()}-'
                                           f'{end.isoformat()}.csv"')
        writer = csv.writer(response)
        writer.writerows(experiment_rows(report))
        return response
    query = {"from": start.isoformat(), "to": end.isoformat(), **({"currency": currency} if currency else {})}
    context = {
        "rule": rule, "report": report, "errors": errors, "start": start, "end": end, "currency": currency,
        "csv_query": "&".join(f"{k}={v}" for k, v in query.items()) + "&format=csv",
        "tests": [report["tests"]["collection_rate"], report["tests"]["days_to_pay"]] if report else [],
    }
    return render(request, "dunning/experiments_detail.html", context, status=400 if errors else 200)
