"""Up to a million finished demo attempts written straight into the tables.

:func:`bulk_attempts` writes finished attempts in chunked transactions. Who takes which exam
when is drawn attempt by attempt (:class:`_Picker`); the answers of a chunk's attempts at one
exam are drawn at once with numpy (:class:`_ExamDraws`: the learner model of
:mod:`lms.demo.simulation`, vectorised). Each distinct reply is marked once with the pure
``attempts.scoring.score_answer`` (:class:`_Catalog`) and each attempt totalled as
``summarise`` does: the functions the services call, so ``score_attempts`` on a bulk attempt
changes nothing. SQLite gets plain tuples by ``executemany``; PostgreSQL gets the attempts
and events by binary ``COPY`` and builds the answer and choice rows itself from a staged,
fixed-width copy of what varies per answer (:func:`_stage_answers`).

The set-based statements on the attempt tables that the builder and both writers need live here
too: :func:`analyze_attempts` after loading, :func:`vacuum_attempts` once the load is done,
:func:`delete_exam_attempts` when the exams change.
"""

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import numpy as np
from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce

from assessments.models import Exam
from attempts.models import Attempt, AttemptEvent, UserAnswer
from attempts.scoring import Outcome, Response, is_passed, percentage, score_answer, summarise
from attempts.services import refresh_rank_population
from attempts.tallies import exam_sums_rebuild, exams_sums_rebuild_locked
from lms.demo.plan import rng_for
from lms.demo.simulation import (
    BLANK,
    BULK_MARKER,
    CENT,
    DAY,
    EVALUATED_SHARE,
    HOUR,
    LAST_START,
    MIN_SECONDS,
    SKIP_SECONDS,
    SLOPE,
    WINDOW_SECONDS,
    WINDOW_START,
    ExamSim,
    Progress,
    QuestionSim,
    Reply,
    enrolled_through_the_window,
    essay_comment,
    learner_ability,
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


def _copy(cursor, model, columns: Sequence[str], rows: list[tuple]) -> None:
    """PostgreSQL: ``COPY ... FROM STDIN`` in binary, several times faster than
    ``executemany`` there, and three times faster than text COPY (nothing is formatted to
    text in Python or parsed back by the server)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    sql = f"COPY {table} ({', '.join(map(quote, columns))}) FROM STDIN (FORMAT BINARY)"
    types = _column_types(cursor, model._meta.db_table, columns)
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
    chunk_size: int = 20_000,
    log: Callable[[str], object] = lambda line: None,
) -> BulkResult:
    """Top the bulk attempts of ``exams`` up to ``target``, taken by ``users`` (a queryset).

    Each attempt is finished (completed, or pending evaluation when an essay is left for the
    instructor) and has one answer per exam question, as a submitted attempt has. Each chunk
    is one transaction (a savepoint of one for a large load on PostgreSQL: see
    :func:`_checks_at_the_end`); see :func:`_batches` for how its rows get their ids.
    Afterwards each exam's rank population is set (``refresh_rank_population``: one UPDATE
    of the rows that change), the stored sums rebuilt and, on PostgreSQL outside a
    transaction, the tables vacuumed (:func:`vacuum_attempts`; else analysed); ``log`` gets
    each phase's duration.
    """
    result = BulkResult(existing=bulk_attempt_count(e.exam for e in exams))
    todo = target - result.existing
    if todo <= 0:
        return result
    generator = _generator(seed, exams, users, existing=result.existing)
    clock = _Clock(log)
    with (
        progress(todo, "Bulk attempts") as bar,
        _large_page_cache(),
        _checks_at_the_end(big=large_load(todo), clock=clock) as whole,
    ):
        for batch in _batches(generator, todo, chunk_size, ahead=whole):
            # Every learner has used their attempts when a batch comes back short or empty.
            result.created += len(batch.attempts)
            result.answers += batch.answer_count
            result.choices += batch.choice_count
            bar.update(len(batch.attempts))
        clock.lap("Bulk attempts: rows generated and copied")
        # Statistics first: planned without them, the grouped joins of the sums ran several
        # times longer. In the load's one transaction (``whole``), the tables are locked and
        # their indexes not built yet: the rank flags and sums are cheapest written now.
        analyze_attempts()
        clock.lap("Bulk attempts: ANALYZE")
        if whole:
            for exam in exams:
                refresh_rank_population(exam=exam.exam)
            exams_sums_rebuild_locked([exam.exam.pk for exam in exams])
            clock.lap("Bulk attempts: rank population and stored sums")
    if not whole:
        for exam in exams:
            with transaction.atomic():
                refresh_rank_population(exam=exam.exam)
                exam_sums_rebuild(exam.exam)  # the stored sums, counted once after the COPY
        clock.lap("Bulk attempts: rank population and stored sums")
    result.short = todo - result.created
    # After the rank UPDATEs (a dead version of each flagged attempt) and the COPY (an empty
    # visibility map): until a VACUUM, index-only scans visit the table for every entry.
    if not vacuum_attempts():
        analyze_attempts(only=(Attempt,))  # the rank flags changed since (a small table)
    analyze_the_rest()
    clock.lap("Bulk attempts: VACUUM (ANALYZE)")
    return result


def _generator(seed: int, exams: Sequence[ExamSim], users, *, existing: int) -> "_BulkGenerator":
    """The generator of the bulk attempts that follow the ``existing`` ones."""
    pools = _bulk_pools(exams, users)
    ids = sorted({pk for pool in pools.values() for pk in pool})
    return _BulkGenerator(
        seed,
        _Picker(rng_for(seed, f"bulk/{existing}"), exams, pools, _bulk_history(exams)),
        dict(User.objects.filter(pk__in=ids).values_list("pk", "username")),
        first_marker=BULK_MARKER + existing,
    )


class _Clock:
    """Logs the seconds since the last lap, one line per phase."""

    def __init__(self, log: Callable[[str], object]):
        self.log, self.last = log, time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.log(f"{phase}: {now - self.last:.1f} s")
        self.last = now


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
def _checks_at_the_end(*, big: bool, clock: "_Clock"):
    """On PostgreSQL, for a large load (``big``): one transaction that drops the foreign keys
    of the bulk tables and their indexes that back no constraint, loads, then builds the
    indexes and adds the foreign keys again (each checked by one scan).

    Row by row, the deferred foreign keys ran about half a million trigger checks at each
    chunk's commit (3.5 s a chunk under load) and every index took each row as it came. The
    primary keys and unique constraints stay. The definitions are read from the catalog, so
    they are the migrations' own; and DDL is transactional there, so a load that fails
    leaves every constraint as it was. The tables are locked for the whole load.

    Yields whether it holds the load in one such transaction."""
    if not big or connection.vendor != "postgresql":
        yield False
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
        yield True
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        clock.lap(f"Bulk attempts: {len(indexes)} indexes built")
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        clock.lap(f"Bulk attempts: {len(foreign_keys)} foreign keys checked")


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


def analyze_attempts(only: Sequence = BULK_TABLES) -> None:
    """Refresh the planner's statistics of the attempt tables after loading attempts.

    Without statistics SQLite planned the rank refresh (then a correlated subquery per
    attempt) for a "best" exam on the (exam, score) index: quadratic over an exam, minutes for
    25,000 attempts. The refresh is one window query now; the statistics still pick the
    (user, exam, number) index for each submit's refresh.

    The selected choices (20M rows at 1M attempts) need theirs too: without them PostgreSQL
    hashes the whole table to find one page's picks (1.7 s for Thought Industries' first page).
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in only:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


