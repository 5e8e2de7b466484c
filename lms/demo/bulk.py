"""Tens of thousands of finished demo attempts written straight into the tables.

:func:`bulk_attempts` writes finished attempts (``executemany`` of plain tuples on SQLite,
``COPY`` on PostgreSQL, in chunked transactions; both about six times faster than
``bulk_create`` here), marking each answer with the pure ``attempts.scoring.score_answer`` and
totalling each attempt with ``summarise``: the functions the services call, so
``score_attempts`` on a bulk attempt changes nothing. The learners' answers come from the model
of :mod:`lms.demo.simulation`, as for the attempts played through the services.

The set-based statements on the attempt tables that the builder and both writers need live here
too: :func:`analyze_attempts` after loading, :func:`vacuum_attempts` once the load is done,
:func:`delete_exam_attempts` when the exams change.
"""

import uuid
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce

from assessments.models import Exam
from attempts.models import Attempt, AttemptEvent, UserAnswer
from attempts.scoring import AnswerScore, Response, score_answer, summarise
from attempts.services import refresh_rank_population
from attempts.tallies import exam_sums_rebuild
from lms.demo.plan import rng_for
from lms.demo.simulation import (
    BLANK,
    BULK_MARKER,
    DAY,
    EVALUATED_SHARE,
    HOUR,
    LAST_START,
    WINDOW_SECONDS,
    WINDOW_START,
    ExamSim,
    Progress,
    QuestionSim,
    Reply,
    enrolled_through_the_window,
    essay_award,
    essay_comment,
    learner_ability,
    sitting,
)
from lms.models import Enrollment, User


@dataclass
class BulkResult:
    existing: int = 0
    created: int = 0
    answers: int = 0
    choices: int = 0
    short: int = 0  # attempts that did not fit (every learner at its cap)


ATTEMPT_COLUMNS = (
    "id",
    "uuid",
    "user_id",
    "exam_id",
    "attempt_number",
    "state",
    "started_at",
    "last_started_at",
    "completed_at",
    "last_answer_at",
    "deadline_at",
    "institute_attempt_id",
    *Attempt.RESULT_FIELDS,
    "original_percentage",
    "counts_for_rank",
)
# One "imported" event per attempt; ids are the database's (nothing refers to them).
EVENT_COLUMNS = (
    "attempt_id",
    "kind",
    "state_before",
    "state_after",
    "score_before",
    "score_after",
    "at",
    "actor_id",
    "details",
)
ANSWER_COLUMNS = (
    "id",
    "attempt_id",
    "exam_question_id",
    "text_response",
    "numeric_response",
    "result",
    "marks_awarded",
    "time_spent_seconds",
    "is_flagged",
    "is_guessed",
    "evaluated_marks",
    "evaluated_by_id",
    "evaluated_at",
    "evaluator_comment",
    "created_at",
    "updated_at",
)
CHOICE_COLUMNS = ("useranswer_id", "answerchoice_id")


def _insert_sql(model, columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )


def _column_types(cursor, table: str, columns: Sequence[str]) -> list[int]:
    """The type oids of ``columns`` of ``table``, which binary COPY needs to encode values."""
    cursor.execute(
        "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
        [table],
    )
    types = dict(cursor.fetchall())
    return [types[column] for column in columns]


