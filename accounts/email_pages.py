"""Pages of the emailed links that prove an address, and the banner's "resend" button.

The links work without being signed in (the token is the proof), so a person who opens
one on another device is not asked to log in first. Following a link is a GET: the
address it was sent to is the only party that can follow it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import email_verification
from catalytic.errors import ServiceError
from tenants.page_auth import safe_next, tenant_required


def _link_page(request: HttpRequest, title: str, message: str, status: int = 200) -> HttpResponse:
    return render(
        request,
        "accounts/email_link.html",
        {"title": title, "message": message, "failed": status != 200},
        status=status,
    )


@never_cache
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = email_verification.verify_email(token=token, request=request)
    except ServiceError as exc:
        return _link_page(request, "This link does not work", exc.message, status=exc.status)
    return _link_page(
        request,
        "Email address confirmed",
        f"Thank you: {user.email} is confirmed. You can invite your team and choose a paid "
        "plan now.",
    )


@never_cache
def confirm_email_change(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = email_verification.confirm_email_change(token=token, request=request)
    except ServiceError as exc:
        return _link_page(request, "This link does not work", exc.message, status=exc.status)
    return _link_page(request, "Login email changed", f"From now on you log in with {user.email}.")


@require_POST
@tenant_required
def resend_verification(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, settings.LOGIN_REDIRECT_URL)
    try:
        email_verification.resend_verification(user=request.user, request=request)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"We sent a new link to {request.user.email}.")
    return redirect(next_url)