def analyze_the_rest() -> int:
    """``ANALYZE`` every other table of the project on PostgreSQL (the learners, their
    enrolments and memberships were copied in by the thousands): without statistics, where
    autovacuum is off or has not come round yet, the planner took 234,513 enrolments for
    about 1,000 and sorted them all for the first iSpring page (540 ms). A second or two.
    The number of tables analysed (none on SQLite, whose planner reads no such statistics
    unless asked; ``analyze_attempts`` asks for the tables that need them)."""
    if connection.vendor != "postgresql":
        return 0
    quote = connection.ops.quote_name
    bulk = {model._meta.db_table for model in BULK_TABLES}
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
        - bulk
    )
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {quote(table)}")
    return len(tables)


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
    """The rows of one chunk, numbered from ``first_attempt`` and ``first_answer``.

    Attempts and events are tuples; the answers are columns (numpy arrays, in id order): the
    reply of each answer is an id of :class:`_Catalog`, which holds what every answer with
    that reply stores (text, number, result, marks, an essay's evaluation, chosen choices)."""

    first_attempt: int
    first_answer: int
    attempts: list[tuple] = field(default_factory=list)  # ATTEMPT_COLUMNS
    events: list[tuple] = field(default_factory=list)  # EVENT_COLUMNS
    answers: dict[str, np.ndarray] = field(default_factory=dict)  # STAGE_COLUMNS
    answer_count: int = 0
    choice_count: int = 0
    replies: int = 0  # the catalog's size once the batch was drawn: its replies are below


