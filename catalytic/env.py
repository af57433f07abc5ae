"""Typed readers for environment variables.

Settings read the environment once, through these helpers, so that a bad value
fails at start-up with a message naming the variable instead of surfacing as a
confusing error deep inside a request.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_secret(name: str, default: str = "") -> str:
    """Read NAME, or the contents of the file named by NAME_FILE (Docker/K8s secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}")
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer")
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


_RATE = re.compile(r"\d+/\d*[smhd]")


def env_rate(name: str, default: str) -> str:
    """A rate like "10/m" or "20/h" (django-ratelimit's "count/period"); "" disables."""
    value = env_str(name, default)
    if value and not _RATE.fullmatch(value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate like 10/m")
    return value


def prepare_metrics_dir() -> None:
    """Create PROMETHEUS_MULTIPROC_DIR if it is set and missing.

    prometheus_client's multiprocess mode writes a file per process there from the first
    metric created, while the apps load, so the folder must exist before Django starts.
    Process entry points call this (manage.py, the Celery app); gunicorn.conf.py creates
    the folder itself, clearing it at each start.
    """
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if not folder:
        return
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"PROMETHEUS_MULTIPROC_DIR={folder!r} is not a folder this process can create: {exc}"
        ) from exc


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number")
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str = "", *, schemes: tuple[str, ...] = ()) -> str:
    raw = os.environ.get(name, default).strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if not parts.scheme or (schemes and parts.scheme not in schemes):
        allowed = ", ".join(schemes) if schemes else "a scheme"
        raise ImproperlyConfigured(f"{name}={mask_url(raw)!r} must be a URL with {allowed}")
    return raw


def mask_url(url: str) -> str:
    """Hide the password of a URL so it can be printed or logged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = quote(parts.username or "", safe="")
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(
        (parts.scheme, f"{user}:****@{host}", parts.path, parts.query, parts.fragment)
    )


def redis_url_from_env() -> str:
    """REDIS_URL, or one built from REDIS_HOST/REDIS_PORT/REDIS_PASSWORD, which
    docs/deploy.md ("Redis") also accepts for deployments configured that way."""
    url = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
    if url:
        return url
    host = env_str("REDIS_HOST")
    if not host:
        return ""
    port = env_int("REDIS_PORT", 6379, minimum=1)
    password = env_secret("REDIS_PASSWORD")
    auth = f":{quote(password, safe='')}@" if password else ""
    return f"redis://{auth}{host}:{port}/{env_int('REDIS_DB', 0, minimum=0)}"
