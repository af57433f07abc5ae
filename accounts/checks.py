"""System checks: production must be able to sign tokens before it takes a request.

Tagged "startup": catalytic/wsgi.py runs the startup checks when DEBUG is off and refuses
to start on an error, `manage.py check --deploy` reports them, and /health answers 503
while one fails. In development a key pair is generated on first use instead.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from accounts.jwt_keys import keyring


@register("startup", deploy=True)
def check_signing_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    try:
        keyring()
    except ImproperlyConfigured as exc:
        return [
            Error(
                f"JWT signing keys cannot be loaded: {exc}",
                hint=(
                    "Set JWT_PRIVATE_KEY_PATH and JWT_PUBLIC_KEY_PATH to the mounted PEM "
                    f"files, or run `manage.py rotate_jwt_keys` to write a pair into "
                    f"JWT_KEYS_DIR ({settings.JWT_KEYS_DIR})."
                ),
                id="accounts.E001",
            )
        ]
    return []
