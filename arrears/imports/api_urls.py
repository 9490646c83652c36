"""REST API for imports, mounted at /api/ by config/urls.py."""

from django.urls import path

from arrears.imports import apis

urlpatterns = [
    path("imports/", apis.ImportRunListCreateApi.as_view(), name="api-import-list"),
    path("imports/<int:pk>/", apis.ImportRunDetailApi.as_view(), name="api-import-detail"),
    path("import-profiles/", apis.ImportProfileListApi.as_view(), name="api-import-profile-list"),
]
