"""``manage.py seed_demo``: load the demo data of :mod:`lms.demo` and print the logins."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from tqdm import tqdm

from lms.demo import (
    COURSES,
    DEFAULT_DEMO_ATTEMPTS,
    LEARNER_PASSWORD,
    LOGINS,
    SITE_URL,
    DemoBuilder,
    learner_username,
)


class LineProgress:
    """Progress for a log file (stderr is not a terminal): a plain line at every tenth of
    the total, instead of a bar redrawn into the file thousands of times."""

    STEPS = 10

    def __init__(self, total: int, desc: str, write):
        self.total, self.desc, self.write = total, desc, write
        self.done, self.shown = 0, 0
        self.started = time.monotonic()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int) -> None:
        self.done += n
        total = self.total or 1
        step = self.done * self.STEPS // total
        if step > self.shown:
            self.shown = step
            elapsed = time.monotonic() - self.started
            rate = self.done / elapsed if elapsed else 0
            self.write(
                f"{self.desc}: {self.done}/{self.total} ({100 * self.done // total}%) "
                f"in {elapsed:.0f} s, {rate:.0f}/s"
            )


class Command(BaseCommand):
    help = (
        "Load demo users, courses, subjects, questions, exams, enrolled learners and their "
        "attempts. Idempotent (a second run changes no counts) and deterministic for a given "
        "--seed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=42, help="Seed of the generated data (default 42)."
        )
        parser.add_argument(
            "--learners",
            type=int,
            default=300,
            help=(
                "Number of enrolled learners learner001, ... to create (default 300). The first "
                "300 take the attempts played through the services; all of them the bulk ones."
            ),
        )
        parser.add_argument(
            "--demo-attempts",
            type=int,
            default=DEFAULT_DEMO_ATTEMPTS,
            help=(
                "Attempts played through the attempt services, in every state (default "
                f"{DEFAULT_DEMO_ATTEMPTS}); skipped when the demo's attempts exist."
            ),
        )
        parser.add_argument(
            "--attempts",
            type=int,
            default=0,
            help=(
                "Finished attempts written in bulk for large data sets, spread over the exams "
                "and all learners (default 0); a re-run tops up to this number."
            ),
        )

    def handle(self, *args, seed, learners, demo_attempts, attempts, verbosity, **options):
        for name, value in (
            ("--learners", learners),
            ("--demo-attempts", demo_attempts),
            ("--attempts", attempts),
        ):
            if value < 0:
                raise CommandError(f"{name} must be 0 or more.")
        started = time.monotonic()
        builder = DemoBuilder(
            seed=seed, learner_count=learners, demo_attempts=demo_attempts, bulk_attempts=attempts
        )
        if verbosity >= 1:
            builder.log = self.stdout.write  # one progress line per step

            def progress(total: int, desc: str):
                if self.stderr.isatty():  # a bar redrawn at most once a second
                    return tqdm(
                        total=total, desc=desc, unit="attempt", file=self.stderr, mininterval=1
                    )
                return LineProgress(total, desc, self.stderr.write)

            builder.progress = progress
        # With DEBUG on, Django keeps every query and, on SQLite, renders each one with an
        # extra query: about a third of the time of the attempt services, for a log nobody reads.
        with override_settings(DEBUG=False):
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
        for label, path in (
            ("Sign in", "/accounts/login/  (instructors land on their courses)"),
            ("Courses", "/courses/"),
            ("Evaluation queue", "/evaluations/"),
            ("Admin", "/admin/  (log in as admin / admin)"),
            ("API docs", "/api/docs/  (token: POST /api/v2.5/auth-token/)"),
            (
                "Assessments API",
                "/api/v1/assessments  (as learner: the General Studies Quiz is open to "
                "submissions, as often as you like)",
            ),
        ):
            self.stdout.write(f"  {label}: {SITE_URL}{path}")
        self.stdout.write(
            "  Serve it with `make demo` or `DEBUG=1 .venv/bin/python manage.py runserver`."
        )
