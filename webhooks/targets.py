"""Which URLs a webhook may be sent to (SSRF): checked at registration and again at each
delivery, because what a name resolves to can change after it was registered.

Only `https://` unless DEBUG; never a host that resolves to an address that is not
globally routable (private, loopback, link-local such as the cloud metadata service at
169.254.169.254, shared, reserved, multicast), unless WEBHOOK_ALLOW_PRIVATE_TARGETS.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeTarget(Exception):
    """The URL may not receive webhooks; the message says why, for the customer."""


def check_shape(url: str) -> None:
    """What can be told from the URL alone."""
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.DEBUG else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeTarget("Use an https:// URL.")
    if not parts.hostname:
        raise UnsafeTarget("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeTarget("Put no credentials in the URL; verify the signature instead.")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise UnsafeTarget("The URL's port is not valid.")


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(url: str) -> list[str]:
    """The addresses to connect to for `url`, all of them allowed; else UnsafeTarget."""
    check_shape(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeTarget(f"The host {parts.hostname} does not resolve.")
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS and not all(map(_is_public, addresses)):
        # All, not any: a name with one public and one private address could be steered.
        raise UnsafeTarget(
            f"The host {parts.hostname} resolves to a private, loopback, link-local or "
            "otherwise internal address."
        )
    if not addresses:
        raise UnsafeTarget(f"The host {parts.hostname} does not resolve.")
    return addresses
