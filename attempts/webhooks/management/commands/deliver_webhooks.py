"""Deliver webhooks without Celery or Redis (``make demo`` runs it in the background): the relay
and the delivery in a loop, the same functions the Celery task ``pump`` calls. Each pass that
did something says so on one line; ``--once`` makes one pass and says what it did."""

from datetime import UTC, datetime
from time import sleep

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from attempts.webhooks.delivery import deliver_due, replay
from attempts.webhooks.models import Message
from attempts.webhooks.relay import relay_events


class Command(BaseCommand):
    help = "Turn new attempt events into webhook messages and send what is due."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between passes.")
        parser.add_argument(
            "--recover-since",
            metavar="YYYY-MM-DD",
            help="First send again every failed message created since this day (UTC).",
        )

    def handle(self, *args, once=False, interval=2.0, recover_since=None, **options):
        if recover_since:
            try:
                since = datetime.strptime(recover_since, "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError as error:
                raise CommandError("--recover-since: a day as YYYY-MM-DD.") from error
            failed = Message.objects.filter(status=Message.Status.FAILED, created_at__gte=since)
            self.stdout.write(f"{replay(failed, now=timezone.now())} failed messages to recover")
        while True:
            read = tried = 0
            while batch := relay_events():
                read += batch
            while batch := deliver_due():
                tried += batch
            if once or read or tried:
                self.stdout.write(f"{read} events read, {tried} tries")
            if once:
                return
            sleep(interval)
