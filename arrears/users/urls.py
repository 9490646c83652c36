"""API routes of the users app, mounted at /api/ by config/urls.py."""

from django.urls import path

from arrears.users.apis import TokenObtainApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token"),
]
