"""The provider chain, read from settings: SendGrid → Amazon SES → SMTP.

With none of them configured the chain is the project's EMAIL_BACKEND alone
(console in development, locmem under pytest-django), so the same code path
sends in every environment. Those local backends print or keep the message and
deliver nothing: everything that reports on email says so ("console (not
delivered)"), and `check --deploy` refuses them in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
SENDGRID_BACKEND = "anymail.backends.sendgrid.EmailBackend"
SES_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
_TRUE = {"1", "true", "yes", "on"}
# Django's backends that print, keep or drop a message: nobody receives it.
LOCAL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "filebased": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}
PROVIDER_SETTINGS = ("SENDGRID_API_KEY", "AWS_ACCESS_KEY_ID", "SMTP_URL")


@dataclass(frozen=True)
class Provider:
    name: str
    backend: str
    options: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def delivers(self) -> bool:
        return self.backend not in LOCAL_BACKENDS.values()

    @property
    def label(self) -> str:
        """The name people read: a local backend says it delivers nothing."""
        return self.name if self.delivers else not_delivered_label(self.name)

    @property
    def is_anymail(self) -> bool:
        return self.backend.startswith("anymail.")

    def connection(self) -> BaseEmailBackend:
        return get_connection(self.backend, fail_silently=False, **self.options)


def not_delivered_label(name: str) -> str:
    return f"{name} (not delivered)"


def delivered_nowhere(provider_name: str) -> bool:
    """Whether an outbox row's `provider` is a local backend (nothing left the server)."""
    return provider_name in LOCAL_BACKENDS


def smtp_options(url: str, *, timeout: int) -> dict[str, Any]:
    """`smtp://user:pass@host:port` → Django SMTP backend kwargs.

    smtps:// is implicit TLS (default port 465); submission:// is STARTTLS on 587;
    smtp:// is plain unless `?starttls=1`.
    """
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if not parts.hostname:
        raise ImproperlyConfigured("SMTP_URL has no host")
    use_ssl = parts.scheme == "smtps"
    use_tls = parts.scheme == "submission" or query.get("starttls", "").lower() in _TRUE
    if use_ssl and use_tls:
        raise ImproperlyConfigured("SMTP_URL: smtps:// is implicit TLS; drop ?starttls")
    default_port = 465 if use_ssl else 587 if parts.scheme == "submission" else 25
    return {
        "host": parts.hostname,
        "port": parts.port or default_port,
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_ssl": use_ssl,
        "use_tls": use_tls,
        "timeout": timeout,
    }


def provider_chain() -> list[Provider]:
    """The providers to try, in order, for every message."""
    timeout = settings.EMAIL_PROVIDER_TIMEOUT
    chain: list[Provider] = []
    if settings.SENDGRID_API_KEY:
        chain.append(
            Provider(
                "sendgrid",
                SENDGRID_BACKEND,
                {"api_key": settings.SENDGRID_API_KEY, "timeout": timeout},
            )
        )
    if settings.AWS_ACCESS_KEY_ID:
        session = {"aws_access_key_id": settings.AWS_ACCESS_KEY_ID}
        if settings.AWS_SECRET_ACCESS_KEY:
            session["aws_secret_access_key"] = settings.AWS_SECRET_ACCESS_KEY
        client = {
            "region_name": settings.AWS_REGION,
            # One try, bounded: failover to the next provider beats boto's own retries.
            "config": {
                "connect_timeout": timeout,
                "read_timeout": timeout,
                "retries": {"max_attempts": 1},
            },
        }
        chain.append(
            Provider(
                "amazon_ses", SES_BACKEND, {"session_params": session, "client_params": client}
            )
        )
    if settings.SMTP_URL:
        chain.append(
            Provider("smtp", SMTP_BACKEND, smtp_options(settings.SMTP_URL, timeout=timeout))
        )
    if not chain:
        chain.append(Provider(_backend_name(settings.EMAIL_BACKEND), settings.EMAIL_BACKEND))
    return chain


def _backend_name(backend: str) -> str:
    """`django.core.mail.backends.console.EmailBackend` → `console`."""
    module = backend.rsplit(".", 1)[0]
    return module.rsplit(".", 1)[-1]