def _copy(cursor, model, columns: Sequence[str], rows: list[tuple], types: list[int]) -> None:
    """PostgreSQL: ``COPY ... FROM STDIN`` in binary, several times faster than
    ``executemany`` there, and three times faster than text COPY (nothing is formatted to
    text in Python or parsed back by the server)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    sql = f"COPY {table} ({', '.join(map(quote, columns))}) FROM STDIN (FORMAT BINARY)"
    with cursor.cursor.copy(sql) as copy:  # the psycopg cursor under Django's wrapper
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def bulk_attempt_count(exams: Iterable[Exam]) -> int:
    return Attempt.objects.filter(
        exam__in=list(exams), institute_attempt_id__gte=BULK_MARKER
    ).count()


class _Picker:
    """Draws (exam, learner, attempt number, start) for the next bulk attempt.

    Respects ``max_attempts``, starts each retake after the learner's previous attempt at the
    exam ended (the database's attempts included), and leaves alone the learners with an
    attempt running or not started at an exam (the player would resume that one).
    """

    def __init__(self, rng, exams, pools, history):
        self.rng = rng
        self.pools = pools  # exam id -> [user id], sorted by username
        self.history = history  # (exam id, user id) -> [attempts so far, earliest next start]
        self.live = [e for e in exams if pools[e.exam.pk]]

    def next(self) -> tuple[ExamSim, int, int, int] | None:
        rng = self.rng
        while self.live:
            exam = rng.choices(self.live, [e.weight for e in self.live])[0]
            pool = self.pools[exam.exam.pk]
            at = int(rng.random() * len(pool))
            user_id = pool[at]
            done, earliest = self.history.get((exam.exam.pk, user_id), (0, 0))
            if (exam.cap is not None and done >= exam.cap) or earliest > LAST_START:
                pool[at] = pool[-1]  # this learner is done with this exam
                pool.pop()
                if not pool:
                    self.live.remove(exam)
                continue
            if done == 0 and earliest == 0:
                start = rng.randint(0, LAST_START)
            else:  # a retake, typically a few days later
                start = min(earliest + int(rng.expovariate(1 / (5 * DAY))), LAST_START)
            return exam, user_id, done + 1, start
        return None

    def finished(self, exam_id: int, user_id: int, number: int, end: int) -> None:
        self.history[exam_id, user_id] = [number, end + DAY]


def bulk_attempts(
    *,
    seed: int,
    target: int,
    exams: Sequence[ExamSim],
    users,
    progress: Progress,
    chunk_size: int = 4000,
) -> BulkResult:
    """Top the bulk attempts of ``exams`` up to ``target``, taken by ``users`` (a queryset).

    Each attempt is finished (completed, or pending evaluation when an essay is left for the
    instructor) and has one answer per exam question, as a submitted attempt has. Each chunk
    is one transaction (a savepoint of one for a large load on PostgreSQL: see
    :func:`_checks_at_the_end`); see :func:`_insert` for how its rows get their ids.
    Afterwards the planner statistics are refreshed, each exam's rank population set (one
    UPDATE each) and, on PostgreSQL outside a transaction, the tables vacuumed
    (:func:`vacuum_attempts`).
    """
    result = BulkResult(existing=bulk_attempt_count(e.exam for e in exams))
    todo = target - result.existing
    if todo <= 0:
        return result
    pools = _bulk_pools(exams, users)
    ids = sorted({pk for pool in pools.values() for pk in pool})
    generator = _BulkGenerator(
        seed,
        _Picker(rng_for(seed, f"bulk/{result.existing}"), exams, pools, _bulk_history(exams)),
        dict(User.objects.filter(pk__in=ids).values_list("pk", "username")),
        first_marker=BULK_MARKER + result.existing,
    )
    with (
        progress(todo, "Bulk attempts") as bar,
        _large_page_cache(),
        _checks_at_the_end(big=large_load(todo)),
    ):
        while result.created < todo:
            with transaction.atomic():
                batch = _insert(generator, min(chunk_size, todo - result.created))
            if not batch.attempts:
                break  # every learner has used their attempts
            result.created += len(batch.attempts)
            result.answers += len(batch.answers)
            result.choices += len(batch.choices)
            bar.update(len(batch.attempts))
    result.short = todo - result.created
    analyze_attempts()
    for exam in exams:
        with transaction.atomic():
            refresh_rank_population(exam=exam.exam)
            exam_sums_rebuild(exam.exam)  # the stored sums, counted once after the COPY
    vacuum_attempts()  # after the rank UPDATEs: they leave a dead version of every attempt
    return result


# A load of at least this many attempts, and at least as many as the table holds, drops the
# attempt tables' foreign keys and secondary indexes and builds them again at the end.
REBUILD_FROM = 50_000


def large_load(todo: int) -> bool:
    """Is building the indexes and checks again after the load cheaper than keeping them
    through it? Only when the load at least doubles the table (they are built over every
    row, old ones too)."""
    return todo >= REBUILD_FROM and todo >= Attempt.objects.count()


# The tables the bulk writer fills.
BULK_TABLES = (Attempt, UserAnswer, UserAnswer.selected_choices.through, AttemptEvent)


@contextmanager
def _checks_at_the_end(*, big: bool):
    """On PostgreSQL, for a large load (``big``): one transaction that drops the foreign keys
    of the bulk tables and their indexes that back no constraint, loads, then builds the
    indexes and adds the foreign keys again (each checked by one scan).

    Row by row, the deferred foreign keys ran about half a million trigger checks at each
    chunk's commit (3.5 s a chunk under load) and every index took each row as it came. The
    primary keys and unique constraints stay. The definitions are read from the catalog, so
    they are the migrations' own; and DDL is transactional there, so a load that fails
    leaves every constraint as it was. The tables are locked for the whole load."""
    if not big or connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in BULK_TABLES]
    with transaction.atomic(), connection.cursor() as cursor:
        # Checks still deferred from earlier writes of an outer transaction (a test's) run
        # now: a table with pending trigger events cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
            "ORDER BY 1, 2",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint WHERE conindid = indexrelid) ORDER BY 1",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        yield
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


@contextmanager
def _large_page_cache():
    """On SQLite, a 256 MB page cache while inserting (the default is 2 MB): the answer table
    has six indexes to keep in memory; about 10 % faster at 100,000 attempts."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def analyze_attempts() -> None:
    """Refresh the planner's statistics of the attempt tables after loading attempts.

    Without statistics SQLite plans the correlated subquery of ``refresh_rank_population`` for a
    "best" exam on the (exam, score) index, scanning the exam's attempts once per attempt it
    updates (quadratic over an exam: minutes for 25,000 attempts; linear for each submit); with
    them it uses the (user, exam, number) index.

    The selected choices (20M rows at 1M attempts) need theirs too: without them PostgreSQL
    hashes the whole table to find one page's picks (1.7 s for Thought Industries' first page).
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (Attempt, UserAnswer, UserAnswer.selected_choices.through, AttemptEvent):
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


def vacuum_attempts() -> bool:
    """``VACUUM (ANALYZE)`` the attempt tables on PostgreSQL; False (nothing done) on SQLite or
    inside a transaction, where VACUUM cannot run.

    ``COPY`` and ``ANALYZE`` leave the visibility map empty, and the rank UPDATEs that follow
    a load rewrite every attempt of an exam (a dead version of each, and a second entry in
    every index). Until a VACUUM, an "index-only" scan visits the table for every index entry
    it passes: the ids of the Testpress API's ``page=2000`` (400,000 entries of
    ``attempt_started``) took 2 s at 1M attempts. Autovacuum does this eventually on a server
    that runs it (an insert-heavy table qualifies after 20 % new rows); the seed does it now.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in BULK_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {quote(model._meta.db_table)}")
    return True


