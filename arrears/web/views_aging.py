"""The aging page (/aging/) and its CSV/XLSX exports; the numbers come from ledger.aging_report."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import urlencode

from arrears.common.clock import today
from arrears.common.money import MoneyError
from arrears.ledger.aging import (
    BASES,
    GROUPINGS,
    AgingReport,
    aging_report,
    aging_report_header,
    aging_report_lines,
)
from arrears.ledger.errors import LedgerError
from arrears.ledger.exports import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    table_to_csv,
    table_to_csv_chunks,
    table_to_xlsx,
)
from arrears.ledger.models import BusinessUnit, FxRate
from arrears.web.views import portfolio_scope, render_page

ROWS_PER_PAGE = 100
# A CSV export with more rows than this streams (a customer report can have 50,000); a smaller one
# is a plain response with a Content-Length.
STREAM_CSV_ABOVE = 1_000
GROUP_LABELS = {"customer": "Customer", "collector": "Collector", "segment": "Segment", "business-unit": "Business unit"}
BASIS_LABELS = {"due": "Due date", "invoice": "Invoice date"}


class AgingFilterForm(forms.Form):
    as_of = forms.DateField(label="As of", widget=forms.DateInput(attrs={"type": "date"}),
                            error_messages={"invalid": "Enter a date as YYYY-MM-DD."})
    by = forms.ChoiceField(label="Group by", choices=[(g, GROUP_LABELS[g]) for g in GROUPINGS])
    basis = forms.ChoiceField(label="Age by", choices=[(b, BASIS_LABELS[b]) for b in BASES])
    currency = forms.CharField(label="Currency", required=False, max_length=3,
                               widget=forms.TextInput(attrs={"list": "aging-currencies", "size": 4,
                                                             "placeholder": "all", "autocomplete": "off"}))
    reporting_currency = forms.CharField(label="Convert to", required=False, max_length=3,
                                         widget=forms.TextInput(attrs={"list": "aging-currencies", "size": 4,
                                                                       "placeholder": "—", "autocomplete": "off"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("currency", "reporting_currency"):
            data[name] = (data.get(name) or "").strip().upper()
        if data["currency"] and data["reporting_currency"]:
            raise forms.ValidationError("Choose either one currency or a currency to convert to, not both.")
        return data


def _form(request: HttpRequest) -> AgingFilterForm:
    data = {"as_of": today().isoformat(), "by": "customer", "basis": "due"}
    data.update({k: v for k, v in request.GET.items() if k in AgingFilterForm.base_fields and v != ""})
    return AgingFilterForm(data)


def _report(request: HttpRequest, form: AgingFilterForm) -> AgingReport | None:
    """The report for a valid form; a ledger error (e.g. a missing FX rate) becomes a form error."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return aging_report(
            as_of=data["as_of"], by=data["by"], basis=data["basis"], user=request.user,
            currency=data["currency"] or None, reporting_currency=data["reporting_currency"] or None,
        )
    except (LedgerError, MoneyError, ValueError) as exc:
        form.add_error(None, str(exc))
        return None


def _query(form: AgingFilterForm) -> str:
    data = form.cleaned_data
    params = {"as_of": data["as_of"].isoformat(), "by": data["by"], "basis": data["basis"]}
    params |= {k: data[k] for k in ("currency", "reporting_currency") if data.get(k)}
    return urlencode(params)


@login_required
def aging_page(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    report = _report(request, form)
    context: dict[str, Any] = {"form": form, "report": report, "scope": portfolio_scope(request.user)}
    if report is not None:
        page = Paginator(report.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
        query = _query(form)
        context |= {
            "page": page,
            "query": query,
            "group_label": GROUP_LABELS[report.by],
            "basis_label": BASIS_LABELS[report.basis],
            "chart_bars": [(t.currency, t.buckets) for t in report.totals],
            "bucket_labels": [b.label for b in report.buckets],
            "fx_rates": [(c, f"{r.normalize():f}") for c, r in sorted(report.fx_rates.items())],
            "csv_url": f"{reverse('aging_export_csv')}?{query}",
            "xlsx_url": f"{reverse('aging_export_xlsx')}?{query}",
        }
    context["currencies"] = sorted(
        set(BusinessUnit.objects.values_list("home_currency", flat=True))
        | set(FxRate.objects.values_list("currency", flat=True).distinct())
    )
    return render_page(request, template="web/aging.html", partial="web/aging_results.html", context=context)


def _export(request: HttpRequest, kind: str) -> HttpResponse | StreamingHttpResponse:
    form = _form(request)
    report = _report(request, form)
    if report is None:
        errors = "; ".join(f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v) for k, v in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    header, rows = aging_report_header(report), aging_report_lines(report)
    name = f"aging-{report.as_of.isoformat()}-by-{report.by}-{report.basis}"
    response: HttpResponse | StreamingHttpResponse
    if kind == "csv" and len(report.rows) > STREAM_CSV_ABOVE:
        response = StreamingHttpResponse(table_to_csv_chunks(header, rows), content_type=CSV_CONTENT_TYPE)
    elif kind == "csv":
        response = HttpResponse(table_to_csv(header, rows), content_type=CSV_CONTENT_TYPE)
    else:
        body = table_to_xlsx(header, rows, title=f"Aging {report.as_of.isoformat()}")
        response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@login_required
def aging_export_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return _export(request, "csv")


@login_required
def aging_export_xlsx(request: HttpRequest) -> HttpResponse:
    return _export(request, "xlsx")
