"""REST API of the workspace, mounted at /api/ by config/urls.py. Keep `urlpatterns` a plain list."""

from django.urls import path

from arrears.worklist import apis

urlpatterns = [
    path("worklist/items/", apis.WorklistItemListApi.as_view(), name="api-worklist-items"),
    path("call-logs/", apis.CallLogListCreateApi.as_view(), name="api-call-logs"),
    path("follow-ups/", apis.FollowUpListCreateApi.as_view(), name="api-follow-ups"),
    path("follow-ups/<int:pk>/complete/", apis.FollowUpCompleteApi.as_view(), name="api-follow-up-complete"),
    path("notes/", apis.NoteListCreateApi.as_view(), name="api-notes"),
    path("targets/", apis.TargetListCreateApi.as_view(), name="api-targets"),
    path("targets/<int:pk>/", apis.TargetDetailApi.as_view(), name="api-target-detail"),
]
