"""The staff admin: the login limits of the API, and a TOTP code where it is required.

Staff sign in through django-otp's admin login (its OTPAdminSite) when
ADMIN_OTP_REQUIRED is on (the default with DEBUG off), and through Django's own login
in development. A staff member with one device signs in in one step (email, password,
code); only one with several is asked which device the code is from. Either way every
sign-in attempt counts against the same per-IP and per-account limits as
`POST /api/tenants/login`, so a password cannot be guessed through the admin while the
API is refusing it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from catalytic.client_ip import client_ip
from catalytic.ratelimits import configured_rate, normalise_email, seconds_until_allowed

OTP_LOGIN_TEMPLATE = OTPAdminSite.login_template


def login_lockout(request: HttpRequest, email: str) -> int:
    """Count one sign-in attempt; the seconds the caller must wait, 0 when it may go on."""
    rate = configured_rate("RATELIMIT_LOGIN")
    by_ip = seconds_until_allowed(request, "login:ip", client_ip(request), rate)
    by_account = seconds_until_allowed(request, "login:email", normalise_email(email), rate)
    return max(by_ip, by_account)


class StaffAuthenticationForm(OTPAdminAuthenticationForm):
    """django-otp's admin login form, which takes the code against the staff member's only
    device when no device was chosen.

    django-otp will not try a code against each device in turn (a miss would count as a
    failed attempt on every other device, throttling unused ones); with one device there
    is no other, so choosing it is what the staff member would do on the second form.
    """

    def clean_otp(self, user: Any) -> None:
        if user is not None and not self.cleaned_data.get("otp_device"):
            devices = list(devices_for_user(user))
            if len(devices) == 1:
                self.cleaned_data["otp_device"] = devices[0].persistent_id
        super().clean_otp(user)


class StaffAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    @property
    def login_form(self) -> type[AdminAuthenticationForm]:  # type: ignore[override]
        return StaffAuthenticationForm if settings.ADMIN_OTP_REQUIRED else AdminAuthenticationForm

    @property
    def login_template(self) -> str | None:  # type: ignore[override]
        return OTP_LOGIN_TEMPLATE if settings.ADMIN_OTP_REQUIRED else None

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        if not (user.is_active and user.is_staff):
            return False
        return not settings.ADMIN_OTP_REQUIRED or user.is_verified()

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            wait = login_lockout(request, str(request.POST.get("username", "")))
            if wait:
                response = TemplateResponse(
                    request,
                    "admin/login_locked.html",
                    {
                        **self.each_context(request),
                        "title": "Too many attempts",
                        "retry_after": wait,
                    },
                    status=429,
                )
                response["Retry-After"] = str(wait)
                return response
        return super().login(request, extra_context)
