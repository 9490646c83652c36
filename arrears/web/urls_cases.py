"""Disputes and payment plans in the web UI; config/urls.py includes this at the root."""

from django.urls import path

from arrears.web import views_cases

urlpatterns = [
    path("disputes/", views_cases.dispute_list, name="case_dispute_list"),
    path("disputes/<int:pk>/", views_cases.dispute_detail, name="case_dispute_detail"),
    path("disputes/<int:pk>/<slug:action>/", views_cases.dispute_action, name="case_dispute_action"),
    path("customers/<int:pk>/disputes/new/", views_cases.dispute_new, name="case_dispute_new"),
    path("plans/", views_cases.plan_list, name="case_plan_list"),
    path("plans/<int:pk>/", views_cases.plan_detail, name="case_plan_detail"),
    path("plans/<int:pk>/<slug:action>/", views_cases.plan_action, name="case_plan_action"),
    path("customers/<int:pk>/plans/new/", views_cases.plan_new, name="case_plan_new"),
]
