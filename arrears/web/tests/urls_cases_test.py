"""The project's URLs plus the case pages, as config/urls.py will have them."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("", include("arrears.web.urls_cases")), *project_urlpatterns]
