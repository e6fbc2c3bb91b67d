from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views

from . import views

# Each app exposes `urlpatterns` (pages) and `api_urlpatterns` (under /api/v1/).
API_APPS = ["accounts", "members", "journeys", "touchpoints", "reports"]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("preferences/", account_views.preferences, name="preferences"),
    path("preferences/tokens/", account_views.api_tokens, name="api-tokens"),
    path("preferences/tokens/<int:pk>/revoke/", account_views.revoke_api_token, name="api-token-revoke"),
    path("preferences/tokens/cli/<int:user_id>/revoke/", account_views.revoke_command_line_token,
         name="api-cli-token-revoke"),
    path("audit/", account_views.audit_log, name="audit-log"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("journeys/", include("journeys.urls")),
    path("members/", include("members.urls")),
    path("touchpoints/", include("touchpoints.urls")),
    path("reports/", include("reports.urls")),
    path("", include("forecasts.urls")),
    path("api/v1/", include([p for app in API_APPS for p in __import__(f"{app}.urls", fromlist=["x"]).api_urlpatterns])),
]

handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
