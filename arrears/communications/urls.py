from django.urls import path

from arrears.communications import views

app_name = "communications"

urlpatterns = [
    path("templates/", views.template_list_page, name="template_list"),
    path("templates/<int:pk>/", views.template_detail, name="template_detail"),
    path("templates/<int:pk>/preview/", views.template_preview, name="template_preview"),
    path("outbox/", views.outbox_list, name="outbox_list"),
    path("outbox/<int:pk>/", views.outbox_detail, name="outbox_detail"),
    path("outbox/<int:pk>/resolve/", views.outbox_resolve, name="outbox_resolve"),
    path("letters/<int:pk>/print.pdf", views.letter_batch_download, name="letter_batch"),
    path("inbound/", views.inbound_list, name="inbound_list"),
    path("inbound/<int:pk>/", views.inbound_detail, name="inbound_detail"),
    path("inbound/<int:pk>/confirm/", views.inbound_confirm_view, name="inbound_confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("sms/inbound/", views.sms_inbound, name="sms_inbound"),
    path("sms/status/", views.sms_status, name="sms_status"),
]
