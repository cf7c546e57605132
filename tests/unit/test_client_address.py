"""The client address login throttling counts (issue 10, gateway/clients.py): X-Forwarded-For
believed only from trusted proxies, read from the right; IPv6 by its /64."""

import pytest

from gateway.clients import client_address, trusted_networks

PROXIES = trusted_networks("10.0.0.0/8, 192.168.1.5")


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address("203.0.113.7", "198.51.100.1", ()) == "203.0.113.7"


def test_a_client_that_connects_directly_cannot_choose_its_address():
    assert client_address("203.0.113.7", "10.9.9.9, 1.2.3.4", PROXIES) == "203.0.113.7"


def test_through_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client():
    # the client wrote "1.2.3.4" itself; the outer proxy 192.168.1.5 appended what it saw
    header = "1.2.3.4, 198.51.100.20, 192.168.1.5"
    assert client_address("10.1.2.3", header, PROXIES) == "198.51.100.20"
    assert client_address("10.1.2.3", "10.4.4.4", PROXIES) == "10.4.4.4"  # all trusted: the last


def test_a_hop_that_is_not_an_address_stops_at_the_proxy():
    assert client_address("10.1.2.3", "198.51.100.20, bogus", PROXIES) == "10.1.2.3"
    assert client_address(None, None, PROXIES) == "unknown"


def test_ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4():
    assert client_address("2001:db8:1:2:aaaa::1", None, ()) == "2001:db8:1:2::/64"
    assert client_address("2001:db8:1:2:bbbb::9", None, ()) == "2001:db8:1:2::/64"
    assert client_address("::ffff:198.51.100.20", None, ()) == "198.51.100.20"
    longest = client_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None, ())
    assert len(longest) <= 64


def test_bad_trusted_proxies_are_refused():
    assert trusted_networks(None) == () and trusted_networks("") == ()
    with pytest.raises(ValueError):
        trusted_networks("10.0.0.0/8, ingress")
