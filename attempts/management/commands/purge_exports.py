from django.conf import settings
from django.core.management.base import BaseCommand

from attempts.export_jobs import export_jobs_purge


class Command(BaseCommand):
    help = (
        "Delete export jobs asked for more than EXPORT_RETENTION_DAYS days ago, with their "
        "files (beat runs it hourly; or run it from cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.EXPORT_RETENTION_DAYS,
            help="keep the jobs of the last DAYS days (default: EXPORT_RETENTION_DAYS)",
        )

    def handle(self, *args, days, **options):
        purged = export_jobs_purge(days=days)
        self.stdout.write(self.style.SUCCESS(f"Deleted {purged} export job(s) and their files."))
