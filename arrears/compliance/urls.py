"""Compliance pages, mounted at /compliance/ by config/urls.py."""

from django.urls import path

from arrears.compliance import views

app_name = "compliance"

urlpatterns = [
    path("decisions/", views.decision_list, name="decisions"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision"),
    path("check/", views.compliance_check, name="check"),
]
