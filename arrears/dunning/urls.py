"""Mounted at /api/dunning/ by config/urls.py. Keep `urlpatterns` a plain list."""

from django.urls import path

from arrears.dunning import apis

urlpatterns = [
    path("runs/", apis.DunningRunListApi.as_view(), name="api-dunning-run-list"),
    path("runs/<int:pk>/", apis.DunningRunDetailApi.as_view(), name="api-dunning-run-detail"),
    path("preview/", apis.DunningPreviewApi.as_view(), name="api-dunning-preview"),
    path("experiments/", apis.ExperimentListApi.as_view(), name="api-dunning-experiment-list"),
    path("experiments/<int:pk>/", apis.ExperimentReportApi.as_view(), name="api-dunning-experiment-detail"),
]
