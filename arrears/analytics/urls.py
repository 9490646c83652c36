"""Pages: include under "analytics/" (see config/urls.py)."""

from django.urls import path, re_path

from arrears.analytics import views

urlpatterns = [
    path("", views.dashboard_page, name="analytics_dashboard"),
    re_path(r"^report/(?P<month>\d{4}-\d{2})\.pdf$", views.report_pdf, name="analytics_report_pdf"),
    re_path(r"^export/(?P<table>[a-z-]+)\.(?P<fmt>csv|xlsx)$", views.export_table, name="analytics_export"),
]