# The answer columns that vary from answer to answer (the rest comes from the catalog).
# guessed: 0 no, 1 yes, 2 not asked (NULL); created and evaluated: seconds after
# WINDOW_START (evaluated -1: not evaluated).
STAGE_COLUMNS = {
    "id": ">i8",
    "attempt_id": ">i8",
    "exam_question_id": ">i8",
    "reply": ">i4",
    "seconds": ">i4",
    "flagged": "u1",
    "guessed": ">i2",
    "created": ">i4",
    "evaluated": ">i4",
}
STAGE_TYPES = {">i8": "bigint", ">i4": "integer", ">i2": "smallint", "u1": "boolean"}
OUTCOMES = list(Outcome)  # an outcome's code in the arrays is its index here
RIGHT, PARTIAL, WRONG, OPTIONS = range(4)  # the pools of draw_answer


class _Catalog:
    """Every distinct stored answer: (exam question, reply, essay award) -> an id, with its
    marking by ``attempts.scoring.score_answer`` (once per entry, not per answer)."""

    def __init__(self):
        self.ids: dict[tuple, int] = {}
        self.rows: list[tuple] = []  # CATALOG_COLUMNS
        self.outcome: list[int] = []
        self.cents: list[int] = []
        self.choices: list[tuple[int, ...]] = []

    def id(self, q: QuestionSim, reply: Reply, award: Decimal | None, evaluator) -> int:
        key = (q.pk, reply, award)
        found = self.ids.get(key)
        if found is not None:
            return found
        chosen, text, number = reply
        score = score_answer(
            q.rule, Response(chosen=frozenset(chosen), text=text, number=number, awarded=award)
        )
        cents = score.marks * 100
        assert cents == int(cents), "answer marks are whole cents"
        found = self.ids[key] = len(self.rows)
        comment = "" if award is None else essay_comment(award, q.rule.marks)
        self.rows.append(
            (found, text, number, str(score.outcome), score.marks, award,
             None if award is None else evaluator, comment)
        )  # fmt: skip
        self.outcome.append(OUTCOMES.index(Outcome(score.outcome)))
        self.cents.append(int(cents))
        self.choices.append(chosen)
        return found

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.outcome), np.array(self.cents, dtype=np.int64)


CATALOG_COLUMNS = (
    "id",
    "text_response",
    "numeric_response",
    "result",
    "marks_awarded",
    "evaluated_marks",
    "evaluated_by_id",
    "evaluator_comment",
)


