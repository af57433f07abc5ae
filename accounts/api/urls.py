from django.urls import path

from accounts.api import two_factor_urls, views
from accounts.api.deletion_views import DeleteAccountView
from accounts.api.key_views import ApiKeyViewSet

app_name = "accounts_api"

urlpatterns = [
    path("tenants/login", views.LoginView.as_view(), name="login"),
    path("tenants/refresh", views.RefreshView.as_view(), name="refresh"),
    path("tenants/logout", views.LogoutView.as_view(), name="logout"),
    path(
        "tenants/api-keys",
        ApiKeyViewSet.as_view({"get": "list", "post": "create"}),
        name="api-keys",
    ),
    path(
        "tenants/api-keys/<uuid:id>",
        ApiKeyViewSet.as_view({"delete": "destroy"}),
        name="api-key",
    ),
    path("users/me/delete", DeleteAccountView.as_view(), name="delete-account"),
    *two_factor_urls.urlpatterns,
    path("auth/verify", views.VerifyView.as_view(), name="verify"),
    path("auth/health", views.AuthHealthView.as_view(), name="health"),
    path("auth/password-reset", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "auth/password-reset/confirm",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
]
