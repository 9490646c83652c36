from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(template_name="web/password_change.html", success_url="/password/done/"),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="web/password_change_done.html"),
        name="password_change_done",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("arrears.users.urls")),
    path("api/", include("arrears.ledger.urls")),
    path("api/", include("arrears.promises.urls")),
    path("api/", include("arrears.disputes.urls")),
    path("api/dunning/", include("arrears.dunning.urls")),
    path("api/", include("arrears.imports.api_urls")),
    path("imports/", include("arrears.imports.urls")),
    path("aging/", include("arrears.web.aging_urls")),
    path("compliance/", include("arrears.compliance.urls")),
    path("communications/", include("arrears.communications.urls")),
    path("worklist/", include("arrears.worklist.urls")),
    path("portal/", include("arrears.portal.urls")),
    path("payments/", include("arrears.payments.urls")),
    path("api/", include("arrears.payments.api_urls")),
    path("analytics/", include("arrears.analytics.urls")),
    path("api/", include("arrears.analytics.api_urls")),
    path("api/", include("arrears.worklist.api_urls")),
    path("api/", include("arrears.compliance.api_urls")),
    path("experiments/", include("arrears.dunning.experiment_urls")),
    path("", include("arrears.web.urls_cases")),
    path("dunning/", include("arrears.dunning.web_urls")),
    path("", include("arrears.web.urls")),
]
