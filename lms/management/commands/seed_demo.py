"""``manage.py seed_demo``: load the demo data of :mod:`lms.demo` and print the logins."""

import time

from django.core.management.base import BaseCommand, CommandError

from lms.demo import COURSES, LEARNER_PASSWORD, LOGINS, SITE_URL, DemoBuilder, learner_username


class Command(BaseCommand):
    help = (
        "Load demo users, courses, subjects, questions, exams and enrolled learners. "
        "Idempotent (a second run changes no counts) and deterministic for a given --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=42, help="Seed of the generated data (default 42)."
        )
        parser.add_argument(
            "--learners",
            type=int,
            default=300,
            help="Number of enrolled learners learner001, ... to create (default 300).",
        )

    def handle(self, *args, seed, learners, verbosity, **options):
        if learners < 0:
            raise CommandError("--learners must be 0 or more.")
        started = time.monotonic()
        builder = DemoBuilder(seed=seed, learner_count=learners)
        if verbosity >= 1:
            builder.log = self.stdout.write  # one progress line per step
        summary = builder.run()
        elapsed = time.monotonic() - started
        if verbosity < 1:
            return
        counts = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in summary.items())
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready (seed {seed}) in {elapsed:.1f} s: {counts}.")
        )
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                "Logins (demo passwords: never load this data on a real site)"
            )
        )
        for login in LOGINS:
            taught = ", ".join(c.title for c in COURSES if c.instructor == login.username)
            role = {
                "instructor": f"instructor of {taught}",
                "learner": "learner, enrolled in every course",
            }.get(login.role, login.role)
            self.stdout.write(f"  {login.username} / {login.password}  ({role})")
        if learners:
            last = learner_username(learners)
            self.stdout.write(
                f"  {learner_username(1)} … {last} / {LEARNER_PASSWORD}  (enrolled learners)"
            )
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("URLs"))
        self.stdout.write(f"  Admin: {SITE_URL}/admin/  (log in as admin / admin)")
        self.stdout.write(
            "  Serve it with `make demo` or `DEBUG=1 .venv/bin/python manage.py runserver`."
        )
