"""The customer portal, mounted at /portal/ by config/urls.py."""

from django.urls import path

from arrears.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.portal_home, name="home"),
    path("history/", views.portal_history, name="history"),
    path("statement.pdf", views.statement_pdf, name="statement_pdf"),
    path("documents/<int:pk>/pdf/", views.document_pdf, name="document_pdf"),
    path("documents/<int:pk>/dispute/", views.dispute, name="dispute"),
    path("pay/", views.pay, name="pay"),
    path("pay/mandate/", views.mandate, name="mandate"),
    path("payments/<int:pk>/", views.intent_detail, name="intent"),
    path("promise/", views.promise, name="promise"),
    path("plan/", views.plan, name="plan"),
    path("preferences/", views.preferences, name="preferences"),
    path("exit/", views.portal_exit, name="exit"),
    path("webhooks/<slug:provider>/", views.webhook, name="webhook"),
    path("staff/customers/<int:pk>/links/", views.staff_links, name="staff_links"),
    path("staff/links/<int:pk>/revoke/", views.staff_link_revoke, name="staff_link_revoke"),
    # Last: the link itself (a 43-character token never collides with the words above).
    path("<str:token>/", views.portal_open, name="open"),
]
