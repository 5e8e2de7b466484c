"""``lms.client_address``: whose address a request is counted under."""

import pytest
from django.test import RequestFactory

from lms.client_address import client_address

PROXY = "10.0.0.254"


def request_from(forwarded_for=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=PROXY, **headers)


@pytest.mark.parametrize("forwarded_for", [None, "203.0.113.5", "1.2.3.4, 203.0.113.5"])
def test_without_trusted_proxies_the_header_is_ignored(settings, forwarded_for):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request_from(forwarded_for)) == PROXY


@pytest.mark.parametrize(
    ("count", "forwarded_for", "expected"),
    [
        (1, "203.0.113.5", "203.0.113.5"),  # one nginx: it appended the client
        (1, "1.2.3.4, 203.0.113.5", "203.0.113.5"),  # the client forged 1.2.3.4
        (2, "1.2.3.4, 203.0.113.5, 10.0.0.9", "203.0.113.5"),  # a CDN, then nginx
        (1, "2001:db8::1", "2001:db8::1"),
        (2, "203.0.113.5", PROXY),  # fewer entries than proxies: not as configured
        (1, "", PROXY),
        (1, "not-an-address", PROXY),
        (1, None, PROXY),
    ],
)
def test_behind_trusted_proxies_the_outermost_ones_view_counts(
    settings, count, forwarded_for, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_address(request_from(forwarded_for)) == expected
