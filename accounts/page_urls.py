"""Account pages (sessions + CSRF). The JSON API is accounts/api/urls.py.

Mounted at "" by catalytic/urls.py. The reset link format is fixed: emails carry
`/password-reset/<uidb64>/<token>/` (accounts.services.password_reset_url).

accounts/urls.py (the JWKS document) uses the same "accounts" namespace, and Django
reverses a namespace through the first include that declares it; so this module also
carries accounts/urls.py's patterns, and catalytic/urls.py includes it before (or
instead of) accounts.urls. Then `accounts:login` and `accounts:jwks` both reverse.
"""

from django.urls import path

from accounts import email_pages, session_pages, two_factor_pages, views
from accounts import urls as accounts_urls

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/workspace/", views.choose_tenant, name="choose_tenant"),
    path("account/no-workspace/", views.no_workspace, name="no_workspace"),
    path("login/code/", two_factor_pages.login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path(
        "password-reset/<str:uidb64>/<str:token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("account/", views.account, name="account"),
    path("account/delete/", views.account_delete, name="account_delete"),
    path("account/two-factor/", two_factor_pages.two_factor_page, name="two_factor"),
    path("account/sessions/", session_pages.sessions, name="sessions"),
    path(
        "account/sessions/end-others/",
        session_pages.end_other_sessions,
        name="sessions_end_others",
    ),
    path("account/sessions/<uuid:sign_in_id>/end/", session_pages.end_session, name="session_end"),
    # Emailed links (accounts.email_verification): keep these formats.
    path(
        "account/verify-email/resend/",
        email_pages.resend_verification,
        name="verify_email_resend",
    ),
    path("account/verify-email/<str:token>/", email_pages.verify_email, name="verify_email"),
    path(
        "account/email/confirm/<str:token>/",
        email_pages.confirm_email_change,
        name="email_change_confirm",
    ),
    path("api-keys/", views.api_key_list, name="api_keys"),
    path("api-keys/<uuid:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    *accounts_urls.urlpatterns,
]
