"""The person's own account and two-factor sign-in (accounts.api.two_factor_views)."""

from django.urls import path

from accounts.api import two_factor_views as views

urlpatterns = [
    path("users/me", views.MeView.as_view(), name="me"),
    path("users/me/two-factor", views.TwoFactorView.as_view(), name="two-factor"),
    path("users/me/two-factor/confirm", views.ConfirmView.as_view(), name="two-factor-confirm"),
    path(
        "users/me/two-factor/recovery-codes",
        views.RecoveryCodesView.as_view(),
        name="two-factor-recovery-codes",
    ),
]
