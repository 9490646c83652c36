from django.urls import path

from arrears.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_upload, name="upload"),
    path("runs/<int:pk>/", views.import_run_detail, name="run"),
    path("runs/<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("runs/<int:pk>/errors.csv", views.import_run_errors_csv, name="errors_csv"),
]
