"""Celery tasks: thin wrappers over the relay and the delivery (late acknowledgement comes
from ``CELERY_TASK_ACKS_LATE``; both are idempotent, so a redelivered task does no harm)."""

from celery import shared_task

from attempts.webhooks.delivery import deliver_due
from attempts.webhooks.relay import relay_events


@shared_task(ignore_result=True)
def pump() -> None:
    """The periodic pick-up (beat, every 2 s): new events into messages, then due tries."""
    while relay_events():
        pass
    while deliver_due():
        pass