class _ExamDraws:
    """An exam's questions as arrays, for drawing many sittings at once (the model of
    ``simulation.draw_answer`` and ``fit_seconds``, vectorised)."""

    def __init__(self, sim: ExamSim, catalog: _Catalog):
        qs = sim.questions
        self.sim, self.catalog = sim, catalog
        self.evaluator = sim.evaluator.pk if sim.evaluator else None
        self.size = len(qs)
        self.pks = np.array([q.pk for q in qs], dtype=np.int64)
        self.level = np.array([q.level for q in qs])
        self.essay = np.array([q.is_essay for q in qs])
        self.options = np.array([bool(q.options) for q in qs])
        self.partial = np.array([bool(q.partial) for q in qs])
        self.low = np.array([q.seconds[0] for q in qs])
        self.span = np.array([q.seconds[1] - q.seconds[0] + 1 for q in qs])
        self.marks = np.array([float(q.rule.marks) for q in qs])
        # Per question: its replies (BLANK first), each pool as indexes into them (padded),
        # the pools' sizes, the plain catalog id of each reply, and which are weak essays.
        self.replies, width = [], 1
        for q in qs:
            replies = list(dict.fromkeys((BLANK, *q.right, *q.partial, *q.wrong, *q.options)))
            self.replies.append(replies)
            width = max(width, len(replies))
        self.pools = np.zeros((self.size, 4, width), dtype=np.int64)
        self.sizes = np.ones((self.size, 4), dtype=np.int64)
        self.plain = np.zeros((self.size, width), dtype=np.int64)
        self.weak = np.zeros((self.size, width), dtype=bool)
        for n, (q, replies) in enumerate(zip(qs, self.replies, strict=True)):
            index = {reply: i for i, reply in enumerate(replies)}
            for kind, pool in enumerate((q.right, q.partial, q.wrong, q.options)):
                if pool:
                    self.pools[n, kind, : len(pool)] = [index[r] for r in pool]
                    self.sizes[n, kind] = len(pool)
            for i, reply in enumerate(replies):
                self.plain[n, i] = catalog.id(q, reply, None, self.evaluator)
                self.weak[n, i] = reply in q.wrong
        marked = summarise(
            [(q.rule, score_answer(q.rule, Response())) for q in qs], sim.exam.pass_percentage
        )
        self.max_score = marked.max_score
        self.results: dict[int, tuple] = {}  # score in cents -> (score, percentage, passed)

    def result(self, cents: int) -> tuple[Decimal, Decimal, bool | None]:
        found = self.results.get(cents)
        if found is None:
            score = Decimal(cents).scaleb(-2)
            pct = percentage(score, self.max_score)
            found = self.results[cents] = (
                score,
                pct,
                is_passed(pct, self.sim.exam.pass_percentage),
            )
        return found

    def sit(self, rng: np.random.Generator, ability: np.ndarray):
        """``len(ability)`` sittings: (catalog ids, seconds, flagged, guessed codes,
        evaluated) per answer, rows of attempts by columns of questions."""
        n, size = len(ability), self.size
        a = ability[:, None]
        p = 1 / (1 + np.exp(-SLOPE * (a - self.level)))
        u = rng.random((9, n, size))
        skip = np.where(self.essay, u[0] < 0.1 + 0.25 * (1 - a), u[0] < 0.03 + 0.2 * (1 - p))
        guessed = self.options & (u[3] < 0.12 * (1 - p))
        kind = np.where(
            guessed,
            OPTIONS,
            np.where(u[4] < p, RIGHT, np.where(self.partial & (u[5] < 0.5), PARTIAL, WRONG)),
        )
        columns = np.arange(size)
        pick = (u[6] * self.sizes[columns, kind]).astype(np.int64)
        local = np.where(skip, 0, self.pools[columns, kind, pick])
        low, high = SKIP_SECONDS
        seconds = np.where(
            skip,
            low + (u[1] * (high - low + 1)).astype(np.int64),
            self.low + (u[7] * self.span).astype(np.int64),
        )
        flagged = np.where(skip, u[2] < 0.4, u[8] < 0.04 + 0.16 * (1 - p))
        codes = np.where(skip | ~self.options, 2, guessed.astype(np.int16)).astype(np.int16)
        budget = self.sim.budget
        if budget is not None:  # simulation.fit_seconds, row by row
            total = seconds.sum(axis=1)
            floor = MIN_SECONDS * size
            factor = max(budget - floor, 0) / np.maximum(total - floor, 1)
            squeezed = MIN_SECONDS + (
                np.maximum(seconds - MIN_SECONDS, 0) * factor[:, None]
            ).astype(np.int64)
            seconds = np.where((total > budget)[:, None], squeezed, seconds)
        replies = self.plain[columns, local]
        # Essays evaluated in place (simulation.essay_award): the better the learner and
        # the essay, the more half marks.
        evaluated = np.zeros((n, size), dtype=bool)
        if self.essay.any():
            evaluate = rng.random(n) < EVALUATED_SHARE
            evaluated = evaluate[:, None] & self.essay & ~skip
            quality = a + rng.normal(0, 0.12, (n, size))
            quality = np.clip(np.where(self.weak[columns, local], quality * 0.6, quality), 0, 1)
            halves = np.rint(self.marks * quality * 2).astype(np.int64)
            for row, col in zip(*np.nonzero(evaluated), strict=True):
                q = self.sim.questions[col]
                award = min(Decimal(int(halves[row, col])) / 2, q.rule.marks).quantize(CENT)
                reply = self.replies[col][local[row, col]]
                replies[row, col] = self.catalog.id(q, reply, award, self.evaluator)
        return replies, seconds, flagged, codes, evaluated


