"""Only the analytics API, so its schema is checked on its own (other apps' warnings are theirs)."""

from django.urls import include, path

urlpatterns = [path("api/", include("arrears.analytics.api_urls"))]
