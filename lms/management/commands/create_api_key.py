"""``manage.py create_api_key USERNAME --name NAME [--expires-days N]``: a new API client
acting for USERNAME. Its last line of output is one JSON object: ``api_key`` (what an
``Authorization: Bearer`` header carries), ``client_id`` and ``client_secret``. The secret is
shown this once; only its hash is stored (``lms.models.ApiClient``)."""

import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lms.models import ApiClient, User


class Command(BaseCommand):
    help = "Create an API client acting for a user and print its key, once, as JSON."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The account the key acts for.")
        parser.add_argument("--name", required=True, help="What the key is for.")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Days until it expires (never)."
        )

    def handle(self, *args, username, name, expires_days, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username!r} is inactive: its key would be refused.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be 1 or more.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        client, secret = ApiClient.issue(user=user, name=name, expires_at=expires_at)
        self.stderr.write(
            f"Created API client {client.client_id} for {username}"
            + (f", expiring {expires_at:%Y-%m-%d %H:%M} UTC." if expires_at else ".")
            + " The secret is shown this once."
        )
        self.stdout.write(
            json.dumps(
                {
                    "api_key": client.api_key(secret),
                    "client_id": client.client_id,
                    "client_secret": secret,
                }
            )
        )