class _BulkGenerator:
    """Draws bulk attempts and turns them into rows (no database access: what it needs is read
    beforehand). Who takes which exam when is drawn attempt by attempt (:class:`_Picker`);
    the answers of a chunk's attempts at one exam are drawn at once with numpy."""

    def __init__(self, seed: int, picker: _Picker, usernames: dict[int, str], first_marker: int):
        self.seed, self.picker, self.rng = seed, picker, picker.rng
        self.draws = np.random.default_rng([seed, first_marker])
        self.usernames = usernames
        self.abilities: dict[int, float] = {}
        self.catalog = _Catalog()
        self.exams: dict[int, _ExamDraws] = {}
        self.next_marker = first_marker
        # SQLite stores naive UTC text (what Django's adapter writes); PostgreSQL timestamptz.
        self.aware = connection.features.supports_timezones
        self.start = WINDOW_START if self.aware else WINDOW_START.replace(tzinfo=None)
        self.native_uuid = connection.features.has_native_uuid_field  # else 32 hex digits
        # An event's empty details: binary COPY encodes a dict into jsonb; SQLite takes text.
        self.no_details = {} if connection.vendor == "postgresql" else "{}"

    def time(self, offset: int):
        when = self.start + timedelta(seconds=offset)
        return when if self.aware else str(when)

    def _ability(self, user_id: int) -> float:
        ability = self.abilities.get(user_id)
        if ability is None:
            ability = self.abilities[user_id] = learner_ability(self.seed, self.usernames[user_id])
        return ability

    def _exam(self, sim: ExamSim) -> _ExamDraws:
        found = self.exams.get(sim.exam.pk)
        if found is None:
            found = self.exams[sim.exam.pk] = _ExamDraws(sim, self.catalog)
        return found

    def batch(self, first_attempt: int, first_answer: int, size: int) -> _Batch:
        batch = _Batch(first_attempt, first_answer)
        picked = []
        for _ in range(size):
            chosen = self.picker.next()
            if chosen is None:
                break
            exam, user_id, number, start = chosen
            # The retake's earliest start counts from the longest this sitting can take.
            self.picker.finished(exam.exam.pk, user_id, number, start + _longest(exam))
            picked.append(chosen)
        if not picked:
            return batch
        sizes = np.array([len(e.questions) for e, *_ in picked], dtype=np.int64)
        bases = first_answer + np.concatenate(([0], np.cumsum(sizes)[:-1]))
        total = int(sizes.sum())
        columns = {
            name: np.empty(total, dtype=kind.lstrip(">")) for name, kind in STAGE_COLUMNS.items()
        }
        by_exam: dict[int, list[int]] = {}
        for row, (exam, *_) in enumerate(picked):
            by_exam.setdefault(exam.exam.pk, []).append(row)
        ends, results = [0] * len(picked), [None] * len(picked)
        for rows in by_exam.values():
            rows = np.array(rows)
            exam = self._exam(picked[rows[0]][0])
            ability = np.array([self._ability(picked[r][1]) for r in rows])
            starts = np.array([picked[r][3] for r in rows], dtype=np.int64)
            replies, seconds, flagged, codes, evaluated = exam.sit(self.draws, ability)
            created = starts[:, None] + np.cumsum(seconds, axis=1)
            end = created[:, -1]
            when = end + self.draws.integers(2 * HOUR, 5 * DAY + 1, len(rows))
            outcome_of, cents_of = self.catalog.arrays()
            outcomes = outcome_of[replies]
            cents = cents_of[replies].sum(axis=1)
            counts = np.stack([(outcomes == code).sum(axis=1) for code in range(len(OUTCOMES))])
            where = (bases[rows] - first_answer)[:, None] + np.arange(exam.size)
            columns["id"][where] = bases[rows][:, None] + np.arange(exam.size)
            columns["attempt_id"][where] = (first_attempt + rows)[:, None]
            columns["exam_question_id"][where] = exam.pks
            columns["reply"][where] = replies
            columns["seconds"][where] = seconds
            columns["flagged"][where] = flagged
            columns["guessed"][where] = codes
            columns["created"][where] = created
            columns["evaluated"][where] = np.where(evaluated, when[:, None], -1)
            for i, r in enumerate(rows.tolist()):
                ends[r] = int(end[i])
                results[r] = (exam, int(cents[i]), counts[:, i].tolist())
        batch.answers, batch.answer_count = columns, total
        chosen = self.catalog.choices
        batch.choice_count = int(np.array([len(c) for c in chosen])[columns["reply"]].sum())
        batch.replies = len(chosen)
        for row, ((sim, user_id, number, start), end, (exam, cents, counts)) in enumerate(
            zip(picked, ends, results, strict=True)
        ):
            self._attempt(batch, first_attempt + row, sim, user_id, number, start, end,
                          exam, cents, counts)  # fmt: skip
        return batch

    def _attempt(self, batch, attempt_id, sim, user_id, number, start, end, exam, cents, counts):
        correct, incorrect, partial, unanswered, pending = (
            counts[OUTCOMES.index(o)]
            for o in (Outcome.CORRECT, Outcome.INCORRECT, Outcome.PARTIAL, Outcome.UNANSWERED,
                      Outcome.PENDING)
        )  # fmt: skip
        score, pct, passed = exam.result(cents)
        state = int(Attempt.State.PENDING_EVALUATION if pending else Attempt.State.COMPLETED)
        key = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        duration = sim.exam.duration
        started, ended = self.time(start), self.time(end)
        batch.attempts.append(
            (
                attempt_id,
                key if self.native_uuid else key.hex,
                user_id,
                sim.exam.pk,
                number,
                state,
                started,  # started_at
                started,  # last_started_at
                ended,  # completed_at
                ended,  # last_answer_at
                self.time(start + int(duration.total_seconds())) if duration else None,
                self.next_marker,
                exam.size,  # total_questions
                correct,
                incorrect,
                partial,
                unanswered,
                pending,
                score,
                exam.max_score,
                pct,
                None if pending else passed,
                pct,  # original_percentage: as first finished
                False,  # counts_for_rank: set per exam afterwards (refresh_rank_population)
            )
        )
        # The outbox row of the import: from nothing to the stored result, by no one.
        batch.events.append((attempt_id, AttemptEvent.Kind.IMPORTED.value, None, state, None,
                             score, ended, None, self.no_details))  # fmt: skip
        self.next_marker += 1

    def answer_rows(self, batch: _Batch):
        """The answer rows and selected-choice rows of ``batch`` as tuples (ANSWER_COLUMNS,
        CHOICE_COLUMNS): what SQLite is given; PostgreSQL builds them itself from the
        staged columns and the catalog."""
        answers, choices = [], []
        rows, chosen = self.catalog.rows, self.catalog.choices
        c = {name: values.tolist() for name, values in batch.answers.items()}
        for i in range(batch.answer_count):
            _, text, number, result, marks, award, evaluator, comment = rows[c["reply"][i]]
            created = self.time(c["created"][i])
            evaluated = self.time(c["evaluated"][i]) if c["evaluated"][i] >= 0 else None
            guessed = None if c["guessed"][i] == 2 else bool(c["guessed"][i])
            answer_id = c["id"][i]
            answers.append(
                (answer_id, c["attempt_id"][i], c["exam_question_id"][i], text, number, result,
                 marks, c["seconds"][i], bool(c["flagged"][i]), guessed, award, evaluator,
                 evaluated, comment, created, evaluated or created)
            )  # fmt: skip
            choices.extend((answer_id, choice) for choice in chosen[c["reply"][i]])
        return answers, choices


