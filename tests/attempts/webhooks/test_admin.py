"""The webhooks admin: owners see their own endpoints and messages; "retry now" replays a
message, "send a test event" queues one that the delivery signs and sends."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from attempts.webhooks import delivery
from attempts.webhooks.models import Endpoint, Message
from attempts.webhooks.relay import relay_events
from tests.admin_pages import changelist_rows, url
from tests.attempts.webhooks.receiver import receiver
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(settings, kit):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with receiver() as state:
        state.endpoint = Endpoint.objects.create(owner=kit.instructor, url=state.url)
        yield state


def test_retry_now_sends_the_message_again(admin_client, kit, hook):
    kit.start()
    relay_events()
    delivery.deliver_due()
    message = Message.objects.get()
    response = admin_client.post(
        url(Message, "changelist"), {"action": "retry_now", "_selected_action": [message.pk]}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.tries) == ("pending", 0)
    delivery.deliver_due()
    assert len(hook.received) == 2
    page = admin_client.get(url(Message, "change", message.pk))
    assert len(page.context["inline_admin_formsets"][0].formset.queryset) == 2  # the log


def test_send_a_test_event(admin_client, hook):
    response = admin_client.post(
        url(Endpoint, "changelist"),
        {"action": "send_test_event", "_selected_action": [hook.endpoint.pk]},
    )
    assert response.status_code == 302
    delivery.deliver_due(now=timezone.now())
    headers, body = hook.received[0]
    assert Webhook(hook.endpoint.secret).verify(body, headers)["type"] == "attempt.test"


def test_a_staff_owner_sees_only_their_endpoints(client, kit, hook):
    owner = UserFactory(username="integrator", is_staff=True)
    owner.user_permissions.add(*Permission.objects.filter(content_type__app_label="webhooks"))
    mine = Endpoint.objects.create(owner=owner, url="https://hooks.example.com/mine")
    client.force_login(owner)
    assert changelist_rows(client.get(url(Endpoint, "changelist"))) == [mine]
    assert client.get(url(Endpoint, "change", hook.endpoint.pk)).status_code == 302  # not found
