"""Nothing depends on which app node answers.

Two nodes, each on its own host (network namespace), behind one nginx upstream, share
PostgreSQL, Redis and the JWT key folder (tests/multinode/harness.py). Where the point is
that one node sees what the other did, the tests address node A and node B directly;
users' traffic goes through nginx.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.jwt_keys import generate_private_key, key_id
from billing.plans import get_plan_spec
from tests.faults.conftest import App, ThreadedLoad
from tests.multinode.conftest import JWT_KEYS_RECHECK_SECONDS, LOGIN_LIMIT
from tests.multinode.harness import PASSWORD, Cluster, Node, kid_of, login

pytestmark = [pytest.mark.multinode, pytest.mark.postgres, pytest.mark.redis]


def statuses(client: App, token: str, times: int = 4, path: str = "/api/lattices") -> list[int]:
    """Several requests, so that both workers of a node are likely to answer one."""
    return [client.request("GET", path, token=token)[0] for _ in range(times)]


def refresh(client: App, refresh_token: str) -> tuple[int, Any]:
    return client.request("POST", "/api/tenants/refresh", {"refresh_token": refresh_token})


# --- sessions end everywhere at once -----------------------------------------------------


def test_a_logout_on_node_a_is_refused_on_node_b_at_once(live: Cluster) -> None:
    session = login(live.a, live.accounts["sessions"])
    access = session["access_token"]
    # Node B has served this token before: whatever it keeps in memory must not outlive
    # the session.
    assert statuses(live.b, access) == [200] * 4
    assert statuses(live.front, access) == [200] * 4

    logout = {"refresh_token": session["refresh_token"]}
    assert live.a.request("POST", "/api/tenants/logout", logout, token=access)[0] == 204

    assert statuses(live.b, access) == [401] * 4
    assert statuses(live.front, access) == [401] * 4
    status, body = refresh(live.b, session["refresh_token"])
    assert status == 401, body


def test_a_refresh_token_reused_on_node_b_revokes_the_family_issued_on_node_a(
    live: Cluster,
) -> None:
    first = login(live.a, live.accounts["sessions"])
    status, second = refresh(live.a, first["refresh_token"])
    assert status == 200, second
    assert statuses(live.b, second["access_token"]) == [200] * 4

    # The first refresh token was spent on A; presenting it again on B is a theft signal.
    status, body = refresh(live.b, first["refresh_token"])
    assert status == 401, body

    # The whole family is gone, on both nodes and through nginx: the refresh token the
    # rotation issued, and the access token that came with it.
    for client in (live.a, live.b, live.front):
        status, body = refresh(client, second["refresh_token"])
        assert status == 401, (client.url, body)
    assert statuses(live.a, second["access_token"]) == [401] * 4
    assert statuses(live.b, second["access_token"]) == [401] * 4
    assert statuses(live.front, second["access_token"]) == [401] * 4


def test_an_api_key_revoked_on_node_a_is_refused_on_node_b_at_once(live: Cluster) -> None:
    owner = login(live.a, live.accounts["sessions"])["access_token"]
    status, created = live.a.request(
        "POST", "/api/tenants/api-keys", {"name": "two nodes", "scope": "read"}, token=owner
    )
    assert status == 201, created
    with_key = {"X-API-Key": created["key"]}

    def key_statuses(client: App) -> list[int]:
        return [client.request("GET", "/api/lattices", headers=with_key)[0] for _ in range(4)]

    assert key_statuses(live.b) == [200] * 4
    status, body = live.a.request("DELETE", f"/api/tenants/api-keys/{created['id']}", token=owner)
    assert status == 204, body

    assert key_statuses(live.b) == [401] * 4
    assert key_statuses(live.front) == [401] * 4


# --- a new signing key, on a key folder both hosts share ---------------------------------


def jwks_kids(node: Node) -> set[str]:
    status, body = node.request("GET", "/.well-known/jwks.json")
    assert status == 200, body
    return {key["kid"] for key in body["keys"]}


def test_a_key_added_by_rotate_jwt_keys_verifies_on_both_nodes(live: Cluster) -> None:
    email = live.accounts["keys"]
    before = login(live.a, email)["access_token"]
    old_kid = kid_of(before)

    rotated = live.a.manage("rotate_jwt_keys")
    assert rotated.returncode == 0, rotated.stderr
    new_kid = re.search(r"Signing with (\S+);", rotated.stdout).group(1)
    assert new_kid != old_kid
    promised = re.search(r"Workers pick the change up within (\d+)s", rotated.stdout)
    assert int(promised.group(1)) == JWT_KEYS_RECHECK_SECONDS

    # What the command promises: running workers pick the new key up within that time,
    # with no restart.
    time.sleep(JWT_KEYS_RECHECK_SECONDS + 0.5)

    from_a = login(live.a, email)["access_token"]
    from_b = login(live.b, email)["access_token"]
    assert (kid_of(from_a), kid_of(from_b)) == (new_kid, new_kid)
    for node in live.nodes:
        for _ in range(4):
            assert jwks_kids(node) >= {old_kid, new_kid}
        # A token signed with the new key on the other node verifies here, and one
        # signed with the previous key keeps verifying until it expires.
        assert statuses(node, from_a) == [200] * 4
        assert statuses(node, from_b) == [200] * 4
        assert statuses(node, before) == [200] * 4
    assert statuses(live.front, from_a) == [200] * 4


def install_pair(private_path: Path, public_path: Path, key: rsa.RSAPrivateKey) -> None:
    """Put a key pair in place as a deploy tool does: each file written aside, renamed in."""
    pem = {
        private_path: key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        public_path: key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    }
    for path, content in pem.items():
        aside = path.with_suffix(".new")
        aside.write_bytes(content)
        os.replace(aside, path)


def test_mounted_keys_rotated_as_documented_reach_both_nodes_without_a_restart(
    live: Cluster,
) -> None:
    """docs/deploy.md mounts the signing pair (JWT_PRIVATE_KEY_PATH); rotating it follows
    the steps `rotate_jwt_keys` prints in that case."""
    mounted = live.keys.parent / "mounted-jwt"
    mounted.mkdir(exist_ok=True)
    private, public = mounted / "private.pem", mounted / "public.pem"
    install_pair(private, public, generate_private_key())
    kept = live.keys / "previous.public.pem"
    live.restart(JWT_PRIVATE_KEY_PATH=str(private), JWT_PUBLIC_KEY_PATH=str(public))
    try:
        email = live.accounts["keys"]
        before = login(live.b, email)["access_token"]
        old_kid = kid_of(before)

        keys_before = sorted(live.keys.iterdir())
        explained = live.a.manage("rotate_jwt_keys")
        assert explained.returncode == 0, explained.stderr
        assert "JWT_PRIVATE_KEY_PATH is set" in explained.stdout
        assert sorted(live.keys.iterdir()) == keys_before  # it wrote nothing

        # Step 2: the current public key joins the shared folder. Step 3: the new pair
        # replaces the mounted files; the workers reload changed key files by themselves.
        shutil.copyfile(public, kept)
        new_key = generate_private_key()
        install_pair(private, public, new_key)
        new_kid = key_id(new_key.public_key())
        time.sleep(JWT_KEYS_RECHECK_SECONDS + 0.5)

        from_a = login(live.a, email)["access_token"]
        from_b = login(live.b, email)["access_token"]
        assert (kid_of(from_a), kid_of(from_b)) == (new_kid, new_kid)
        for node in live.nodes:
            assert statuses(node, from_a) == [200] * 4
            assert statuses(node, from_b) == [200] * 4
            assert statuses(node, before) == [200] * 4
            assert jwks_kids(node) >= {old_kid, new_kid}
    finally:
        kept.unlink(missing_ok=True)
        live.restart(JWT_PRIVATE_KEY_PATH=None, JWT_PUBLIC_KEY_PATH=None)


# --- shared counters: the monthly quota and the rate limits ------------------------------


def test_a_monthly_quota_is_exact_when_concurrent_calls_spread_over_both_nodes(
    live: Cluster,
) -> None:
    email = live.accounts["quota"]
    token = login(live.front, email)["access_token"]
    assert live.front.request("GET", "/api/lattices", token=token)[0] == 200
    # The tenant has 10 calls left this month.
    limit = get_plan_spec("free").api_calls_per_month
    left = 10
    live.query(
        "UPDATE billing_usagecounter SET api_calls = %s WHERE tenant_id = %s RETURNING 1",
        limit - left,
        live.tenant_id(email),
    )

    callers = 30
    clients = [(live.a, live.b, live.front)[number % 3] for number in range(callers)]
    start = threading.Barrier(callers)
    answers: list[tuple[int, Any]] = [(-1, None)] * callers

    def call(number: int) -> None:
        start.wait(timeout=30)
        answers[number] = clients[number].request("GET", "/api/lattices", token=token, timeout=30)

    threads = [threading.Thread(target=call, args=(number,)) for number in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    served = [status for status, _ in answers if status == 200]
    refused = [body for status, body in answers if status == 429]
    assert len(served) == left, [status for status, _ in answers]
    assert len(refused) == callers - left, [status for status, _ in answers]
    assert {body["error"]["code"] for body in refused} == {"quota_exceeded"}
    assert live.api_calls(email) == limit
    # Spent is spent, whichever node is asked next.
    for client in (live.a, live.b, live.front):
        status, body = client.request("GET", "/api/lattices", token=token)
        assert (status, body["error"]["code"]) == (429, "quota_exceeded")
    assert live.api_calls(email) == limit


def bad_login(client: App, email: str) -> tuple[int, Any]:
    body = {"email": email, "password": "not-the-password"}
    return client.request("POST", "/api/tenants/login", body)


def test_login_attempts_alternating_between_nodes_lock_the_account_at_the_limit(
    live: Cluster,
) -> None:
    email = live.accounts["ratelimit"]
    # Each node sees the test from a different address (its own link), so the
    # per-address counters stay under the limit: only the account's counter, shared
    # through Redis, can refuse the attempt after the limit.
    attempts = [bad_login((live.a, live.b)[number % 2], email) for number in range(LOGIN_LIMIT)]
    assert [status for status, _ in attempts] == [401] * LOGIN_LIMIT
    for node in live.nodes:
        status, body = bad_login(node, email)
        assert (status, body["error"]["code"]) == (429, "rate_limited"), body
        # Locked out even with the right password.
        right = node.request("POST", "/api/tenants/login", {"email": email, "password": PASSWORD})
        assert right[0] == 429


def answers_by(node: Node, **labels: str) -> int:
    """How many answers `node` gave with these labels, from its own /metrics."""
    status, text = node.request("GET", "/metrics")
    assert status == 200
    pattern = r"^django_http_responses_total_by_status_view_method_total\{([^}]*)\} (\S+)$"
    wanted = {f'{name}="{value}"' for name, value in labels.items()}
    return int(
        sum(
            float(value)
            for found, value in re.findall(pattern, text, re.M)
            if wanted <= set(found.split(","))
        )
    )


def test_login_attempts_through_nginx_count_once_per_address_across_nodes(
    live: Cluster,
) -> None:
    logins = {"view": "tenants_api:login"}
    before = [answers_by(node, **logins) for node in live.nodes]
    # Different accounts each time, so that only the client address (nginx passes it in
    # X-Forwarded-For) is counted.
    answers = [bad_login(live.front, f"nobody{n}@nodes.example") for n in range(LOGIN_LIMIT)]
    assert [status for status, _ in answers] == [401] * LOGIN_LIMIT
    status, body = bad_login(live.front, "one-more@nodes.example")
    assert (status, body["error"]["code"]) == (429, "rate_limited"), body

    answered = [
        answers_by(node, **logins) - was for node, was in zip(live.nodes, before, strict=True)
    ]
    assert sum(answered) == LOGIN_LIMIT + 1
    assert min(answered) > 0, answered  # both nodes counted into the same limit


# --- a node dies under load ----------------------------------------------------------------


class CreateLoad(ThreadedLoad):
    """Threads creating lattices through nginx as fast as they can, every answer kept."""

    join_timeout = 40.0

    def __init__(self, front: App, token: str, prefix: str, threads: int = 4) -> None:
        super().__init__(threads)
        self.front, self.token, self.prefix = front, token, prefix
        self.answers: list[tuple[float, str, int, Any]] = []  # (sent, name, status, body)

    def run(self, number: int) -> None:
        sequence = 0
        while not self.stop.is_set():
            sequence += 1
            name = f"{self.prefix}{number}-{sequence}"
            body = {"name": name, "dimensions": 2, "size": 3}
            sent = time.monotonic()
            status, answer = self.front.request(
                "POST", "/api/lattices", body, token=self.token, timeout=30
            )
            with self.lock:
                self.answers.append((sent, name, status, answer))

    def names(self, *wanted: int) -> set[str]:
        return {name for _, name, status, _ in self.answers if status in wanted}


def test_a_node_killed_mid_load_loses_no_accepted_write(live: Cluster) -> None:
    email = live.accounts["kill"]
    tenant = live.tenant_id(email)
    token = login(live.front, email)["access_token"]
    used_before = live.api_calls(email)

    with CreateLoad(live.front, token, "kill-") as load:
        time.sleep(1.5)
        # Node A is taking its share of the writes when it dies.
        assert answers_by(live.a, method="POST", status="201") > 0
        killed_at = time.monotonic()
        live.a.kill()
        time.sleep(2.5)

    assert not live.a.is_running()
    got = {status for _, _, status, _ in load.answers}
    # What a client may see while a node dies: its request lost with the node (502 from
    # nginx, which never replays a POST), never an error from the app.
    assert got <= {201, 502, 0}, got
    after_kill = [status for sent, _, status, _ in load.answers if sent > killed_at]
    assert after_kill.count(201) > 0  # nginx kept serving through node B

    accepted, lost = load.names(201), load.names(502, 0)
    stored = {
        name
        for (name,) in live.query(
            "SELECT name FROM lattices_lattice WHERE tenant_id = %s AND name LIKE 'kill-%%'",
            tenant,
        )
    }
    assert accepted <= stored  # every 201 is in the database
    assert stored <= accepted | lost  # only an answer lost with node A leaves doubt
    [(lattices,)] = live.query("SELECT count(*) FROM lattices_lattice WHERE tenant_id = %s", tenant)
    [(created,)] = live.query(
        "SELECT count(*) FROM tenants_auditevent WHERE tenant_id = %s "
        "AND action = 'lattice.created'",
        tenant,
    )
    assert lattices == created  # no half transaction

    # Every accepted call is counted; beyond them, at most the calls whose answers were
    # lost with node A (the count is spent before the view runs, so a call cut short after
    # that point counts without its lattice).
    used = live.api_calls(email) - used_before
    assert len(accepted) <= used <= len(accepted) + len(lost), (used, len(accepted), len(lost))

    # With node A gone, every request through nginx is served by node B.
    assert [
        live.front.request(
            "POST", "/api/lattices", {"name": f"after-{n}", "dimensions": 2, "size": 3}, token=token
        )[0]
        for n in range(6)
    ] == [201] * 6
    assert live.a.request("GET", "/ping", timeout=2)[0] == 0
