"""The client's IP address, believing X-Forwarded-For only from our own proxies.

Rate limits and the audit trail key on this address, so a client must not be
able to pick it: X-Forwarded-For is read only when the socket peer
(REMOTE_ADDR) is one of settings.TRUSTED_PROXIES, and then walked from the
right, skipping further trusted proxies, to the first address nobody we trust
wrote.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES entry {entry!r} is not an IP address or CIDR network"
            )
    return tuple(networks)


def _parse(value: str) -> Address | None:
    """An address from a header hop; tolerates `1.2.3.4:5678` and `[::1]:443`."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket is still that IPv4 client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def is_trusted_proxy(remote_addr: str) -> bool:
    """Whether the socket peer `remote_addr` is one of settings.TRUSTED_PROXIES."""
    address = _parse(remote_addr or "")
    networks = _trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    return address is not None and _is_trusted(address, networks)


def client_ip(request: Any) -> str:
    """The address of whoever sent the request; "" when the server cannot tell."""
    meta = request.META
    remote = _parse(meta.get("REMOTE_ADDR", "") or "")
    if remote is None:
        return ""
    networks = _trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    if not networks or not _is_trusted(remote, networks):
        return str(remote)
    hops = [hop for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # SECURITY: a hop we cannot read was written by someone we do not
            # trust; stop at the last address a trusted proxy vouched for.
            break
        if not _is_trusted(address, networks):
            return str(address)
        remote = address
    return str(remote)
