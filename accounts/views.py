"""Account pages: sign-up, login (with the workspace chooser), logout, password reset,
the account settings and API keys.

Sessions are Django's (cookie + CSRF); each page calls the same service as the API
(`tenants.services.register_tenant`, `accounts.services.check_credentials`, ...), so the
rules (unique email, suspended memberships, reset tokens, key hashing) exist once.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import api_keys, services, two_factor, two_factor_login
from accounts.deletion import delete_account
from accounts.forms import (
    ApiKeyForm,
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    LoginForm,
    PasswordResetRequestForm,
    SetPasswordForm,
)
from accounts.models import ApiKey
from catalytic.errors import ServiceError
from catalytic.page_errors import page_status
from catalytic.ratelimits import enforce_ip_and_email
from tenants import audit
from tenants.models import Role
from tenants.page_auth import (
    SESSION_TENANT_KEY,
    active_memberships,
    current_membership,
    role_required,
    safe_next,
    set_current_tenant,
    tenant_required,
    two_factor_exempt,
)

BACKEND = "django.contrib.auth.backends.ModelBackend"


def over_limit(
    request: HttpRequest,
    form: Any,
    group: str,
    email: str | None,
    rate: str,
    field: str | None = None,
) -> bool:
    """Count one attempt against the API's shared limits; when over, show it on the form.

    Counted before validation, like the API: malformed attempts count too.
    """
    try:
        enforce_ip_and_email(request, group, email, rate)
    except ServiceError as exc:
        retry = (exc.details or {}).get("retry_after")
        form.is_valid()  # the other fields still show their own errors
        form.add_error(
            field, f"Too many attempts; try again in {retry} seconds." if retry else exc.message
        )
        return True
    return False


def start_page_session(request: HttpRequest, membership: Any) -> None:
    """Log the user in with a Django session, in the tenant of `membership`."""
    # django.contrib.auth.login rotates the session key (no fixation) and the CSRF token.
    auth_login(request, membership.user, backend=BACKEND)
    set_current_tenant(request, membership)
    audit.record(
        "login.succeeded",
        tenant=membership.tenant,
        actor=membership.user,
        request=request,
        method="session",
    )


# --- Sign-up, login, logout -------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, settings.LOGIN_REDIRECT_URL)
    status = 200
    if request.method == "POST":
        form = LoginForm(request.POST)
        if over_limit(request, form, "login", request.POST.get("email"), settings.RATELIMIT_LOGIN):
            status = 429
        elif form.is_valid():
            email, password = form.cleaned_data["email"], form.cleaned_data["password"]
            try:
                user = services.check_credentials(email=email, password=password, request=request)
                if two_factor.is_enabled(user):
                    return two_factor_login.ask_for_code(request, user, next_url)
                return enter_workspace(request, user, next_url)
            except ServiceError as exc:
                form.add_error(None, exc.message)
                # 400, not the API's 401: a form page has no WWW-Authenticate challenge.
                return render(
                    request, "accounts/login.html", {"form": form, "next": next_url}, status=400
                )
        else:
            status = 400
    else:
        form = LoginForm(initial={"email": request.GET.get("email", "")})
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


def enter_workspace(
    request: HttpRequest, user: Any, next_url: str, device: Any = None
) -> HttpResponse:
    """After the password (and the code, `device`): into the person's one workspace, to
    the chooser when there are several, or to the no-workspace page when there is none.
    Raises ServiceError when they may not enter (a suspended membership, say)."""
    try:
        membership = services.choose_membership(user=user, request=request)
    except ServiceError as exc:
        if exc.code not in ("no_membership", "tenant_required"):
            raise
        auth_login(request, user, backend=BACKEND)
        request.session.pop(SESSION_TENANT_KEY, None)
        if exc.code == "no_membership":
            # Every workspace of theirs was closed or purged: signed in without one,
            # they may start a new workspace or delete the account they kept.
            audit.record(
                "login.succeeded", tenant=None, actor=user, request=request, method="session"
            )
            target = redirect("accounts:no_workspace")
        else:
            target = redirect(_chooser_url(next_url))
    else:
        start_page_session(request, membership)
        target = redirect(next_url)
    if device is not None:
        django_otp.login(request, device)
    return target


def _chooser_url(next_url: str) -> str:
    return f"{reverse('accounts:choose_tenant')}?{urlencode({'next': next_url})}"


@login_required
@never_cache
def choose_tenant(request: HttpRequest) -> HttpResponse:
    """The workspace chooser after login, and the header's workspace switcher."""
    next_url = safe_next(request, settings.LOGIN_REDIRECT_URL)
    error = ""
    if request.method == "POST":
        try:
            membership = services.choose_membership(
                user=request.user, tenant_ref=request.POST.get("tenant", ""), request=request
            )
        except ServiceError as exc:
            error = exc.message
        else:
            switching = SESSION_TENANT_KEY in request.session
            set_current_tenant(request, membership)
            if switching:
                messages.info(request, f"Switched to {membership.tenant.name}.")
            else:
                audit.record(
                    "login.succeeded",
                    tenant=membership.tenant,
                    actor=request.user,
                    request=request,
                    method="session",
                )
            return redirect(next_url)
    memberships = list(active_memberships(request.user))
    if not memberships:
        return redirect("accounts:no_workspace")
    current_membership(request)
    return render(
        request,
        "accounts/choose_tenant.html",
        {"memberships": memberships, "next": next_url, "error": error},
        status=400 if error else 200,
    )


