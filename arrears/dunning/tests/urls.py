"""The dunning API alone, for tests that must not depend on config/urls.py's wiring."""

from django.urls import include, path

urlpatterns = [path("api/dunning/", include("arrears.dunning.urls"))]
