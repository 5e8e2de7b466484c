"""Stored per-exam and per-question sums ("tallies"), kept in the same transaction as every
change of an attempt's state, score, answer marks or ``counts_for_rank``.

Three histograms (``attempts.models``: ``ExamTally``, ``QuestionTally``, ``ChoiceTally``), each
in two populations (``Population.ALL`` and ``Population.RANKED``), hold what the exam summary,
the courses page and the item analysis used to aggregate from every attempt and answer row on
each request. Their cells are few (distinct scores × distinct marks, not attempts), so the
read side stays fast at any number of attempts; see ``attempts.statistics.exam`` and
``attempts.statistics.item_inputs`` for what is computed from them.

**A move** (:func:`moving`): the services of ``attempts.services`` wrap each change in
``with moving(Q(...)):``, a scope of attempts (e.g. one learner's attempts at one exam, so a
change of ``counts_for_rank`` on a learner's other attempt is inside it too). On entry the
scope's attempt rows are locked (``SELECT ... FOR UPDATE`` in id order) and their contribution
to the tallies read; on exit (still inside the service's transaction) their contribution is
read again and the difference written as one upsert per table::

    INSERT INTO attempts_examtally (...) VALUES (...), (...)      -- cells sorted by key
    ON CONFLICT (exam_id, population, state, score, percentage)
    DO UPDATE SET n = attempts_examtally.n + EXCLUDED.n, passed = ... + EXCLUDED.passed

Why no increment is lost: the statement adds to the row as the database holds it when the
row is locked, not to a value read before (PostgreSQL re-evaluates ``n + EXCLUDED.n`` on the
latest committed version after waiting for a concurrent writer of the same cell; an insert
racing another insert of the same new cell waits on the unique index, then takes the update
path; SQLite has one writer at a time). The deltas are computed before any tally row is
locked, and cells are written in key order, table after table, as the last statements of the
transaction: the hot cells of an exam (its running count, say) are held only from the upsert
to the commit, and two movers lock cells in the same order, so they never deadlock on them.
Because the scope's attempt rows are locked before the "before" read, two concurrent changes
of the same attempt cannot both count the same transition.

A move nested in another (``attempt_start`` submitting an overdue attempt) does nothing: the
outer one, whose scope must cover it, counts both.

**Whole-exam changes** (a rescore's or undo's rank refresh over every learner, the bulk seed,
``verify_exam_sums --fix``) call :func:`exam_sums_rebuild`: delete the exam's cells and insert
them afresh from grouped queries (on PostgreSQL after locking the exam's attempt rows, then
the exam row, which keeps concurrent movers of that exam out until the commit).

:func:`exam_sums_recompute` is the full recomputation the stored cells must equal
(:func:`exam_sums_differences`; the tests and ``manage.py verify_exam_sums``).
"""

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When

from assessments.models import Exam
from attempts.models import (
    Attempt,
    ChoiceTally,
    ExamTally,
    Population,
    QuestionTally,
    UserAnswer,
)

ALL, RANKED = Population.ALL, Population.RANKED
COMPLETED = Attempt.State.COMPLETED
ZERO = Decimal("0.00")
WIDE_MARKS = DecimalField(max_digits=20, decimal_places=2)
# Rows per INSERT: 7 parameters each keeps a statement far below SQLite's 32,766 variables.
BATCH = 1000


@dataclass
class Sums:
    """Tally cells: ``exams`` {(exam, population, state, score, percentage): [n, passed]},
    ``questions`` {(exam, population, exam question, result, x, X): [n]}, ``choices``
    {(exam, population, choice, X): [n, marks]}."""

    exams: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    questions: dict = field(default_factory=lambda: defaultdict(lambda: [0]))
    choices: dict = field(default_factory=lambda: defaultdict(lambda: [0, ZERO]))

    def tables(self):
        return (
            (ExamTally, self.exams),
            (QuestionTally, self.questions),
            (ChoiceTally, self.choices),
        )

    def minus(self, other: "Sums") -> "Sums":
        """Cell by cell ``self - other``, without the cells that end at zero."""
        delta = Sums()
        for (_, mine), (_, theirs), (_, out) in zip(
            self.tables(), other.tables(), delta.tables(), strict=True
        ):
            for key in mine.keys() | theirs.keys():
                a, b = mine.get(key), theirs.get(key)
                values = [x - y for x, y in zip(a or [0] * len(b), b or [0] * len(a), strict=True)]
                if any(values):
                    out[key] = values
        return delta

    def nonzero(self) -> dict:
        """Every table's cells with a value, as plain dicts (for comparing)."""
        return {
            model.__name__: {
                _normal(key): tuple(values) for key, values in cells.items() if any(values)
            }
            for model, cells in self.tables()
        }