@sensitive_post_parameters("del-password")
@login_required
@never_cache
def no_workspace(request: HttpRequest) -> HttpResponse:
    """A signed-in person without a workspace (theirs were closed or purged): start a new
    one (billing's page) or delete the account here."""
    if active_memberships(request.user).exists():
        return redirect("accounts:choose_tenant")
    form = DeleteAccountForm()
    status: int | None = 200
    if request.method == "POST":
        form = DeleteAccountForm(request.POST)
        status = delete_own_account(request, form)
        if status is None:
            return redirect("accounts:login")
    return render(request, "accounts/no_workspace.html", {"delete_form": form}, status=status)


def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        if request.user.is_authenticated:
            current_membership(request)
        return render(request, "accounts/logout.html")
    if request.user.is_authenticated:
        tenant_id = request.session.get(SESSION_TENANT_KEY)
        audit.record("logout", tenant=tenant_id, actor=request.user, request=request)
        auth_logout(request)
        messages.info(request, "You have been logged out.")
    return redirect("accounts:login")


# --- Password reset -----------------------------------------------------------------------


@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PasswordResetRequestForm(request.POST)
        email = request.POST.get("email")
        if over_limit(
            request, form, "password-reset", email, settings.RATELIMIT_PASSWORD_RESET, "email"
        ):
            return render(request, "accounts/password_reset.html", {"form": form}, status=429)
        if form.is_valid():
            email = form.cleaned_data["email"]
            services.request_password_reset(email=email, request=request)
            # SECURITY: the same answer whether or not the account exists.
            return render(request, "accounts/password_reset_sent.html", {"email": email})
        return render(request, "accounts/password_reset.html", {"form": form}, status=400)
    else:
        form = PasswordResetRequestForm()
    return render(request, "accounts/password_reset.html", {"form": form})


@sensitive_post_parameters("password1", "password2")
@never_cache
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = services.user_for_reset(uidb64, token)
    except ServiceError as exc:
        return render(
            request, "accounts/password_reset_invalid.html", {"message": exc.message}, status=400
        )
    status = 200
    if request.method == "POST":
        form = SetPasswordForm(request.POST)
        status = 400
        if over_limit(
            request, form, "password-reset-confirm", None, settings.RATELIMIT_PASSWORD_RESET
        ):
            status = 429
        elif form.is_valid():
            try:
                services.confirm_password_reset(
                    uid=uidb64,
                    token=token,
                    new_password=form.cleaned_data["password2"],
                    request=request,
                )
            except ServiceError as exc:
                form.add_service_error(exc, form.field_map)
            else:
                messages.success(request, "Your password has been changed. Log in with it now.")
                return redirect(f"{reverse('accounts:login')}?{urlencode({'email': user.email})}")
    else:
        form = SetPasswordForm()
    return render(
        request,
        "accounts/password_reset_confirm.html",
        {"form": form, "user": user},
        status=status,
    )


# --- API keys -----------------------------------------------------------------------------


def _key_expiry(day: Any) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


