"""Session, login and flash-message middleware that stand aside for the JSON API.

Pages sign people in with a session cookie; the API under /api/ authenticates every call
with a bearer token or an API key (REST_FRAMEWORK's authentication classes) and never
reads a session, Django's `request.user` or flash messages. Skipping the three for API
requests saves their work on every call (docs/performance.md) and means an API response
can never set or refresh a session cookie. DRF still sets `request.user` on the
underlying request once it has authenticated the caller.
"""

from __future__ import annotations

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class _PagesOnly:
    """Run the wrapped middleware's process_request for pages only. Django's own
    process_response already leaves a request without a session or messages alone."""

    def process_request(self, request: HttpRequest) -> None:
        if not is_api(request):
            super().process_request(request)  # type: ignore[misc]


class PageSessionMiddleware(_PagesOnly, SessionMiddleware):
    pass


class PageAuthenticationMiddleware(_PagesOnly, AuthenticationMiddleware):
    pass


class PageMessageMiddleware(_PagesOnly, MessageMiddleware):
    pass
