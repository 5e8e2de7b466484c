from django.core.management.base import BaseCommand

from attempts.services import DEADLINE_GRACE, attempts_finalize_overdue


class Command(BaseCommand):
    help = (
        "Complete running attempts whose deadline passed more than "
        f"{int(DEADLINE_GRACE.total_seconds())} seconds ago, scoring them at their deadline."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=500)

    def handle(self, *args, chunk_size, **options):
        finalized = attempts_finalize_overdue(chunk_size=chunk_size)
        self.stdout.write(self.style.SUCCESS(f"Finalized {finalized} overdue attempt(s)."))
