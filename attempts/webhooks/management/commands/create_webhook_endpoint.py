"""``manage.py create_webhook_endpoint URL --owner USERNAME [--events attempt.started ...]``:
prints the endpoint as a JSON object with its ``id`` and ``secret`` on the last line."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from attempts.webhooks.models import EVENT_TYPE_NAMES, Endpoint
from lms.models import User


class Command(BaseCommand):
    help = "Subscribe a URL to attempt webhooks; prints its id and signing secret."

    def add_arguments(self, parser):
        parser.add_argument("url")
        parser.add_argument("--owner", required=True, help="Username of the owning account.")
        parser.add_argument("--events", nargs="*", default=[], choices=sorted(EVENT_TYPE_NAMES))

    def handle(self, *args, url, owner, events, **options):
        user = User.objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No user {owner!r}.")
        endpoint = Endpoint(owner=user, url=url, event_types=sorted(set(events)))
        try:
            endpoint.full_clean()
        except ValidationError as error:
            raise CommandError(json.dumps(error.message_dict)) from error
        endpoint.save()
        self.stdout.write(json.dumps({"id": str(endpoint.uuid), "secret": endpoint.secret}))