def _normal(key: tuple) -> tuple:
    """A key with its Decimals at 2 places (SQLite may hand back "16" for "16.00")."""
    return tuple(v.quantize(ZERO) if isinstance(v, Decimal) else v for v in key)


def _populations(ranked: bool) -> tuple[int, ...]:
    return (ALL, RANKED) if ranked else (ALL,)


# --------------------------------------------------------------------------- contributions

ATTEMPT_FIELDS = ("pk", "exam_id", "state", "score", "percentage", "passed", "counts_for_rank")


def _add_attempt_rows(sums: Sums, rows) -> None:
    """ExamTally cells of attempt rows (``ATTEMPT_FIELDS``)."""
    for _, exam_id, state, score, pct, passed, ranked in rows:
        done = state == COMPLETED
        key = (score, pct) if done else (ZERO, ZERO)
        for population in _populations(done and ranked):
            cell = sums.exams[(exam_id, population, state, *key)]
            cell[0] += 1
            cell[1] += 1 if done and passed else 0


def _add_answers(sums: Sums, attempts: Q, *, few: bool = False) -> None:
    """QuestionTally and ChoiceTally cells of the completed attempts matching ``attempts`` (a
    filter on UserAnswer's attempt): two grouped queries.

    ``few`` (a move's handful of attempts): the picks are found through the answers' ids
    (``useranswer_id IN (SELECT ...)``), which PostgreSQL reads by index even without
    statistics; joined and filtered on the answer instead, a copy of the 1M database not
    yet analysed planned a scan of its 18M picks (2 s per submit)."""
    answers = UserAnswer.objects.filter(attempts, attempt__state=COMPLETED).order_by()
    grouped = answers.values_list(
        "attempt__exam_id",
        "exam_question_id",
        "result",
        "marks_awarded",
        "attempt__score",
        "attempt__counts_for_rank",
    ).annotate(n=Count("pk"))
    for exam_id, eq_id, result, x, total, ranked, n in grouped:
        for population in _populations(ranked):
            sums.questions[(exam_id, population, eq_id, result, x, total)][0] += n
    through = UserAnswer.selected_choices.through
    if few:
        picks = through.objects.filter(useranswer__in=answers.values("pk"))
    else:
        picks = through.objects.filter(
            _prefixed(attempts, "useranswer__"), useranswer__attempt__state=COMPLETED
        )
    grouped = (
        picks.order_by()
        .values_list(
            "useranswer__attempt__exam_id",
            "answerchoice_id",
            "useranswer__attempt__score",
            "useranswer__attempt__counts_for_rank",
        )
        .annotate(n=Count("pk"), marks=Sum("useranswer__marks_awarded", output_field=WIDE_MARKS))
    )
    for exam_id, choice_id, total, ranked, n, marks in grouped:
        for population in _populations(ranked):
            cell = sums.choices[(exam_id, population, choice_id, total)]
            cell[0] += n
            cell[1] += marks or ZERO


