"""The HTTP client of the deliveries: no redirects, a timeout, and the address checked is the
address connected to.

Checking a host and then letting ``requests`` resolve it again leaves a window for DNS
rebinding: a name that answers a public address to the check and a private one to the
connection reaches the private network. ``requests-hardened`` (Saleor's, the same guard its
webhooks use) closes it: its transport adapter resolves the host once per request, refuses a
private, loopback, link-local, reserved or multicast address, and connects to that very
address, keeping the URL's host in the ``Host`` header and, for https, in SNI and in the
certificate check. Only the address it checked is ever connected to (the first that
``getaddrinfo`` answers), so the others need no check.

``WEBHOOK_ALLOW_PRIVATE`` (the tests and the demo post to 127.0.0.1) turns the filter off.
"""

import threading

import requests
from django.conf import settings
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress

__all__ = ["InvalidIPAddress", "session"]

_local = threading.local()


def session() -> requests.Session:
    """This thread's session (a ``requests.Session`` is not shared between threads; each keeps
    its connections alive between messages to the same address)."""
    key = (settings.WEBHOOK_ALLOW_PRIVATE, settings.WEBHOOK_TIMEOUT_SECONDS)
    sessions = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    if key not in sessions:
        allow_private, timeout = key
        sessions[key] = HTTPSession(
            Config(
                ip_filter_enable=not allow_private,
                ip_filter_allow_loopback_ips=False,
                never_redirect=True,
                default_timeout=(timeout, timeout),
                user_agent_override="lms-webhooks/1",
            )
        )
    return sessions[key]