@role_required(Role.ADMIN)
def api_key_list(request: HttpRequest) -> HttpResponse:
    new_key = None
    status = 200
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                created = api_keys.create_api_key(
                    tenant=request.tenant,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                    expires_at=_key_expiry(form.cleaned_data["expires_at"]),
                    request=request,
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                # Shown in this response only: the key is not stored anywhere readable.
                new_key = created
                form = ApiKeyForm()
                status = 201
    else:
        form = ApiKeyForm()
    keys = ApiKey.objects.for_tenant(request.tenant).select_related("created_by")
    response = render(
        request,
        "accounts/api_keys.html",
        {"form": form, "keys": keys, "new_key": new_key},
        status=status,
    )
    if new_key is not None:
        # SECURITY: never cache the page that shows a secret.
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@role_required(Role.ADMIN)
def api_key_revoke(request: HttpRequest, key_id: Any) -> HttpResponse:
    key = get_object_or_404(ApiKey.objects.for_tenant(request.tenant), pk=key_id)
    api_keys.revoke_api_key(tenant=request.tenant, actor=request.user, api_key=key, request=request)
    messages.success(request, f"API key “{key.name}” revoked; programs using it are refused now.")
    return redirect("accounts:api_keys")


# --- Account ------------------------------------------------------------------------------


@sensitive_post_parameters("pw-current_password", "pw-password1", "pw-password2", "em-password")
@tenant_required
@two_factor_exempt
def account(request: HttpRequest) -> HttpResponse:
    """Change password or email. Both need the current password (a stolen session is not
    enough); an email change also needs the link sent to the new address."""
    user = request.user
    password_form = ChangePasswordForm()
    email_form = ChangeEmailForm()
    status = 200
    if request.method == "POST" and request.POST.get("form") == "password":
        password_form = ChangePasswordForm(request.POST)
        if password_form.is_valid():
            try:
                services.change_password(
                    user=user,
                    current_password=password_form.cleaned_data["current_password"],
                    new_password=password_form.cleaned_data["password2"],
                    request=request,
                )
            except ServiceError as exc:
                password_form.add_service_error(
                    exc, {"new_password": "password2", "current_password": "current_password"}
                )
                status = page_status(exc)
            else:
                # Keep this session; every other session and token of the user has ended.
                update_session_auth_hash(request, user)
                messages.success(request, "Your password has been changed.")
                return redirect("accounts:account")
        else:
            status = 400
    elif request.method == "POST" and request.POST.get("form") == "email":
        email_form = ChangeEmailForm(request.POST)
        if email_form.is_valid():
            try:
                new_email = services.request_email_change(
                    user=user,
                    password=email_form.cleaned_data["password"],
                    new_email=email_form.cleaned_data["email"],
                    request=request,
                )
            except ServiceError as exc:
                email_form.add_service_error(exc)
                status = page_status(exc)
            else:
                messages.success(
                    request,
                    f"We sent a link to {new_email}: your login email changes when you open "
                    f"it. Until then you keep logging in with {user.email}.",
                )
                return redirect("accounts:account")
        else:
            status = 400
    return render(
        request,
        "accounts/account.html",
        {
            "password_form": password_form,
            "email_form": email_form,
            "delete_form": DeleteAccountForm(),
        },
        status=status,
    )


def delete_own_account(request: HttpRequest, form: DeleteAccountForm) -> int | None:
    """Delete the signed-in person's account (accounts.deletion) from a bound form, and end
    this session: None once it is gone, else the status to show the form again with."""
    if not form.is_valid():
        return 400
    try:
        delete_account(user=request.user, password=form.cleaned_data["password"], request=request)
    except ServiceError as exc:
        form.add_service_error(exc)
        return page_status(exc)
    auth_logout(request)
    messages.success(request, "Your account was deleted. We sent you a last email.")
    return None


@sensitive_post_parameters("del-password")
@require_POST
@tenant_required
@two_factor_exempt
def account_delete(request: HttpRequest) -> HttpResponse:
    """Delete the signed-in person's account (accounts.deletion), then end this session."""
    form = DeleteAccountForm(request.POST)
    status = delete_own_account(request, form)
    if status is None:
        return redirect("accounts:login")
    return render(
        request,
        "accounts/account.html",
        {
            "password_form": ChangePasswordForm(),
            "email_form": ChangeEmailForm(),
            "delete_form": form,
        },
        status=status,
    )
