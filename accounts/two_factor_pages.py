"""Two-factor pages: set up / turn off / new recovery codes under the account, and the
login page's second step. They call accounts.two_factor, as the API does."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import django_otp
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import services, two_factor, two_factor_login
from accounts.two_factor_forms import CodeForm, DisableForm, FirstCodeForm
from accounts.views import enter_workspace, over_limit
from catalytic.errors import ServiceError
from catalytic.page_errors import page_status
from tenants.page_auth import safe_next, tenant_required, two_factor_exempt

RECOVERY_FILE = "catalytic-recovery-codes.txt"


def recovery_download(codes: list[str]) -> str:
    """A data: URL of the codes as a text file, for the page's download link: the codes
    exist in this one response only, so there is no later request to fetch them with."""
    text = "Catalytic recovery codes: each signs you in once.\n\n" + "\n".join(codes) + "\n"
    return "data:text/plain;charset=utf-8," + quote(text)


def _page(request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
    user = request.user
    enabled = two_factor.is_enabled(user)
    pending = None if enabled else two_factor.pending_enrolment(user)
    codes = context.get("recovery_codes")
    return render(
        request,
        "accounts/two_factor.html",
        {
            "enabled": enabled,
            "pending": pending,
            "qr_svg": two_factor.qr_svg(pending.otpauth_url) if pending else "",
            "codes_left": two_factor.recovery_codes_left(user) if enabled else 0,
            "code_form": FirstCodeForm() if pending else CodeForm(),
            "disable_form": DisableForm(),
            "recovery_file": RECOVERY_FILE,
            "recovery_download": recovery_download(codes) if codes else "",
            **context,
        },
        status=status,
    )


@sensitive_post_parameters("code", "off-code", "off-password")
@never_cache  # SECURITY: the secret and the recovery codes must stay in no cache
@tenant_required
@two_factor_exempt
def two_factor_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    action = request.POST.get("action")
    user = request.user
    if action == "start":
        try:
            two_factor.start_enrolment(user=user)
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("accounts:two_factor")
    if action == "disable":
        form: CodeForm = DisableForm(request.POST)
        if not form.is_valid():
            return _page(request, 400, disable_form=form)
        try:
            two_factor.disable(
                user=user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
                request=request,
            )
        except ServiceError as exc:
            form.add_service_error(exc)
            return _page(request, page_status(exc), disable_form=form)
        messages.success(request, "Two-factor sign-in is off.")
        return redirect("accounts:two_factor")
    form = (FirstCodeForm if action == "confirm" else CodeForm)(request.POST)
    if action not in ("confirm", "regenerate") or not form.is_valid():
        return _page(request, 400, code_form=form)
    try:
        if action == "confirm":
            codes = two_factor.confirm_enrolment(
                user=user, code=form.cleaned_data["code"], request=request
            )
        else:
            codes = two_factor.regenerate_recovery_codes(
                user=user, code=form.cleaned_data["code"], request=request
            )
    except ServiceError as exc:
        form.add_service_error(exc)
        return _page(request, page_status(exc), code_form=form)
    if action == "confirm":
        # This session passed the code just now: the staff admin counts it as verified.
        django_otp.login(request, two_factor.confirmed_device(user))
    return _page(request, recovery_codes=codes)


@sensitive_post_parameters("code")
@never_cache
def login_code(request: HttpRequest) -> HttpResponse:
    """The login's second step: the code, for the person the first step remembered."""
    next_url = safe_next(request, settings.LOGIN_REDIRECT_URL)
    user = two_factor_login.pending_user(request)
    if user is None:
        messages.error(request, "Your sign-in took too long; enter your password again.")
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        # The same limits as the password: a code is as guessable as a password.
        if over_limit(request, form, "login", user.email, settings.RATELIMIT_LOGIN, "code"):
            status = 429
        elif form.is_valid():
            try:
                device = services.check_second_factor(
                    user=user, code=form.cleaned_data["code"], request=request
                )
                response = enter_workspace(request, user, next_url, device)
            except ServiceError as exc:
                form.add_service_error(exc)
                status = page_status(exc)
            else:
                two_factor_login.forget(request)
                return response
    return render(
        request,
        "accounts/login_code.html",
        {"form": form, "next": next_url, "email": user.email},
        status=status,
    )