def _bulk_pools(exams: Sequence[ExamSim], users) -> dict[int, list[int]]:
    active = (
        Enrollment.objects.filter(enrolled_through_the_window(), user__in=users)
        .order_by("user__username")
        .values_list("course_id", "user_id")
    )
    by_course: dict[int, list[int]] = {}
    for course_id, user_id in active:
        by_course.setdefault(course_id, []).append(user_id)
    return {e.exam.pk: list(by_course.get(e.exam.course_id, [])) for e in exams}


def _bulk_history(exams: Sequence[ExamSim]) -> dict[tuple[int, int], list[int]]:
    """(exam id, user id) -> [highest attempt number, earliest next start] from the database;
    learners with an unfinished attempt get a start past the window, which keeps them out."""
    rows = (
        Attempt.objects.filter(exam__in=[e.exam for e in exams])
        .values("exam_id", "user_id")
        .annotate(
            number=Max("attempt_number"),
            last=Max(Coalesce("completed_at", "started_at")),
            unfinished=Count(
                "pk", filter=Q(state__in=[Attempt.State.RUNNING, Attempt.State.NOT_STARTED])
            ),
        )
        .order_by()
    )
    history = {}
    for row in rows:
        end = int((row["last"] - WINDOW_START).total_seconds()) + DAY
        history[row["exam_id"], row["user_id"]] = [
            row["number"],
            WINDOW_SECONDS if row["unfinished"] else max(end, 1),
        ]
    return history


