"""The dunning pages, mounted at /dunning/ by config/urls.py (the API is urls.py, at /api/dunning/)."""

from django.urls import path

from arrears.dunning import views

app_name = "dunning"

urlpatterns = [
    path("strategies/", views.strategy_list, name="strategy_list"),
    path("strategies/new/", views.strategy_new, name="strategy_new"),
    path("strategies/<int:pk>/", views.strategy_detail, name="strategy_detail"),
    path("strategies/<int:pk>/edit/", views.strategy_edit, name="strategy_edit"),
    path("strategies/<int:pk>/default/", views.strategy_default, name="strategy_default"),
    path("rules/new/", views.rule_new, name="rule_new"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/move/", views.rule_move, name="rule_move"),
    path("rules/<int:pk>/active/", views.rule_active, name="rule_active"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("preview/", views.preview, name="preview"),
    path("diff/", views.diff, name="diff"),
]
