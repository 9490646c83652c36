"""The project's URLs plus this app's, for tests (a no-op once config/urls.py includes the app)."""

from django.urls import URLResolver, include, path

from config.urls import urlpatterns as project

_included = any(isinstance(p, URLResolver) and p.namespace == "communications" for p in project)
urlpatterns = project if _included else [path("communications/", include("arrears.communications.urls")), *project]
