"""REST API for promises and payment plans, mounted at /api/ by config/urls.py. Keep `urlpatterns` a plain list."""

from django.urls import path

from arrears.promises import apis

urlpatterns = [
    path("promises/", apis.PromiseListCreateApi.as_view(), name="api-promise-list"),
    path("promises/<int:pk>/", apis.PromiseDetailApi.as_view(), name="api-promise-detail"),
    path("promises/<int:pk>/cancel/", apis.PromiseCancelApi.as_view(), name="api-promise-cancel"),
    path("payment-plans/", apis.PlanListCreateApi.as_view(), name="api-plan-list"),
    path("payment-plans/<int:pk>/", apis.PlanDetailApi.as_view(), name="api-plan-detail"),
    path("payment-plans/<int:pk>/submit/", apis.PlanSubmitApi.as_view(), name="api-plan-submit"),
    path("payment-plans/<int:pk>/approve/", apis.PlanApproveApi.as_view(), name="api-plan-approve"),
    path("payment-plans/<int:pk>/cancel/", apis.PlanCancelApi.as_view(), name="api-plan-cancel"),
]
