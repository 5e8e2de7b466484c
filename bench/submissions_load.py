"""Submissions posted over HTTP by concurrent clients to a running server: submissions/s,
p50/p95 latency.

Usage (against a server you started on the same database, e.g. ``make serve`` with
``DATABASE_URL`` set; the loopback only):

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_submissions \\
        .venv/bin/python bench/submissions_load.py --url http://127.0.0.1:8000 \\
        --clients 8 --submissions 400 --questions 20

Setup writes its own small data through the ORM (so it needs the server's ``DATABASE_URL``,
and ``DEBUG=1`` or the server's secrets for the settings to load):
a course "bench-submissions", an open assessment of ``--questions`` questions of every
machine-marked kind with unlimited attempts, and one enrolled learner per client. Then
each client signs in (``POST /api/v2.5/auth-token/``) and posts whole answer sheets to
``POST /api/v1/assessments/<id>/submissions`` in turn, until ``--submissions`` are sent or
``--seconds`` pass. Every answer sheet answers every question; a status other than 201
is counted and reported.

Measured on PostgreSQL 15, gunicorn 2 workers × 4 threads, 8 clients, on 2 cores shared with
other work (load average about 9): 17 to 30 submissions/s, p50 250 to 440 ms, p95 500 to
800 ms, the same at 20 and at 100 questions a sheet (a submission's queries do not grow with
its answers).
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PASSWORD = "bench-learner-pass"


def setup(questions: int, clients: int) -> tuple[str, dict, list[str]]:
    """The bench's course, assessment and learners (idempotent); returns the assessment id,
    its answer sheet and the learners' usernames."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section
    from attempts.api.submissions import public_ids as ids
    from lms.models import Course, Enrollment, User

    course, _ = Course.objects.get_or_create(
        slug="bench-submissions", defaults={"title": "Bench: submissions"}
    )
    title = f"Bench quiz of {questions} questions"
    exam = Exam.objects.filter(course=course, title=title).first()
    if exam is None:
        exam = Exam.objects.create(
            course=course,
            title=title,
            status=Exam.Status.PUBLISHED,
            pass_percentage=Decimal("50"),
            max_attempts=None,
        )
        section = Section.objects.create(exam=exam, title="All")
        kinds = [Question.Type.SINGLE, Question.Type.MULTIPLE, Question.Type.NUMERIC]
        for n in range(questions):
            kind = kinds[n % len(kinds)]
            question = Question.objects.create(
                type=kind,
                text_html=f"<p>Bench question {n}</p>",
                numeric_answer=Decimal("2") if kind == Question.Type.NUMERIC else None,
            )
            if kind != Question.Type.NUMERIC:
                AnswerChoice.objects.bulk_create(
                    AnswerChoice(question=question, text_html=f"{i}", is_correct=i < 2, order=i)
                    for i in range(4)
                )
            ExamQuestion.objects.create(
                exam=exam, section=section, question=question, marks=Decimal("4"), order=n
            )
    sheet = []
    for placement in exam.exam_questions.select_related("question").order_by("order"):
        question = placement.question
        answer = {"question_id": ids.of_uuid(ids.QUESTION, question.uuid)}
        if question.type == Question.Type.NUMERIC:
            answer["number"] = "2"
        else:
            first = question.choices.order_by("order").first()
            answer["choice_ids"] = [ids.of_pk(ids.CHOICE, first.pk)]
        sheet.append(answer)
    usernames = [f"bench-learner-{n}" for n in range(clients)]
    hashed = make_password(PASSWORD)  # one hash for all: hundreds of learners in a second
    User.objects.bulk_create(
        [User(username=name, password=hashed) for name in usernames], ignore_conflicts=True
    )
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                user=user,
                course=course,
                enrolled_at=timezone.now(),
                status=Enrollment.Status.ACTIVE,
            )
            for user in User.objects.filter(username__in=usernames)
        ],
        ignore_conflicts=True,
    )
    return ids.of_uuid(ids.ASSESSMENT, exam.uuid), {"answers": sheet}, usernames


def token(base: str, username: str) -> str:
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    request = urllib.request.Request(
        f"{base}/api/v2.5/auth-token/", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["token"]


def timed_post(url: str, header: str, body: bytes) -> tuple[int, float]:
    started = time.perf_counter()
    request = urllib.request.Request(
        url, body, {"Authorization": header, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--submissions", type=int, default=400)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    base = args.url.rstrip("/")
    if urlsplit(base).hostname not in LOOPBACK:
        sys.exit("Load tests run against this machine only (127.0.0.1, localhost).")

    assessment, sheet, usernames = setup(args.questions, args.clients)
    headers = [f"Bearer {token(base, username)}" for username in usernames]
    url = f"{base}/api/v1/assessments/{assessment}/submissions"
    body = json.dumps(sheet).encode()
    deadline = time.monotonic() + args.seconds

    mine = threading.local()
    free = iter(headers)
    lock = threading.Lock()

    def one(_):
        if time.monotonic() > deadline:
            return None
        # Each client (thread) posts as its own learner: no two wait on one enrolment lock.
        if not hasattr(mine, "header"):
            with lock:
                mine.header = next(free)
        return timed_post(url, mine.header, body)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        results = [r for r in pool.map(one, range(args.submissions)) if r is not None]
    wall = time.perf_counter() - started
    timings = sorted(ms for _, ms in results)
    statuses = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    created = statuses.get(201, 0)
    print(
        f"{len(results)} submissions of {args.questions} answers, {args.clients} clients, "
        f"{wall:.1f} s wall, {created / wall:.1f} submissions/s (201s); statuses {statuses}; "
        f"p50 {statistics.median(timings):.0f} ms, "
        f"p95 {timings[int(len(timings) * 0.95) - 1]:.0f} ms, max {timings[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
