"""The project's URLs plus the analytics ones, until config/urls.py includes them (see docs/analytics.md)."""

from django.urls import include, path

from config.urls import urlpatterns as project

urlpatterns = [
    path("analytics/", include("arrears.analytics.urls")),
    path("api/", include("arrears.analytics.api_urls")),
    *project,
]
