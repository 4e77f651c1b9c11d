"""The client's address behind reverse proxies: X-Forwarded-For is believed only from a
trusted proxy, read from its right end past the trusted ones."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from shequn.services.addresses import client_address
from shequn.settings import Settings

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))


def test_an_untrusted_peer_is_the_client_whatever_it_claims() -> None:
    assert client_address("198.51.100.1", "203.0.113.7", PROXIES) == "198.51.100.1"
    assert client_address("198.51.100.1", "203.0.113.7", ()) == "198.51.100.1"
    assert client_address(None, "203.0.113.7", PROXIES) == "unknown"


def test_a_trusted_proxy_names_the_client_it_forwards_for() -> None:
    assert client_address("10.0.0.2", "203.0.113.7", PROXIES) == "203.0.113.7"
    assert client_address("::1", "2001:db8::5", PROXIES) == "2001:db8::5"
    assert client_address("10.0.0.2", None, PROXIES) == "10.0.0.2"


def test_the_list_is_read_from_the_right_past_the_trusted_proxies() -> None:
    # the client wrote the leftmost address itself: it proves nothing
    forged = "1.2.3.4, 203.0.113.7, 10.0.0.9"
    assert client_address("10.0.0.2", forged, PROXIES) == "203.0.113.7"
    assert client_address("10.0.0.2", "10.0.0.8, 10.0.0.9", PROXIES) == "10.0.0.8"
    assert client_address("10.0.0.2", "203.0.113.7, not-an-address", PROXIES) == "10.0.0.2"


def test_the_trusted_proxies_setting_is_checked_and_parsed() -> None:
    settings = Settings(trusted_proxies="127.0.0.1, 10.0.0.0/8")
    assert settings.trusted_networks == (ipaddress.ip_network("127.0.0.1/32"),
                                         ipaddress.ip_network("10.0.0.0/8"))
    assert Settings().trusted_networks == ()
    with pytest.raises(ValidationError, match=r"'proxy\.local' is not an address"):
        Settings(trusted_proxies="10.0.0.1,proxy.local")
