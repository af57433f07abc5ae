"""Two app nodes on two hosts behind one nginx, sharing one PostgreSQL and one Redis.

Each node is a network namespace of its own (`ip netns`), joined to this machine by a
veth pair: the node's gunicorn binds its namespace's address, and reaches PostgreSQL and
Redis on the root side of its link, as an app host reaches them over the private network.
PostgreSQL and Redis are this test's own servers (a fresh cluster and a fresh
redis-server, as in tests/faults), listening on loopback and on both links. nginx runs
in the root namespace with the repository's proxy settings (bench/nginx.py), its
upstream the two nodes. Both nodes read one JWT key folder, as hosts share a volume.

    root namespace                               catalytic-node-<pid>-a
    127.0.0.1:<nginx>  ──▶ 10.231.K.1 ═══ veth ═══ 10.231.K.2:8000   gunicorn (node A)
    PostgreSQL, Redis on 127.0.0.1, 10.231.K.1 and 10.231.K+1.1
                           10.231.K+1.1 ═ veth ═══ 10.231.K+1.2:8000 gunicorn (node B)
                                                 catalytic-node-<pid>-b
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.faults.conftest import (
    ROOT,
    App,
    PostgresCluster,
    RedisServer,
    missing,
    wait_for,
)

NODE_PORT = 8000
PASSWORD = "two-nodes-one-truth-2026"
NAMESPACE_PREFIX = "catalytic-node-"


def load_bench_nginx() -> ModuleType:
    """bench/nginx.py, the one way benches, load tests and this test start nginx."""
    spec = importlib.util.spec_from_file_location("bench_nginx", ROOT / "bench" / "nginx.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=15)


# --- the network -------------------------------------------------------------------------


@dataclass
class Host:
    """One app host: a namespace and its link to the root namespace."""

    netns: str
    address: str  # the node's, inside its namespace
    gateway: str  # the root side of the link: where the node finds PostgreSQL and Redis
    link: str  # the root side's interface name


class Network:
    """Namespaces and veth links made for one test run, removed by `remove()`."""

    def __init__(self, count: int) -> None:
        if os.geteuid() != 0 or not shutil.which("ip"):
            missing("network namespaces need root and iproute2 (`ip`)")
        self.hosts: list[Host] = []
        self._remove_stale()
        subnet = self._free_subnets(count)
        pid = os.getpid()
        try:
            for index, third in enumerate(subnet):
                letter = "ab"[index]
                host = Host(
                    netns=f"{NAMESPACE_PREFIX}{pid}-{letter}",
                    address=f"10.231.{third}.2",
                    gateway=f"10.231.{third}.1",
                    link=f"cn{pid}{letter}0",
                )
                self.hosts.append(host)
                self._add(host, peer=f"cn{pid}{letter}1")
        except subprocess.CalledProcessError as exc:
            self.remove()
            missing(f"cannot make network namespaces: {exc.stderr.decode(errors='replace')}")
        except Exception:
            self.remove()
            raise

    @staticmethod
    def _free_subnets(count: int) -> list[int]:
        """Consecutive 10.231.K.0/24 networks no interface of this machine uses yet."""
        listing = subprocess.run(
            ["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=True
        ).stdout
        used = {int(octet) for octet in re.findall(r"inet 10\.231\.(\d+)\.", listing)}
        start = 1 + (os.getpid() % 100) * 2
        for offset in range(0, 250, 2):
            first = (start + offset) % 250 + 1
            wanted = list(range(first, first + count))
            if not used.intersection(wanted):
                return wanted
        raise RuntimeError("no free 10.231.K.0/24 network for the app hosts")

    @staticmethod
    def _add(host: Host, peer: str) -> None:
        ip("netns", "add", host.netns)
        ip("link", "add", host.link, "type", "veth", "peer", "name", peer)
        ip("link", "set", peer, "netns", host.netns)
        ip("addr", "add", f"{host.gateway}/24", "dev", host.link)
        ip("link", "set", host.link, "up")
        ip("-n", host.netns, "addr", "add", f"{host.address}/24", "dev", peer)
        ip("-n", host.netns, "link", "set", peer, "up")
        ip("-n", host.netns, "link", "set", "lo", "up")

    @staticmethod
    def _remove_stale() -> None:
        """Namespaces left by an earlier run whose test process is gone (a crash, a kill -9)."""
        listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        for name in re.findall(rf"^({re.escape(NAMESPACE_PREFIX)}(\d+)-[ab])", listing, re.M):
            namespace, owner = name
            if not Path(f"/proc/{owner}").exists():
                subprocess.run(["ip", "netns", "del", namespace], capture_output=True)

    def remove(self) -> None:
        # Deleting a namespace deletes the veth end inside it, and with it the pair.
        for host in self.hosts:
            subprocess.run(["ip", "netns", "del", host.netns], capture_output=True)
            subprocess.run(["ip", "link", "del", host.link], capture_output=True)
        self.hosts = []


# --- PostgreSQL and Redis reachable from the hosts --------------------------------------


class SharedPostgres(PostgresCluster):
    """tests/faults' throwaway cluster, also listening on the hosts' links."""

    database = "catalytic_nodes"

    def __init__(self, base: Path, gateways: list[str]) -> None:
        super().__init__(base)
        self.gateways = gateways
        self.listen = ["127.0.0.1", *gateways]
        # initdb trusts loopback only; the hosts connect from their own addresses.
        with (self.data / "pg_hba.conf").open("a") as hba:
            for gateway in gateways:
                network = gateway.rsplit(".", 1)[0] + ".0/24"
                hba.write(f"host all all {network} trust\n")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def url_from(self, host: Host) -> str:
        return f"postgresql://postgres@{host.gateway}:{self.port}/{self.database}"

    def create_database(self) -> None:
        import psycopg

        admin = self.url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {self.database}")


class SharedRedis(RedisServer):
    """tests/faults' redis-server, also listening on the hosts' links."""

    def __init__(self, base: Path, gateways: list[str]) -> None:
        super().__init__(base)
        self.gateways = gateways
        self.listen = ["127.0.0.1", *gateways]

    def url_from(self, host: Host) -> str:
        return f"redis://{host.gateway}:{self.port}/0"


# --- the app nodes -----------------------------------------------------------------------


@dataclass
class Node(App):
    """gunicorn with the production settings, inside its host's namespace."""

    name: str = ""
    host: Host | None = None

    @property
    def url(self) -> str:
        assert self.host is not None
        return f"http://{self.host.address}:{self.port}"

    @property
    def log(self) -> Path:
        return self.base / f"gunicorn-{self.name}.log"

    def start(self) -> None:
        assert self.host is not None
        self.process = subprocess.Popen(
            [
                *("ip", "netns", "exec", self.host.netns),
                *(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "catalytic.wsgi"),
            ],
            cwd=ROOT,
            env={**self.env, "GUNICORN_BIND": f"{self.host.address}:{self.port}"},
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_serving(self) -> None:
        def serving() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"node {self.name} exited:\n{self.log_tail()}")
            return self.request("GET", "/ping", timeout=2)[0] == 200

        wait_for(serving, 40, f"node {self.name} to serve /ping")

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group, master and workers: the host is gone."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        super().stop()
        # A master that died first leaves its workers behind in the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