def _longest(exam: ExamSim) -> int:
    """Seconds the longest sitting of ``exam`` may take (its budget when timed)."""
    if exam.budget is not None:
        return exam.budget
    return sum(max(q.seconds[1], SKIP_SECONDS[1]) for q in exam.questions)


def _batches(generator: "_BulkGenerator", todo: int, chunk_size: int, *, ahead: bool):
    """Generate and insert up to ``todo`` attempts in chunks of ``chunk_size``; yields each
    inserted batch (none once every learner has used their attempts).

    Each chunk's rows get explicit ids following the largest ones, read where no one else can
    insert (SQLite: the transaction holds the write lock; PostgreSQL: the tables are locked),
    which works the same on both and needs no RETURNING. Chunk by chunk, each chunk is its own
    transaction and reads the largest ids again.

    ``ahead`` (the large PostgreSQL load, one transaction holding the tables locked to the
    end): the ids are read once, the following chunks' ids follow from the previous chunk's
    rows, and a thread generates the next chunk while the server writes this one. Generating
    is Python and numpy, writing mostly the server's ``INSERT ... SELECT``: on two cores the
    two overlap. The generator is called with the same arguments in the same order as chunk
    by chunk, so the rows are the same."""
    if not ahead:
        done = 0
        while done < todo:
            with transaction.atomic(), connection.cursor() as cursor:
                first = _lock_and_read_first_ids(cursor)
                batch = generator.batch(*first, min(chunk_size, todo - done))
                if batch.attempts:
                    _write(cursor, generator, batch)
            if not batch.attempts:
                return
            done += len(batch.attempts)
            yield batch
        return
    with connection.cursor() as cursor, ThreadPoolExecutor(max_workers=1) as thread:
        first_attempt, first_answer = _lock_and_read_first_ids(cursor)
        done = 0
        upcoming = thread.submit(
            generator.batch, first_attempt, first_answer, min(chunk_size, todo)
        )
        while upcoming is not None:
            batch = upcoming.result()
            if not batch.attempts:
                return
            done += len(batch.attempts)
            first_attempt += len(batch.attempts)
            first_answer += batch.answer_count
            upcoming = None
            if done < todo:
                upcoming = thread.submit(
                    generator.batch, first_attempt, first_answer, min(chunk_size, todo - done)
                )
            _write(cursor, generator, batch)
            yield batch