@dataclass
class _Batch:
    """The rows of one chunk, numbered from ``first_attempt`` and ``first_answer``."""

    first_attempt: int
    first_answer: int
    attempts: list[tuple] = field(default_factory=list)  # ATTEMPT_COLUMNS
    answers: list[tuple] = field(default_factory=list)  # ANSWER_COLUMNS
    choices: list[tuple] = field(default_factory=list)  # CHOICE_COLUMNS
    events: list[tuple] = field(default_factory=list)  # EVENT_COLUMNS


def _insert(generator: "_BulkGenerator", size: int) -> _Batch:
    """Generate a chunk and insert it inside the current transaction, with explicit ids.

    The ids follow the largest ones, read where no one else can insert until the transaction
    ends (SQLite: the transaction holds the write lock; PostgreSQL: the tables are locked),
    which works the same on both and needs no RETURNING. On PostgreSQL the identity sequences
    are then moved past the new ids.
    """
    postgres = connection.vendor == "postgresql"
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if postgres:
            names = ", ".join(quote(model._meta.db_table) for model in (Attempt, UserAnswer))
            cursor.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
            # Demo data: a crash may lose the last chunks committed (the database stays
            # consistent and a re-run tops up), so the commit need not wait for the disk.
            cursor.execute("SET LOCAL synchronous_commit = off")
        first = []
        for model in (Attempt, UserAnswer):
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(model._meta.db_table)}")
            first.append(cursor.fetchone()[0] + 1)
        batch = generator.batch(*first, size)
        for model, columns, rows in (
            (Attempt, ATTEMPT_COLUMNS, batch.attempts),
            (UserAnswer, ANSWER_COLUMNS, batch.answers),
            (UserAnswer.selected_choices.through, CHOICE_COLUMNS, batch.choices),
            (AttemptEvent, EVENT_COLUMNS, batch.events),
        ):
            if postgres:
                types = _column_types(cursor, model._meta.db_table, columns)
                _copy(cursor, model, columns, rows, types)
            else:
                cursor.executemany(_insert_sql(model, columns), rows)
        if postgres and batch.attempts:
            for model in (Attempt, UserAnswer):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f"(SELECT MAX(id) FROM {quote(table)}))",
                    [table],
                )
    return batch


