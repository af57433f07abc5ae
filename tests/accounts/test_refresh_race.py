"""Two refreshes of one refresh token at the same moment: one new pair, the other is reuse."""

from __future__ import annotations

import threading

import jwt
import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import TokenFamily
from tests.accounts.conftest import bearer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def refresh_at_once(token: str, times: int) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(times)
    answers: list[tuple[int, dict]] = []

    def run() -> None:
        try:
            barrier.wait(timeout=5)
            response = APIClient().post(
                "/api/tenants/refresh", {"refresh_token": token}, format="json"
            )
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(answers, key=lambda answer: answer[0])


def test_one_refresh_wins_and_the_other_is_treated_as_reuse(cast, login):
    first = login("member@acme.example").json()
    user_id = jwt.decode(first["access_token"], options={"verify_signature": False})["sub"]

    (ok, pair), (refused, error) = refresh_at_once(first["refresh_token"], 2)

    assert (ok, refused) == (200, 401)
    assert error["error"]["code"] == "token_reused"
    # Exactly one new pair was issued: the login's refresh token and the winner's.
    assert OutstandingToken.objects.filter(user_id=user_id).count() == 2
    # The reuse rule ended the sign-in, so even the winner's tokens are refused now.
    assert not TokenFamily.objects.filter(user_id=user_id, revoked_at__isnull=True).exists()
    assert bearer(pair["access_token"]).get("/api/tenants/current").status_code == 401
