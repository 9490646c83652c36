"""Pages for bank statements and the cash-application queue, mounted at /payments/ by config/urls.py."""

from django.urls import path

from arrears.payments import views

urlpatterns = [
    path("statements/", views.statement_list_view, name="payments_statements"),
    path("statements/<int:pk>/", views.statement_detail_view, name="payments_statement"),
    path("queue/", views.queue_view, name="payments_queue"),
    path("lines/<int:pk>/match/", views.line_match_view, name="payments_line_match"),
    path("lines/<int:pk>/ignore/", views.line_ignore_view, name="payments_line_ignore"),
]
