"""REST API for disputes, mounted at /api/ by config/urls.py. Keep `urlpatterns` a plain list."""

from django.urls import path

from arrears.disputes import apis

urlpatterns = [
    path("disputes/", apis.DisputeListCreateApi.as_view(), name="api-dispute-list"),
    path("disputes/<int:pk>/", apis.DisputeDetailApi.as_view(), name="api-dispute-detail"),
    path("disputes/<int:pk>/transition/", apis.DisputeTransitionApi.as_view(), name="api-dispute-transition"),
    path("disputes/<int:pk>/assign/", apis.DisputeAssignApi.as_view(), name="api-dispute-assign"),
    path("disputes/<int:pk>/comments/", apis.DisputeCommentListCreateApi.as_view(), name="api-dispute-comments"),
    path("disputes/<int:pk>/attachments/", apis.DisputeAttachmentListCreateApi.as_view(), name="api-dispute-attachments"),
]
