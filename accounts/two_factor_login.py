"""The login page's second step: who passed the password, kept in the session until the
code is given (accounts.two_factor_pages.login_code).

Nobody is logged in before the code: the session holds only the person's id, when the
password was right and where to go next, and forgets it after PENDING_SECONDS.
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import User

PENDING_KEY = "catalytic_two_factor_pending"
PENDING_SECONDS = 300


def ask_for_code(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    """The password was right and two-factor is on: remember who, ask for the code."""
    # SECURITY: a new session key, so a session id known before the password was
    # typed cannot be used to finish this sign-in.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user": str(user.pk), "at": time.time()}
    return redirect(f"{reverse('accounts:login_code')}?{urlencode({'next': next_url})}")


def pending_user(request: HttpRequest) -> User | None:
    """The person who passed the password in this session in the last PENDING_SECONDS."""
    pending: Any = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=pending.get("user"), is_active=True).first()


def forget(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)
