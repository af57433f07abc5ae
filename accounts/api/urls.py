from django.urls import path

from accounts.api import two_factor_urls, views
from accounts.api.deletion_views import DeleteAccountView

app_name = "accounts_api"

urlpatterns = [
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