@dataclass
class Front(App):
    """nginx's address, for requests as users send them (App's HTTP client)."""

    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass
class Cluster:
    network: Network
    postgres: SharedPostgres
    redis: SharedRedis
    a: Node
    b: Node
    front: Front
    nginx: Any
    keys: Path
    accounts: dict[str, str] = field(default_factory=dict)  # purpose -> email

    @property
    def nodes(self) -> tuple[Node, Node]:
        return self.a, self.b

    def restart(self, **changes: str | None) -> None:
        """Restart both nodes with these environment changes (None removes a variable)."""
        for node in self.nodes:
            # Nothing is in flight between tests: no need to wait for a graceful stop.
            node.kill()
            node.env = {key: value for key, value in node.env.items() if key not in changes}
            node.env.update({key: value for key, value in changes.items() if value is not None})
            node.start()
        for node in self.nodes:
            node.wait_serving()

    def ensure_up(self) -> None:
        """Every test starts with both nodes serving, whatever the previous one did."""
        stopped = [node for node in self.nodes if not node.is_running()]
        for node in stopped:
            node.start()
        for node in stopped:
            node.wait_serving()

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.postgres.query(sql, *params)

    def tenant_id(self, email: str) -> str:
        [(tenant,)] = self.query(
            "SELECT m.tenant_id FROM tenants_membership m JOIN accounts_user u "
            "ON u.id = m.user_id WHERE u.email = %s",
            email,
        )
        return str(tenant)

    def api_calls(self, email: str) -> int:
        rows = self.query(
            "SELECT api_calls FROM billing_usagecounter WHERE tenant_id = %s",
            self.tenant_id(email),
        )
        return int(rows[0][0]) if rows else 0


def login(client: App, email: str, password: str = PASSWORD) -> dict[str, Any]:
    status, body = client.request(
        "POST", "/api/tenants/login", {"email": email, "password": password}
    )
    assert status == 200, (status, body)
    return body


def jwt_part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def kid_of(token: str) -> str:
    return jwt_part(token, 0)["kid"]
