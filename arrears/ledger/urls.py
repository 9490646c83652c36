"""REST API for the ledger, mounted at /api/ by config/urls.py. Keep `urlpatterns` a plain list."""

from django.urls import path

from arrears.ledger import apis
from arrears.ledger.apis_aging import AgingReportApi

urlpatterns = [
    path("business-units/", apis.BusinessUnitListApi.as_view(), name="api-business-unit-list"),
    path("customers/", apis.CustomerListCreateApi.as_view(), name="api-customer-list"),
    path("customers/<int:pk>/", apis.CustomerDetailApi.as_view(), name="api-customer-detail"),
    path("customers/<int:customer_id>/contacts/", apis.ContactListCreateApi.as_view(), name="api-contact-list"),
    path(
        "customers/<int:customer_id>/contacts/<int:pk>/", apis.ContactDetailApi.as_view(), name="api-contact-detail"
    ),
    path(
        "customers/<int:customer_id>/contacts/<int:contact_id>/consents/",
        apis.ConsentListApi.as_view(),
        name="api-consent-list",
    ),
    path(
        "customers/<int:customer_id>/contacts/<int:contact_id>/consents/<str:channel>/",
        apis.ConsentDetailApi.as_view(),
        name="api-consent-detail",
    ),
    path("documents/", apis.DocumentListCreateApi.as_view(), name="api-document-list"),
    path("documents/<int:pk>/", apis.DocumentDetailApi.as_view(), name="api-document-detail"),
    path("documents/<int:pk>/write-off/", apis.DocumentWriteOffApi.as_view(), name="api-document-write-off"),
    path("payments/", apis.PaymentListCreateApi.as_view(), name="api-payment-list"),
    path("payments/<int:pk>/", apis.PaymentDetailApi.as_view(), name="api-payment-detail"),
    path("payments/<int:pk>/allocate/", apis.PaymentAllocateApi.as_view(), name="api-payment-allocate"),
    path("allocations/", apis.AllocationListApi.as_view(), name="api-allocation-list"),
    path("allocations/<int:pk>/", apis.AllocationDetailApi.as_view(), name="api-allocation-detail"),
    path("aging/", AgingReportApi.as_view(), name="api-aging"),
]
