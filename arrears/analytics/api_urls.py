"""API: include under "api/" (see config/urls.py)."""

from django.urls import path

from arrears.analytics.apis import KpiReportApi

urlpatterns = [path("kpis/", KpiReportApi.as_view(), name="api_kpis")]