class _BulkGenerator:
    """Draws bulk attempts and turns them into rows (no database access: what it needs is read
    beforehand)."""

    def __init__(self, seed: int, picker: _Picker, usernames: dict[int, str], first_marker: int):
        self.seed, self.picker, self.rng = seed, picker, picker.rng
        self.usernames = usernames
        self.abilities: dict[int, float] = {}
        self.marks: dict[tuple, tuple[AnswerScore, str, Decimal]] = {}  # memo of score_answer
        self.next_marker = first_marker
        # SQLite stores naive UTC text (what Django's adapter writes); PostgreSQL timestamptz.
        self.aware = connection.features.supports_timezones
        self.start = WINDOW_START if self.aware else WINDOW_START.replace(tzinfo=None)
        self.native_uuid = connection.features.has_native_uuid_field  # else 32 hex digits
        # An event's empty details: binary COPY encodes a dict into jsonb; SQLite takes text.
        self.no_details = {} if connection.vendor == "postgresql" else "{}"

    def batch(self, first_attempt: int, first_answer: int, size: int) -> _Batch:
        batch = _Batch(first_attempt, first_answer)
        attempt_id, answer_id = first_attempt, first_answer
        for _ in range(size):
            picked = self.picker.next()
            if picked is None:
                break
            answer_id = self._attempt(picked, attempt_id, answer_id, batch)
            attempt_id += 1
        return batch

    def _time(self, offset: int):
        when = self.start + timedelta(seconds=offset)
        return when if self.aware else str(when)

    def _ability(self, user_id: int) -> float:
        ability = self.abilities.get(user_id)
        if ability is None:
            ability = self.abilities[user_id] = learner_ability(self.seed, self.usernames[user_id])
        return ability

    def _mark(self, q: QuestionSim, reply: Reply, awarded: Decimal | None):
        key = (q.pk, reply, awarded)
        marked = self.marks.get(key)
        if marked is None:
            chosen, text, number = reply
            score = score_answer(
                q.rule,
                Response(chosen=frozenset(chosen), text=text, number=number, awarded=awarded),
            )
            marked = self.marks[key] = (score, str(score.outcome), score.marks)
        return marked

    def _attempt(self, picked, attempt_id: int, answer_id: int, batch: _Batch) -> int:
        exam, user_id, attempt_number, start = picked
        rng, at = self.rng, self._time
        ability = self._ability(user_id)
        evaluate = exam.has_essays and rng.random() < EVALUATED_SHARE
        sat = sitting(rng, exam, ability)
        end = start + sum(s for _, _, s, _, _ in sat)
        evaluated_when = at(end + rng.randint(2 * HOUR, 5 * DAY))
        evaluator = exam.evaluator.pk if exam.evaluator else None
        answers, choices, marked, now = batch.answers, batch.choices, [], start
        for q, reply, seconds, flagged, guessed in sat:
            now += seconds
            when = at(now)
            award = evaluator_id = evaluated_at = None
            comment = ""
            if evaluate and q.is_essay and reply is not BLANK:
                award = essay_award(rng, q, ability, reply)
                evaluator_id, evaluated_at = evaluator, evaluated_when
                comment = essay_comment(award, q.rule.marks)
            score, outcome, marks = self._mark(q, reply, award)
            marked.append((q.rule, score))
            chosen, text, number = reply
            answers.append(
                (
                    answer_id,
                    attempt_id,
                    q.pk,
                    text,
                    number,
                    outcome,
                    marks,
                    seconds,
                    flagged,
                    guessed,
                    award,
                    evaluator_id,
                    evaluated_at,
                    comment,
                    when,  # created_at
                    evaluated_at or when,  # updated_at
                )
            )
            choices.extend((answer_id, choice) for choice in chosen)
            answer_id += 1
        total = summarise(marked, exam.exam.pass_percentage)
        state = int(Attempt.State.PENDING_EVALUATION if total.pending else Attempt.State.COMPLETED)
        key = uuid.UUID(int=rng.getrandbits(128), version=4)
        duration = exam.exam.duration
        started = at(start)
        batch.attempts.append(
            (
                attempt_id,
                key if self.native_uuid else key.hex,
                user_id,
                exam.exam.pk,
                attempt_number,
                state,
                started,  # started_at
                started,  # last_started_at
                at(end),  # completed_at
                at(end),  # last_answer_at
                at(start + int(duration.total_seconds())) if duration else None,
                self.next_marker,
                total.total,
                total.correct,
                total.incorrect,
                total.partial,
                total.unanswered,
                total.pending,
                total.score,
                total.max_score,
                total.percentage,
                None if total.pending else total.passed,
                total.percentage,  # original_percentage: as first finished
                False,  # counts_for_rank: set per exam by refresh_rank_population afterwards
            )
        )
        # The outbox row of the import: from nothing to the stored result, by no one.
        batch.events.append((attempt_id, AttemptEvent.Kind.IMPORTED.value, None, state, None,
                             total.score, at(end), None, self.no_details))  # fmt: skip
        self.next_marker += 1
        self.picker.finished(exam.exam.pk, user_id, attempt_number, end)
        return answer_id


def delete_exam_attempts(exams: Iterable[Exam]) -> int:
    """Delete every attempt of ``exams`` with its answers and events: set-based DELETEs (the
    ORM's cascade would load each answer to delete its selected choices)."""
    ids = [exam.pk for exam in exams]
    doomed = Attempt.objects.filter(exam_id__in=ids)
    count = doomed.count()
    if not count:
        return 0
    quote = connection.ops.quote_name
    attempts, answers = quote(Attempt._meta.db_table), quote(UserAnswer._meta.db_table)
    events = quote(AttemptEvent._meta.db_table)
    through = quote(UserAnswer.selected_choices.through._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    in_exams = f"SELECT id FROM {attempts} WHERE exam_id IN ({marks})"
    in_answers = f"SELECT id FROM {answers} WHERE attempt_id IN ({in_exams})"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {through} WHERE useranswer_id IN ({in_answers})", ids)
        cursor.execute(f"DELETE FROM {answers} WHERE attempt_id IN ({in_exams})", ids)
        cursor.execute(f"DELETE FROM {events} WHERE attempt_id IN ({in_exams})", ids)
        cursor.execute(f"DELETE FROM {attempts} WHERE exam_id IN ({marks})", ids)
    return count
