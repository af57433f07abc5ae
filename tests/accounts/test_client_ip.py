from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from catalytic.client_ip import client_ip


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_a_client_cannot_pick_its_address_through_an_untrusted_peer(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("203.0.113.9", "1.1.1.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    "forwarded, expected",
    [
        ("198.51.100.7", "198.51.100.7"),
        # A client-supplied hop on the left is not believed: the right-most untrusted wins.
        ("6.6.6.6, 198.51.100.7", "198.51.100.7"),
        ("6.6.6.6, 198.51.100.7, 10.1.2.3", "198.51.100.7"),
        ("198.51.100.7:51234", "198.51.100.7"),
        ("[2001:db8::5]:443", "2001:db8::5"),
        ("garbage, 10.1.2.3", "10.1.2.3"),
        ("", "10.0.0.2"),
    ],
)
def test_behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client(
    settings, forwarded, expected
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "fd00::/8"]
    assert client_ip(request_from("10.0.0.2", forwarded)) == expected


def test_single_addresses_and_ipv6_proxies_are_accepted(settings):
    settings.TRUSTED_PROXIES = ["192.0.2.10", "fd00::/8"]
    assert client_ip(request_from("192.0.2.10", "198.51.100.7")) == "198.51.100.7"
    assert client_ip(request_from("fd00::1", "2001:db8::9")) == "2001:db8::9"
    assert client_ip(request_from("::ffff:203.0.113.9")) == "203.0.113.9"


def test_a_bad_proxy_setting_is_a_configuration_error(settings):
    settings.TRUSTED_PROXIES = ["not-a-network"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        client_ip(request_from("10.0.0.2", "198.51.100.7"))


def test_an_unreadable_peer_address_is_empty():
    assert client_ip(request_from("")) == ""
