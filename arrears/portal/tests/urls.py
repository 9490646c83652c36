"""The project's routes plus the portal's (and the workspace's), whether or not config/urls.py has them yet."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

_mounted = {str(p.pattern) for p in project_urlpatterns}
urlpatterns = [
    *([path("portal/", include("arrears.portal.urls"))] if "portal/" not in _mounted else []),
    *([path("worklist/", include("arrears.worklist.urls"))] if "worklist/" not in _mounted else []),
    *project_urlpatterns,
]
