from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from attempts.errors import NotAllowedError
from attempts.offline import read_rows
from attempts.services import attempts_import_offline
from lms.models import User


class Command(BaseCommand):
    help = (
        "Import results taken on paper from a CSV file (format: attempts/offline.py) as "
        "finished attempts. Every row is checked first: when any is refused, nothing is "
        "imported and each refused row is reported with its line and column."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, metavar="FILE.csv")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="The administrator the import is recorded as (its events' actor).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, file, username, no_progress, **options):
        actor = User.objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"No user “{username}”.")
        try:
            rows = read_rows(file.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        with tqdm(
            total=len(rows), desc=file.name, unit="row", disable=no_progress, file=self.stderr
        ) as bar:
            try:
                report = attempts_import_offline(rows=rows, actor=actor, progress=bar.update)
            except NotAllowedError as error:
                raise CommandError(str(error)) from None
        for error in report.errors:
            self.stderr.write(str(error))
        if report.errors:
            raise CommandError(
                f"Nothing imported: {len(report.errors)} error(s) in {report.rows} row(s)."
            )
        self.stdout.write(self.style.SUCCESS(f"Imported {report.imported} attempt(s)."))
