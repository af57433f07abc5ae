"""The account's sessions page: the person's API sign-ins, with a button to end each.

Pages use Django sessions, which are not sign-in rows: the page shows this browser's
own session (ended by logging out) and says plainly that other browsers' page sessions
are not listed (changing the password ends them all).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import sign_ins
from catalytic.client_ip import client_ip
from catalytic.errors import ServiceError
from tenants.page_auth import tenant_required


@tenant_required
def sessions(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/sessions.html",
        {
            "sign_ins": sign_ins.live_sign_ins(request.user),
            "this_ip": client_ip(request),
            "this_user_agent": request.META.get("HTTP_USER_AGENT", "")[:255],
        },
    )


@require_POST
@tenant_required
def end_session(request: HttpRequest, sign_in_id: uuid.UUID) -> HttpResponse:
    try:
        sign_ins.end_sign_in(user=request.user, sign_in_id=sign_in_id, request=request)
    except ServiceError as exc:
        # SECURITY: another person's session id is the same 404 as an unknown one.
        raise Http404(exc.message)
    messages.success(request, "Session ended: its tokens no longer work.")
    return redirect("accounts:sessions")


@require_POST
@tenant_required
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    ended = sign_ins.end_other_sign_ins(user=request.user, keep=None, request=request)
    messages.success(request, f"Ended {ended} API session{'s' if ended != 1 else ''}.")
    return redirect("accounts:sessions")
