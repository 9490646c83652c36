"""The project's routes plus the promises API (config/urls.py may or may not include it yet)."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("api/", include("arrears.promises.urls")), *project_urlpatterns]
