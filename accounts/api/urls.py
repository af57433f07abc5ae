from django.urls import path

from accounts.api import two_factor_urls, views
from accounts.api.deletion_views import DeleteAccountView
from accounts.api.me_views import (
    ChangeEmailView,
    ConfirmEmailChangeView,
    VerifyEmailResendView,
    VerifyEmailView,
)
from accounts.api.session_views import EndOtherSessionsView, SessionListView, SessionView

app_name = "accounts_api"

urlpatterns = [
    path("users/me/delete", DeleteAccountView.as_view(), name="delete-account"),
    *two_factor_urls.urlpatterns,
    path("users/me/email", ChangeEmailView.as_view(), name="change-email"),
    path(
        "users/me/verify-email/resend",
        VerifyEmailResendView.as_view(),
        name="verify-email-resend",
    ),
    path("users/me/sessions", SessionListView.as_view(), name="sessions"),
    path(
        "users/me/sessions/end-others",
        EndOtherSessionsView.as_view(),
        name="sessions-end-others",
    ),
    path("users/me/sessions/<uuid:id>", SessionView.as_view(), name="session"),
    path("auth/verify-email", VerifyEmailView.as_view(), name="verify-email"),
    path(
        "auth/email-change/confirm",
        ConfirmEmailChangeView.as_view(),
        name="email-change-confirm",
    ),
    path("auth/verify", views.VerifyView.as_view(), name="verify"),
    path("auth/health", views.AuthHealthView.as_view(), name="health"),
    path("auth/password-reset", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "auth/password-reset/confirm",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
]