def _prefixed(q: Q, prefix: str) -> Q:
    """``q`` (a filter on UserAnswer) as a filter on a model reaching UserAnswer by
    ``prefix``."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(_prefixed(child, prefix))
        else:
            name, value = child
            out.children.append((prefix + name, value))
    return out


def scope_sums(rows: list) -> Sums:
    """The contribution of the attempts ``rows`` (``ATTEMPT_FIELDS``): their ExamTally cells
    from the rows themselves, their answers' cells from two grouped queries (none when no
    row is completed)."""
    sums = Sums()
    _add_attempt_rows(sums, rows)
    done = [row[0] for row in rows if row[2] == COMPLETED]
    if done:
        _add_answers(sums, Q(attempt_id__in=done), few=True)
    return sums


def exam_sums_recompute(exam_ids: Iterable[int]) -> Sums:
    """The tallies of the given exams recomputed from every attempt and answer: three
    grouped queries, whatever the number of attempts."""
    exam_ids = list(exam_ids)
    sums = Sums()
    done = Q(state=COMPLETED)
    key_score = Case(When(done, then=F("score")), default=Value(ZERO))
    key_pct = Case(When(done, then=F("percentage")), default=Value(ZERO))
    rows = (
        Attempt.objects.filter(exam_id__in=exam_ids)
        .order_by()
        .annotate(
            key_score=key_score,
            key_pct=key_pct,
            ranked=Case(
                When(done & Q(counts_for_rank=True), then=Value(True)), default=Value(False)
            ),
        )
        .values_list("exam_id", "state", "key_score", "key_pct", "ranked")
        .annotate(n=Count("pk"), passed=Count("pk", filter=done & Q(passed=True)))
    )
    for exam_id, state, score, pct, ranked, n, passed in rows:
        for population in _populations(ranked):
            cell = sums.exams[(exam_id, population, state, _dec(score), _dec(pct))]
            cell[0] += n
            cell[1] += passed
    _add_answers(sums, Q(attempt__exam_id__in=exam_ids))
    return sums


def _dec(value) -> Decimal:
    """A CASE over a decimal column: PostgreSQL hands a Decimal back, SQLite may a float."""
    return Decimal(str(value)).quantize(ZERO) if not isinstance(value, Decimal) else value


def exam_sums_stored(exam_ids: Iterable[int]) -> Sums:
    """The stored cells of the given exams (zero cells left out): three queries."""
    exam_ids = list(exam_ids)
    sums = Sums()
    for e, p, s, score, pct, n, passed in ExamTally.objects.filter(
        exam_id__in=exam_ids
    ).values_list("exam_id", "population", "state", "score", "percentage", "n", "passed"):
        sums.exams[(e, p, s, score, pct)] = [n, passed]
    for e, p, q, r, x, t, n in QuestionTally.objects.filter(exam_id__in=exam_ids).values_list(
        "exam_id", "population", "exam_question_id", "result", "x", "total", "n"
    ):
        sums.questions[(e, p, q, r, x, t)] = [n]
    for e, p, c, t, n, marks in ChoiceTally.objects.filter(exam_id__in=exam_ids).values_list(
        "exam_id", "population", "choice_id", "total", "n", "marks"
    ):
        sums.choices[(e, p, c, t)] = [n, marks]
    return sums


def exam_sums_differences(exam_ids: Iterable[int]) -> dict:
    """``{table: {cell key: (stored, recomputed)}}`` where the stored tallies of the exams
    differ from a full recomputation (empty when they agree)."""
    exam_ids = list(exam_ids)
    stored = exam_sums_stored(exam_ids).nonzero()
    fresh = exam_sums_recompute(exam_ids).nonzero()
    differences = {}
    for table, cells in stored.items():
        other = fresh[table]
        wrong = {
            key: (cells.get(key), other.get(key))
            for key in cells.keys() | other.keys()
            if cells.get(key) != other.get(key)
        }
        if wrong:
            differences[table] = wrong
    return differences


# ------------------------------------------------------------------------------- writing

KEYS = {
    ExamTally: (("exam_id", "population", "state", "score", "percentage"), ("n", "passed")),
    QuestionTally: (
        ("exam_id", "population", "exam_question_id", "result", "x", "total"),
        ("n",),
    ),
    ChoiceTally: (("exam_id", "population", "choice_id", "total"), ("n", "marks")),
}


def _sort_key(item):
    return tuple(str(v) if isinstance(v, str) else v for v in item[0])


def apply(delta: Sums) -> None:
    """Add ``delta`` to the stored cells: one upsert per table with cells to move (more only
    beyond ``BATCH`` cells), in key order (see the module docstring)."""
    with connection.cursor() as cursor:
        for model, cells in delta.tables():
            if not cells:
                continue
            keys, values = KEYS[model]
            table = model._meta.db_table
            columns = ", ".join((*keys, *values))
            updates = ", ".join(f"{v} = {table}.{v} + EXCLUDED.{v}" for v in values)
            rows = sorted(cells.items(), key=_sort_key)
            for start in range(0, len(rows), BATCH):
                batch = rows[start : start + BATCH]
                row = "(" + ", ".join(["%s"] * (len(keys) + len(values))) + ")"
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(batch))} "
                    f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
                    [v for key, sums in batch for v in (*key, *sums)],
                )


_active = threading.local()


@contextmanager
def moving(scope: Q, *, were_running: Iterable[int] = ()) -> Iterator[None]:
    """Keep the tallies of the attempts matching ``scope`` (a filter on Attempt) through the
    change made inside the block (see the module docstring). Must run inside the
    transaction of that change; a nested move does nothing (the outer one counts).

    ``were_running``: attempts the caller has already moved out of RUNNING with a
    conditional UPDATE (which locked them, so no one else moved them): they count as running
    before, as they were; a submit that finds nothing to do then pays no move at all."""
    if getattr(_active, "depth", 0):
        _active.depth += 1
        try:
            yield
        finally:
            _active.depth -= 1
        return
    assert connection.in_atomic_block, "a move of the tallies runs inside the change's transaction"
    locked = list(
        Attempt.objects.select_for_update()
        .filter(scope)
        .order_by("pk")
        .values_list(*ATTEMPT_FIELDS)
    )
    running = set(were_running)
    if running:
        locked = [
            (pk, exam_id, Attempt.State.RUNNING, ZERO, ZERO, None, False)
            if pk in running
            else (pk, exam_id, *rest)
            for pk, exam_id, *rest in locked
        ]
    before = scope_sums(locked)
    _active.depth = 1
    try:
        yield
    finally:
        _active.depth = 0
    rows = list(Attempt.objects.filter(scope).order_by("pk").values_list(*ATTEMPT_FIELDS))
    apply(scope_sums(rows).minus(before))


def learners_at(exam_id: int, user_ids: Iterable[int]) -> Q:
    """The scope of a change to some learners' attempts at one exam (their rank flags
    included)."""
    return Q(exam_id=exam_id, user_id__in=sorted(set(user_ids)))


def exam_sums_rebuild(exam: Exam | int) -> None:
    """Replace the stored cells of one exam with a full recomputation (three deletes, three
    grouped queries, the inserts); on PostgreSQL after locking the exam's attempts and then
    the exam row, so no move of that exam runs meanwhile (see the module docstring)."""
    exam_id = getattr(exam, "pk", exam)
    assert connection.in_atomic_block, "a rebuild runs inside a transaction"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM attempts_attempt WHERE exam_id = %s "
                "FOR UPDATE) AS locked",
                [exam_id],
            )
            cursor.execute("SELECT 1 FROM assessments_exam WHERE id = %s FOR UPDATE", [exam_id])
    for model in (ExamTally, QuestionTally, ChoiceTally):
        model.objects.filter(exam_id=exam_id)._raw_delete(connection.alias)
    apply(exam_sums_recompute([exam_id]))


def exams_sums_rebuild_locked(exam_ids: Iterable[int]) -> None:
    """:func:`exam_sums_rebuild` of several exams at once, for a caller that already holds
    the attempt table in EXCLUSIVE mode (the bulk seed's load): no mover can run meanwhile,
    so no row is locked (locking a million rows writes every page of the table again), and
    one recomputation reads the answers once for every exam instead of once per exam."""
    exam_ids = sorted(exam_ids)
    assert connection.in_atomic_block, "a rebuild runs inside a transaction"
    for model in (ExamTally, QuestionTally, ChoiceTally):
        model.objects.filter(exam_id__in=exam_ids)._raw_delete(connection.alias)
    sums = exam_sums_recompute(exam_ids)
    if connection.vendor != "postgresql":
        apply(sums)
        return
    # The cells were just deleted: COPY them (tens of thousands at a million attempts),
    # rather than upserts whose SQL text alone psycopg spends seconds splitting.
    with connection.cursor() as cursor:
        for model, cells in sums.tables():
            keys, values = KEYS[model]
            columns = ", ".join((*keys, *values))
            with cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
                for key, sums_of_cell in sorted(cells.items(), key=_sort_key):
                    copy.write_row((*key, *sums_of_cell))