def _lock_and_read_first_ids(cursor) -> list[int]:
    """The next attempt id and answer id; on PostgreSQL after locking both tables to the end
    of the transaction (and letting its commit not wait for the disk)."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        names = ", ".join(quote(model._meta.db_table) for model in (Attempt, UserAnswer))
        cursor.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
        # Demo data: a crash may lose the last chunks committed (the database stays
        # consistent and a re-run tops up), so the commit need not wait for the disk.
        cursor.execute("SET LOCAL synchronous_commit = off")
        # The answer and choice INSERTs sort a chunk's rows (hundreds of thousands) by id:
        # in memory, not in temporary files as with the default 4 MB.
        cursor.execute("SET LOCAL work_mem = '256MB'")
    first = []
    for model in (Attempt, UserAnswer):
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(model._meta.db_table)}")
        first.append(cursor.fetchone()[0] + 1)
    return first


def _write(cursor, generator: "_BulkGenerator", batch: _Batch) -> None:
    """Insert ``batch`` (its ids given); on PostgreSQL the identity sequences are then moved
    past the new ids."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        _copy(cursor, Attempt, ATTEMPT_COLUMNS, batch.attempts)
        _stage_answers(cursor, generator, batch)
        _copy(cursor, AttemptEvent, EVENT_COLUMNS, batch.events)
        for model in (Attempt, UserAnswer):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"(SELECT MAX(id) FROM {quote(table)}))",
                [table],
            )
        return
    answers, choices = generator.answer_rows(batch)
    for model, columns, rows in (
        (Attempt, ATTEMPT_COLUMNS, batch.attempts),
        (UserAnswer, ANSWER_COLUMNS, answers),
        (UserAnswer.selected_choices.through, CHOICE_COLUMNS, choices),
        (AttemptEvent, EVENT_COLUMNS, batch.events),
    ):
        cursor.executemany(_insert_sql(model, columns), rows)


