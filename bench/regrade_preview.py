"""Benchmark: the regrade preview (``attempts.regrade_preview``) of one exam of N attempts.

    createdb -h 127.0.0.1 -U postgres lms_regrade
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_regrade DEBUG=1
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/regrade_preview.py --attempts 30000 --questions 30 --repeat 3

Builds once (found again by its title on a re-run) a course and an exam of ``--questions``
questions (single, multiple with partial marks, true/false, numeric and short text in turn;
4 marks, 1 negative), and ``--attempts`` learners with one finished attempt each, their
answers drawn at random (seeded) and their stored results scored by the pure scoring, as
submit would. Then it moves the key of the first question (what a regrade fixes) and times
the preview, ``--repeat`` times, printing the median (wall clock, and the CPU time of this
process: the rest is the database) and the queries it ran. The whole
preview is timed: loading the rules, attempts and answers, scoring, ranks and percentiles.
"""

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section  # noqa: E402
from attempts.marking import exam_rules  # noqa: E402
from attempts.models import Attempt, UserAnswer  # noqa: E402
from attempts.regrade_preview import regrade_preview  # noqa: E402
from attempts.scoring import Response, score_answer, summarise  # noqa: E402
from attempts.services import refresh_rank_population  # noqa: E402
from lms.models import Course, User  # noqa: E402

KINDS = ["single", "multiple", "true_false", "numeric", "short_text"]
D = Decimal


def build(attempts: int, questions: int, seed: int) -> Exam:
    title = f"Regrade bench {attempts}x{questions}"
    exam = Exam.objects.filter(title=title).first()
    if exam is not None:
        return exam
    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        course = Course.objects.create(title=title, slug=f"regrade-bench-{attempts}-{questions}")
        exam = Exam.objects.create(
            course=course, title=title, pass_percentage=D("50"), status="published"
        )
        section = Section.objects.create(exam=exam, title="All", order=0)
        for n in range(questions):
            kind = KINDS[n % len(KINDS)]
            question = Question.objects.create(
                type=kind,
                text_html=f"<p>Question {n}</p>",
                numeric_answer=D("9.81") if kind == "numeric" else None,
                numeric_tolerance=D("0.05"),
                accepted_answers=["Paris"] if kind == "short_text" else [],
            )
            count = {"single": 4, "multiple": 4, "true_false": 2}.get(kind, 0)
            correct = {"single": {0}, "multiple": {0, 1, 2}, "true_false": {0}}.get(kind, set())
            AnswerChoice.objects.bulk_create(
                AnswerChoice(question=question, text_html=f"{i}", is_correct=i in correct, order=i)
                for i in range(count)
            )
            ExamQuestion.objects.create(
                exam=exam,
                section=section,
                question=question,
                marks=D("4"),
                negative_marks=D("1"),
                partial_marks=D("1") if kind == "multiple" else None,
                order=n,
            )
        rules = exam_rules(exam.pk)
        choices = {
            eq.pk: list(
                AnswerChoice.objects.filter(question_id=eq.question_id).values_list("pk", flat=True)
            )
            for eq in ExamQuestion.objects.filter(exam=exam)
        }
        now = timezone.now()
        users = User.objects.bulk_create(
            [User(username=f"rb{exam.pk}-{n:06d}", password="!") for n in range(attempts)],
            batch_size=5000,
        )
        for start in range(0, attempts, 2000):
            batch = users[start : start + 2000]
            rows, given = [], []
            for user in batch:
                marked, answers = [], []
                for eq_id, rule in rules.items():
                    pool = choices[eq_id]
                    if rng.random() < 0.1:
                        response = Response()
                    elif pool:
                        picks = rng.sample(pool, rng.choice([1, 1, 2, 3]) if len(pool) > 2 else 1)
                        response = Response(chosen=frozenset(picks))
                    elif rule.kind == "numeric":
                        response = Response(number=rng.choice([D("9.81"), D("9.9"), D("10")]))
                    else:
                        response = Response(text=rng.choice(["Paris", "paris", "Lyon"]))
                    result = score_answer(rule, response)
                    marked.append((rule, result))
                    answers.append((eq_id, response, result))
                total = summarise(marked, exam.pass_percentage)
                rows.append(
                    Attempt(
                        user=user,
                        exam=exam,
                        state=Attempt.State.COMPLETED,
                        started_at=now,
                        completed_at=now,
                        total_questions=total.total,
                        correct_count=total.correct,
                        incorrect_count=total.incorrect,
                        partial_count=total.partial,
                        unanswered_count=total.unanswered,
                        pending_count=total.pending,
                        score=total.score,
                        max_score=total.max_score,
                        percentage=total.percentage,
                        passed=total.passed,
                    )
                )
                given.append(answers)
            Attempt.objects.bulk_create(rows)
            answer_rows, chosen = [], []
            for attempt, answers in zip(rows, given, strict=True):
                for eq_id, response, result in answers:
                    answer_rows.append(
                        UserAnswer(
                            attempt_id=attempt.pk,
                            exam_question_id=eq_id,
                            text_response=response.text,
                            numeric_response=response.number,
                            result=result.outcome,
                            marks_awarded=result.marks,
                        )
                    )
                    chosen.append(response.chosen)
            UserAnswer.objects.bulk_create(answer_rows, batch_size=5000)
            through = UserAnswer.selected_choices.through
            through.objects.bulk_create(
                [
                    through(useranswer_id=row.pk, answerchoice_id=pk)
                    for row, picks in zip(answer_rows, chosen, strict=True)
                    for pk in picks
                ],
                batch_size=5000,
            )
            print(f"  {start + len(batch)} attempts", file=sys.stderr)
        refresh_rank_population(exam=exam)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics for the planner, as after a load
            cursor.execute("ANALYZE attempts_attempt, attempts_useranswer")
            cursor.execute("ANALYZE attempts_useranswer_selected_choices")
    print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return exam


def move_first_key(exam: Exam) -> None:
    """Choice 1 of the first (single choice) question becomes its key, choice 0 not."""
    first = ExamQuestion.objects.filter(exam=exam).order_by("order").first()
    ids = list(AnswerChoice.objects.filter(question_id=first.question_id).order_by("order"))
    AnswerChoice.objects.filter(pk=ids[0].pk).update(is_correct=False)
    AnswerChoice.objects.filter(pk=ids[1].pk).update(is_correct=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attempts", type=int, default=30000)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    exam = build(args.attempts, args.questions, args.seed)
    move_first_key(exam)
    timings, cpu = [], []
    for _ in range(args.repeat):
        with CaptureQueriesContext(connection) as queries:
            started, used = time.perf_counter(), time.process_time()
            preview = regrade_preview(exam)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
    print(
        f"{connection.vendor}: preview of {preview.total} attempts × {args.questions} questions:"
        f" median {statistics.median(timings):.2f} s (min {min(timings):.2f}, max"
        f" {max(timings):.2f}) over {args.repeat}, of which {statistics.median(cpu):.2f} s CPU"
        f" in Python (load average {os.getloadavg()[0]:.1f}); {len(queries)} queries;"
        f" {preview.changed} results change, {preview.to_fail} pass → fail,"
        f" {preview.to_pass} fail → pass"
    )


if __name__ == "__main__":
    main()
