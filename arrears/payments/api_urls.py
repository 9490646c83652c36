"""REST API for bank statements, mounted at /api/ by config/urls.py. Keep `urlpatterns` a plain list."""

from django.urls import path

from arrears.payments import apis

urlpatterns = [
    path("statements/", apis.StatementListCreateApi.as_view(), name="api-statement-list"),
    path("statements/<int:pk>/", apis.StatementDetailApi.as_view(), name="api-statement-detail"),
    path("statement-lines/", apis.StatementLineListApi.as_view(), name="api-statement-line-list"),
    path("statement-lines/<int:pk>/", apis.StatementLineDetailApi.as_view(), name="api-statement-line-detail"),
    path("statement-lines/<int:pk>/match/", apis.StatementLineMatchApi.as_view(), name="api-statement-line-match"),
    path("statement-lines/<int:pk>/ignore/", apis.StatementLineIgnoreApi.as_view(), name="api-statement-line-ignore"),
]
