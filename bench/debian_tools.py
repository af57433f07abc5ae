"""The tools the benches run (nginx, wrk, valgrind), from Debian's packages: installed
when missing and running as root, else a message saying how to install them."""

from __future__ import annotations

import os
import shutil
import subprocess


class MissingTool(RuntimeError):
    """The tool is missing and could not be installed."""


def _find(binary: str) -> str | None:
    # /usr/sbin is not on every PATH (nginx lives there).
    return shutil.which(binary) or shutil.which(binary, path="/usr/sbin")


def ensure_tool(binary: str, package: str | None = None) -> str:
    """The path of `binary`, installing Debian's `package` (default: the binary's name)
    first when it is missing."""
    package = package or binary
    found = _find(binary)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise MissingTool(
            f"{binary} is not installed: run `sudo apt-get install -y {package}`, then retry"
        )
    print(
        f"{binary} is missing: installing it from Debian (apt-get install -y {package})...",
        flush=True,
    )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=False)
        subprocess.run(install, env=env, capture_output=True, check=True)
    found = _find(binary)
    if not found:
        raise MissingTool(f"apt-get installed {package} but {binary} is not where expected")
    return found
