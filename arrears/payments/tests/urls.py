"""The project's routes plus the payments pages and API (config/urls.py may not include them yet)."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/", include("arrears.payments.api_urls")),
    path("payments/", include("arrears.payments.urls")),
    *project_urlpatterns,
]
