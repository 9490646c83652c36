from django.urls import path

from arrears.web import views, views_audit, views_customers, views_documents

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views_customers.customer_list, name="customer_list"),
    path("customers/<int:pk>/", views_customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/tabs/<slug:tab>/", views_customers.customer_tab, name="customer_tab"),
    path("customers/<int:pk>/flags/", views_customers.customer_flags, name="customer_flags"),
    path("documents/", views_documents.document_list, name="document_list"),
    path("documents/<int:pk>/", views_documents.document_detail, name="document_detail"),
    path("audit/", views_audit.audit_list, name="audit"),
]
