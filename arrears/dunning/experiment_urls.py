"""Mounted at /experiments/ by config/urls.py: the champion/challenger pages."""

from django.urls import path

from arrears.dunning import views_experiments

urlpatterns = [
    path("", views_experiments.experiment_list_page, name="experiment_list"),
    path("<int:pk>/", views_experiments.experiment_detail_page, name="experiment_detail"),
]
