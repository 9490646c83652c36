from django.urls import path

from arrears.web import views_aging

urlpatterns = [
    path("", views_aging.aging_page, name="aging"),
    path("export.csv", views_aging.aging_export_csv, name="aging_export_csv"),
    path("export.xlsx", views_aging.aging_export_xlsx, name="aging_export_xlsx"),
]
