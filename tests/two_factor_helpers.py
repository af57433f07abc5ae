"""Codes of an authenticator app, computed from the secret the enrolment hands out."""

from __future__ import annotations

import time
from base64 import b32decode
from typing import Any

from django_otp.oath import TOTP
from rest_framework.test import APIClient


def code_for(secret: str, steps_ahead: int = 0) -> str:
    """The 6-digit code of `secret` for the current 30-second step plus `steps_ahead`:
    the server accepts one step either side, and each step's code once, so a test that
    needs a second fresh code takes the next step's."""
    totp = TOTP(b32decode(secret), step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def enrol(client: APIClient) -> tuple[str, list[str]]:
    """Turn two-factor on through the API: (the secret, the recovery codes). The code of
    the current step is spent; the next free one is `code_for(secret, 1)`."""
    started = client.post("/api/users/me/two-factor")
    assert started.status_code == 200, started.content
    secret = started.json()["secret"]
    confirmed = client.post(
        "/api/users/me/two-factor/confirm", {"code": code_for(secret)}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.content
    return secret, confirmed.json()["recovery_codes"]


def error_code(response: Any) -> str:
    return response.json()["error"]["code"]
