"""One Redis round trip per authenticated API call: denylist, access versions and the
API rate-limit hits travel together, and hits counted that early never outlive a refusal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from redis.connection import AbstractConnection

from accounts.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every Redis command or pipeline goes through send_packed_command once."""
    counter = [0]
    original = AbstractConnection.send_packed_command

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        counter[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    yield counter


def calls_after_warming(client: Any, url: str, round_trips: list[int]) -> int:
    for _ in range(3):  # warm Redis, fill this worker's caches, learn the tenant's rate
        assert client.get(url).status_code == 200
    round_trips[0] = 0
    assert client.get(url).status_code == 200
    return round_trips[0]


@pytest.mark.redis
def test_a_jwt_read_makes_one_redis_round_trip(cast, client_for, lattice, round_trips):
    url = f"/api/lattices/{lattice.id}"
    assert calls_after_warming(client_for(cast.member), url, round_trips) == 1


@pytest.mark.redis
def test_an_api_key_read_makes_one_redis_round_trip(api_key_client, lattice, round_trips):
    client, _ = api_key_client("read")
    url = f"/api/lattices/{lattice.id}"
    assert calls_after_warming(client, url, round_trips) == 1


def statuses(client: Any, url: str, count: int) -> list[int]:
    return [client.get(url).status_code for _ in range(count)]


def test_a_revoked_tokens_calls_do_not_spend_the_tenants_allowance(
    cast, client_for, lattice, settings
):
    settings.API_RATE_BY_PLAN = {**settings.API_RATE_BY_PLAN, "free": "4/m"}
    url = f"/api/lattices/{lattice.id}"
    doomed = client_for(cast.member)
    assert statuses(doomed, url, 2) == [200, 200]  # this worker now knows the tenant's rate
    assert doomed.post("/api/tenants/logout", {}, format="json").status_code in (200, 204)

    assert set(statuses(doomed, url, 6)) == {401}
    # The logout itself was the third call of the window: one left, then 429.
    assert statuses(client_for(cast.owner), url, 2) == [200, 429]


def test_a_guessed_key_prefix_does_not_spend_the_keys_allowance(api_key_client, lattice, settings):
    settings.API_KEY_RATE = "3/m"
    url = f"/api/lattices/{lattice.id}"
    client, key_id = api_key_client("read")
    assert statuses(client, url, 1) == [200]  # this worker now knows the key's owners

    prefix = ApiKey.objects.get(pk=key_id).prefix
    forger = type(client)()
    forger.credentials(HTTP_X_API_KEY=f"cat_{prefix}_{'x' * 40}")
    assert set(statuses(forger, url, 6)) == {401}

    assert statuses(client, url, 3) == [200, 200, 429]


def test_a_new_window_length_for_the_plan_counts_from_zero(cast, client_for, lattice, settings):
    url = f"/api/lattices/{lattice.id}"
    client = client_for(cast.member)
    settings.API_RATE_BY_PLAN = {**settings.API_RATE_BY_PLAN, "free": "100/m"}
    assert statuses(client, url, 3) == [200] * 3  # learned: one-minute windows

    settings.API_RATE_BY_PLAN = {**settings.API_RATE_BY_PLAN, "free": "2/h"}
    assert statuses(client, url, 3) == [200, 200, 429]
