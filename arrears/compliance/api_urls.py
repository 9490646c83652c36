"""Compliance REST API, mounted at /api/ by config/urls.py."""

from django.urls import path

from arrears.compliance import apis

urlpatterns = [
    path("compliance/check/", apis.ComplianceCheckApi.as_view(), name="api-compliance-check"),
    path("compliance/decisions/", apis.ComplianceDecisionListApi.as_view(), name="api-compliance-decision-list"),
    path(
        "compliance/decisions/<int:pk>/", apis.ComplianceDecisionDetailApi.as_view(),
        name="api-compliance-decision-detail",
    ),
]
