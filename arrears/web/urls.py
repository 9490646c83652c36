from django.urls import path

from arrears.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