def _stage_answers(cursor, generator: "_BulkGenerator", batch: _Batch) -> None:
    """PostgreSQL: the chunk's answers and selected choices, built by the server.

    Python sends only what varies per answer, as fixed-width binary COPY rows made by numpy
    into a temporary table, and the catalog of distinct replies (a few hundred rows); two
    ``INSERT ... SELECT`` then write the answer rows (joined to the catalog) and their chosen
    choices (``unnest`` of the catalog's). Formatting 17 million answer rows and 20 million
    choice rows one by one in Python took most of a large load."""
    quote = connection.ops.quote_name
    stage = ", ".join(f"{name} {STAGE_TYPES[kind]}" for name, kind in STAGE_COLUMNS.items())
    cursor.execute(f"CREATE TEMPORARY TABLE demo_answer_stage ({stage})")
    cursor.execute(
        "CREATE TEMPORARY TABLE demo_reply (id integer, text_response text, "
        "numeric_response numeric(18, 6), result varchar(12), marks_awarded numeric(7, 2), "
        "evaluated_marks numeric(7, 2), evaluated_by_id bigint, evaluator_comment text, "
        "choices bigint[])"
    )
    catalog = generator.catalog
    # The replies known when the batch was drawn (the thread may be adding the next ones).
    known = batch.replies
    with cursor.cursor.copy(
        f"COPY demo_reply ({', '.join(CATALOG_COLUMNS)}, choices) FROM STDIN"
    ) as copy:
        for row, chosen in zip(catalog.rows[:known], catalog.choices[:known], strict=True):
            copy.write_row((*row, list(chosen)))
    with cursor.cursor.copy("COPY demo_answer_stage FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_binary_rows(batch.answers, batch.answer_count))
    start = generator.start
    answers = quote(UserAnswer._meta.db_table)
    cursor.execute(
        f"INSERT INTO {answers} ({', '.join(map(quote, ANSWER_COLUMNS))}) "
        "SELECT s.id, s.attempt_id, s.exam_question_id, r.text_response, r.numeric_response, "
        "r.result, r.marks_awarded, s.seconds, s.flagged, "
        "CASE s.guessed WHEN 2 THEN NULL ELSE s.guessed = 1 END, r.evaluated_marks, "
        "r.evaluated_by_id, "
        "CASE WHEN s.evaluated >= 0 THEN %(start)s + make_interval(secs => s.evaluated) END, "
        "r.evaluator_comment, %(start)s + make_interval(secs => s.created), "
        "%(start)s + make_interval(secs => CASE WHEN s.evaluated >= 0 THEN s.evaluated "
        "ELSE s.created END) "
        "FROM demo_answer_stage s JOIN demo_reply r ON r.id = s.reply ORDER BY s.id",
        {"start": start},
    )
    through = UserAnswer.selected_choices.through
    cursor.execute(
        f"INSERT INTO {quote(through._meta.db_table)} ({', '.join(map(quote, CHOICE_COLUMNS))}) "
        "SELECT s.id, c.choice FROM demo_answer_stage s JOIN demo_reply r ON r.id = s.reply "
        "CROSS JOIN LATERAL unnest(r.choices) WITH ORDINALITY AS c (choice, n) "
        "ORDER BY s.id, c.n"
    )
    cursor.execute("DROP TABLE demo_answer_stage, demo_reply")


COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no header extension
COPY_TRAILER = b"\xff\xff"


def _binary_rows(columns: dict[str, np.ndarray], count: int) -> bytes:
    """The rows of ``columns`` (STAGE_COLUMNS) in PostgreSQL's binary COPY format, built
    column-wise: per row the field count, then per field its length and big-endian value."""
    fields = [("n", ">i2")]
    for name, kind in STAGE_COLUMNS.items():
        fields += [(f"{name}_length", ">i4"), (name, kind)]
    rows = np.empty(count, dtype=np.dtype(fields))
    rows["n"] = len(STAGE_COLUMNS)
    for name, kind in STAGE_COLUMNS.items():
        rows[f"{name}_length"] = np.dtype(kind).itemsize
        rows[name] = columns[name]
    return COPY_HEADER + rows.tobytes() + COPY_TRAILER


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
