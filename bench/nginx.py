"""nginx in front of one or more app nodes, as deployed (deploy/nginx/proxy.conf).

bench/http_bench.py, loadtest/run.py and the two-node test start it the same way: a
throw-away nginx.conf in a work folder whose one `location /` includes the repository's
proxy.conf, so every measurement and test goes through the deployed proxy settings.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# This folder, also when a test loads this file by its path.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from debian_tools import MissingTool, ensure_tool  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PROXY_CONF = REPO / "deploy" / "nginx" / "proxy.conf"


class NginxError(RuntimeError):
    """nginx is missing, will not install, or did not start."""


def ensure_nginx() -> str:
    """The nginx binary, installed from Debian's package when missing (as root)."""
    try:
        return ensure_tool("nginx")
    except MissingTool as exc:
        raise NginxError(str(exc)) from exc


def config(
    upstreams: Sequence[str],
    *,
    listen: str,
    workdir: Path,
    workers: int = 1,
    keepalive: int = 32,
) -> str:
    """An nginx.conf proxying `listen` (host:port) to `upstreams` (host:port each)."""
    servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=2s;" for u in upstreams)
    return f"""
worker_processes {workers};
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{
    worker_connections 16384;
}}
worker_rlimit_nofile 40000;
http {{
    access_log off;
    client_body_temp_path {workdir}/client_body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    client_max_body_size 2m;
    keepalive_requests 100000;
    upstream catalytic_app {{
{servers}
        keepalive {keepalive};
    }}
    server {{
        listen {listen} backlog=4096;
        location / {{
            include {PROXY_CONF};
        }}
    }}
}}
"""


class Nginx:
    """An nginx master in its own process group, stopped with the group."""

    def __init__(
        self,
        upstreams: Sequence[str],
        *,
        port: int,
        workdir: Path,
        host: str = "127.0.0.1",
        workers: int = 1,
        netns: str | None = None,
    ) -> None:
        self.upstreams = list(upstreams)
        self.host = host
        self.port = port
        self.workdir = Path(workdir)
        self.workers = workers
        self.netns = netns
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        binary = ensure_nginx()
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "nginx.conf"
        conf.write_text(
            config(
                self.upstreams,
                listen=f"{self.host}:{self.port}",
                workdir=self.workdir,
                workers=self.workers,
            )
        )
        command = [binary, "-c", str(conf), "-e", str(self.workdir / "error.log")]
        command += ["-g", "daemon off;"]
        if self.netns:
            command = ["ip", "netns", "exec", self.netns, *command]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=(self.workdir / "stderr.log").open("wb"),
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NginxError(f"nginx exited at start-up:\n{self.log_tail()}")
            if self.netns or self._answers():
                if self.netns:
                    time.sleep(0.3)
                return
            time.sleep(0.05)
        raise NginxError(f"nginx did not listen on {self.base} in {timeout:.0f} s")

    def _answers(self) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex((self.host, self.port)) == 0

    def pids(self) -> list[int]:
        """The master and its workers, for CPU accounting."""
        if self.process is None:
            return []
        found = [self.process.pid]
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            found += [int(pid) for pid in children.read_text().split()]
        return found

    def log_tail(self, lines: int = 20) -> str:
        text = ""
        for name in ("stderr.log", "error.log"):
            with contextlib.suppress(OSError):
                text += (self.workdir / name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def __enter__(self) -> Nginx:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
