"""The project's routes plus the disputes API (config/urls.py may or may not include it yet)."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("api/", include("arrears.disputes.urls")), *project_urlpatterns]
