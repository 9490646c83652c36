"""The project's routes plus the users API, until config/urls.py includes arrears.users.urls."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("api/", include("arrears.users.urls")), *project_urlpatterns]
