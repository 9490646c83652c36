"""The project's routes plus the workspace's (config/urls.py may or may not include them yet)."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("worklist/", include("arrears.worklist.urls")),
    path("api/", include("arrears.worklist.api_urls")),
    *project_urlpatterns,
]
