"""The workspace pages, mounted at /worklist/ by config/urls.py."""

from django.urls import path

from arrears.worklist import views

app_name = "worklist"

urlpatterns = [
    path("", views.worklist_home, name="home"),
    path("next/", views.worklist_next, name="next"),
    path("progress/", views.progress_partial, name="progress"),
    path("rebuild/", views.worklist_rebuild, name="rebuild"),
    path("customers/<int:pk>/", views.customer_workspace, name="customer"),
    path("customers/<int:pk>/timeline/", views.customer_timeline, name="timeline"),
    path("customers/<int:pk>/call/", views.customer_call, name="call"),
    path("customers/<int:pk>/notes/", views.customer_note, name="note"),
    path("team/", views.team_dashboard, name="team"),
    path("team/<int:team_id>/rebalance/", views.team_rebalance, name="rebalance"),
    path("targets/", views.target_create, name="target_create"),
    path("absences/", views.absence_add, name="absence_create"),
    path("calendar/", views.calendar_month, name="calendar"),
    path("calendar.ics", views.calendar_ics, name="calendar_ics"),
]
