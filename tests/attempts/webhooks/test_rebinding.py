"""DNS rebinding: the address checked is the address connected to. A name that answers a public
address first and a private one afterwards never gets a connection to the private one."""

import socket

import pytest
import urllib3.util.connection
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from attempts.webhooks import delivery
from attempts.webhooks.models import DeliveryAttempt, Endpoint, Message
from tests.attempts.webhooks.receiver import receiver
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOST, PUBLIC = "hooks.example.com", "93.184.215.14"


@pytest.fixture
def rebinding(monkeypatch, settings):
    """The receiver on 127.0.0.1 stands for the public host ``PUBLIC``; ``HOST`` resolves to
    ``PUBLIC`` at its first look-up and to 127.0.0.1 at every later one. ``connected`` lists
    the addresses connections were opened to."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    real_getaddrinfo, real_connect = socket.getaddrinfo, urllib3.util.connection.create_connection
    with receiver() as hook:
        port = int(hook.url.split(":")[2].split("/")[0])
        hook.port, hook.lookups, hook.connected = port, 0, []

        def getaddrinfo(host, *args, **kwargs):
            if host != HOST:
                return real_getaddrinfo(host, *args, **kwargs)
            hook.lookups += 1
            address = PUBLIC if hook.lookups == 1 else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        def create_connection(address, *args, **kwargs):
            hook.connected.append(address)
            if address[0] == PUBLIC:  # the public host is our receiver
                address = ("127.0.0.1", address[1])
            return real_connect(address, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
        hook.endpoint = Endpoint.objects.create(
            owner=UserFactory(), url=f"http://{HOST}:{port}/hook"
        )
        yield hook


def test_the_connection_goes_to_the_address_checked(rebinding):
    Message.objects.create(
        endpoint=rebinding.endpoint,
        event_type="attempt.test",
        payload={"type": "attempt.test"},
        next_try_at=timezone.now(),
    )
    assert delivery.deliver_due() == 1
    # One look-up (public), one connection, to that address; the URL's host in Host.
    assert rebinding.lookups == 1
    assert rebinding.connected == [(PUBLIC, rebinding.port)]
    headers, body = rebinding.received[0]
    assert headers["host"] == f"{HOST}:{rebinding.port}"
    assert Webhook(rebinding.endpoint.secret).verify(body, headers) == {"type": "attempt.test"}

    # The next try: the name now answers 127.0.0.1, which is refused before any connection.
    delivery.replay(Message.objects.all(), now=timezone.now())
    assert delivery.deliver_due() == 1
    assert rebinding.lookups == 2
    assert len(rebinding.connected) == 1
    assert len(rebinding.received) == 1
    log = DeliveryAttempt.objects.order_by("id").last()
    assert (log.succeeded, log.status_code) == (False, None)
    assert log.error == f"Refused: {HOST} resolves to a non-public address 127.0.0.1"
