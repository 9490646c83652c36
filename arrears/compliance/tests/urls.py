"""config.urls plus the compliance pages and API, until config/urls.py mounts them."""

from django.urls import include, path

urlpatterns = [
    path("compliance/", include("arrears.compliance.urls")),
    path("api/", include("arrears.compliance.api_urls")),
    path("", include("config.urls")),
]
