"""Deliver webhooks without Celery or Redis (the demo): the relay and the delivery in a loop,
the same functions the Celery task ``pump`` calls."""

import time

from django.core.management.base import BaseCommand

from attempts.webhooks.delivery import deliver_due
from attempts.webhooks.relay import relay_events


class Command(BaseCommand):
    help = "Turn new attempt events into webhook messages and send what is due."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between passes.")

    def handle(self, *args, once=False, interval=2.0, **options):
        while True:
            read = tried = 0
            while batch := relay_events():
                read += batch
            while batch := deliver_due():
                tried += batch
            if once:
                self.stdout.write(f"{read} events read, {tried} tries")
                return
            time.sleep(interval)
