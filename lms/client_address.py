"""The address a request came from, for lockouts, throttles and the password reset limit."""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """``REMOTE_ADDR``; behind ``TRUSTED_PROXY_COUNT`` reverse proxies, the address the
    outermost one saw: the count-th entry of ``X-Forwarded-For`` from the right. Each proxy
    appends the address it was reached from; entries further left are whatever the client
    sent, never to be trusted. DRF's throttles read the header the same way (``NUM_PROXIES``,
    set from the same setting). An entry that is not an address falls back to REMOTE_ADDR.

    django-ipware was tried first: its ``proxy_count`` expects the nearest proxy's address in
    the header as well, so with one nginx in front it found no client at all (every client
    then shares one lockout) and, given ``forged, real``, chose the forged entry.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [
            entry.strip()
            for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if entry.strip()
        ]
        if len(forwarded) >= count:
            candidate = forwarded[-count]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR")
