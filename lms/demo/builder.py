"""Writing the demo's plan (:mod:`lms.demo.plan`) idempotently, then its attempts.

:class:`DemoBuilder` writes the plan keyed on natural keys (username, course slug, subject
(parent, name), exam (course, title), section (exam, title), question uuid, choice
(question, order), placement (exam, question), enrollment (user, course)). It creates what is
missing and updates what differs (:func:`sync_rows`), so a second run changes no counts, and a
run with another seed rewrites the same rows with that seed's data.

Attempts come last: about a thousand played through the attempt services (:mod:`lms.demo.play`),
and on request (``--attempts``) any number more written in bulk (:mod:`lms.demo.bulk`). When
the bank or the exams' marking changes (another seed), the attempts at the demo exams no longer
fit and are replaced.
"""

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from tqdm import tqdm

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section
from attempts.models import Attempt
from attempts.tallies import exam_sums_rebuild
from lms import access
from lms.demo.bulk import bulk_attempts, delete_exam_attempts
from lms.demo.plan import (
    BASE,
    COURSES,
    DEPARTMENT_ADMIN,
    EXAMS_CLOSE,
    EXAMS_OPEN,
    LEARNER_PASSWORD,
    LEARNER_PREFIX,
    LOGINS,
    DemoPlan,
    EnrollmentPlan,
    build_plan,
    demo_uuid,
    department_paths,
    subject_paths,
)
from lms.demo.play import DEFAULT_DEMO_ATTEMPTS, create_demo_attempts
from lms.demo.simulation import ExamSim, Progress, load_exams
from lms.models import Course, Department, Enrollment, Subject, User


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def __str__(self):
        text = f"{self.created} created, {self.updated} updated"
        return f"{text}, {self.deleted} removed" if self.deleted else text


def sync_rows(
    queryset: models.QuerySet,
    key: tuple[str, ...],
    rows: list[dict],
    *,
    create_only: tuple[str, ...] = (),
    delete_stale: bool = False,
) -> SyncResult:
    """Make ``queryset`` hold ``rows`` (field dicts), matched on the ``key`` fields.

    Missing rows are bulk-created, rows whose fields differ bulk-updated (``create_only`` fields
    are set on creation only), and with ``delete_stale`` the rows of ``queryset`` that match no
    row are deleted. One read, then at most a delete, a bulk insert and a bulk update (each in
    batches): the number of queries does not grow with the number of rows.
    """
    model = queryset.model
    existing = {tuple(getattr(obj, f) for f in key): obj for obj in queryset}
    wanted, new, changed, fields = set(), [], [], set()
    for row in rows:
        row_key = tuple(row[f] for f in key)
        wanted.add(row_key)
        obj = existing.get(row_key)
        if obj is None:
            new.append(model(**row))
            continue
        diff = [f for f, v in row.items() if f not in create_only and getattr(obj, f) != v]
        for name in diff:
            setattr(obj, name, row[name])
        if diff:
            changed.append(obj)
            fields.update(diff)
    result = SyncResult(created=len(new), updated=len(changed))
    if delete_stale:
        stale = [obj.pk for row_key, obj in existing.items() if row_key not in wanted]
        if stale:
            result.deleted = len(stale)
            model.objects.filter(pk__in=stale).delete()
    if new:
        insert_new(model, new)
    if changed:
        model.objects.bulk_update(changed, sorted(fields))
    return result


# From this many new rows, PostgreSQL gets them by COPY (80,000 learners: their users,
# enrollments and memberships took about a minute through bulk_create's INSERTs under load).
COPY_FROM = 1000


def insert_new(model, objs: list[models.Model]) -> None:
    """Insert unsaved ``objs`` (their primary keys are not read back): ``bulk_create``, or on
    PostgreSQL for many rows one ``COPY`` of the values ``bulk_create`` would send."""
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM:
        model.objects.bulk_create(objs)
        return
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.auto_field]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])


def no_progress(total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, disable=True)


# The first learners of the plan (and the demo login) take the attempts played through the
# services; more learners (--learners) only add to the bulk attempts' population.
SERVICE_LEARNERS = 300


@dataclass
class DemoBuilder:
    """Writes a :class:`~lms.demo.plan.DemoPlan`; ``run()`` calls the steps in order, inside one transaction,
    then writes the bulk attempts (if any) in transactions of their own, a chunk at a time.

    Each step reads what earlier steps stored on the builder (users, courses, subjects, ...).
    """

    seed: int = 42
    learner_count: int = 300
    # Attempts played through attempts.services (skipped when the demo's attempts exist).
    demo_attempts: int = DEFAULT_DEMO_ATTEMPTS
    # Target number of attempts written in bulk (0: none); a re-run tops up to it.
    bulk_attempts: int = 0
    log: Callable[[str], object] = lambda line: None
    progress: Progress = no_progress
    plan: DemoPlan = field(init=False)
    users_by_name: dict[str, User] = field(init=False, default_factory=dict)
    courses_by_slug: dict[str, Course] = field(init=False, default_factory=dict)
    subjects_by_path: dict[tuple[str, ...], Subject] = field(init=False, default_factory=dict)
    questions_by_key: dict[uuid.UUID, Question] = field(init=False, default_factory=dict)
    exams_by_title: dict[str, Exam] = field(init=False, default_factory=dict)
    # The bank's content changed in this run: attempts at the demo exams no longer fit it.
    bank_changed: bool = field(init=False, default=False)
    summary: dict[str, int] = field(init=False, default_factory=dict)
    plan_seconds: float = field(init=False, default=0.0)

    def __post_init__(self):
        started = time.monotonic()
        self.plan = build_plan(seed=self.seed, learners=self.learner_count)
        self.plan_seconds = time.monotonic() - started

    def run(self) -> dict[str, int]:
        """Build everything; returns the number of demo rows of each kind. Logs each step's
        duration after its own lines."""
        self.log(f"Phase plan: {self.plan_seconds:.1f} s")
        with transaction.atomic():
            steps = (self.users, self.courses, self.subjects, self.questions, self.exams)
            for step in (*steps, self.learners, self.departments):
                with self.phase(step.__name__):
                    step()
            with self.phase("demo attempts"):
                sims = load_exams(self.exams_by_title[p.title] for p in self.plan.exams)
                self.attempts(sims)
        if self.bulk_attempts:
            with self.phase("bulk attempts"):
                self.bulk(sims)
        exams = list(self.exams_by_title.values())
        self.summary["attempts"] = Attempt.objects.filter(exam__in=exams).count()
        return dict(self.summary)

    @contextmanager
    def phase(self, name: str):
        started = time.monotonic()
        yield
        self.log(f"Phase {name}: {time.monotonic() - started:.1f} s")

    def users(self) -> None:
        created = []
        # PBKDF2 takes about a second a password on a busy machine; hashlib lets go of the
        # GIL, so the logins' hashes are computed side by side.
        with ThreadPoolExecutor(max_workers=len(LOGINS)) as pool:
            hashes = list(pool.map(make_password, [login.password for login in LOGINS]))
        for login, password in zip(LOGINS, hashes, strict=True):
            fields = {
                "first_name": login.first_name,
                "last_name": login.last_name,
                "display_name": f"{login.first_name} {login.last_name}",
                "email": f"{login.username}@example.com",
                **access.admin_account_fields(admin=login.admin),
                "is_active": True,
            }
            user, was_created = User.objects.update_or_create(
                username=login.username,
                defaults=fields,
                create_defaults={
                    **fields,
                    "uuid": demo_uuid(f"user/{login.username}"),
                    "date_joined": BASE - timedelta(days=150),
                },
            )
            # Reset on every run so that the printed logins always work.
            user.password = password
            user.save(update_fields=["password"])
            self.users_by_name[user.username] = user
            if was_created:
                created.append(user.username)
        self.summary["users"] = len(LOGINS)
        self.log(f"Logins: {', '.join(u.username for u in LOGINS)} ({len(created)} created)")

    def courses(self) -> None:
        created = 0
        for n, plan in enumerate(COURSES):
            fields = {"title": plan.title, "status": Course.Status.PUBLISHED}
            course, was_created = Course.objects.update_or_create(
                slug=plan.slug,
                defaults=fields,
                create_defaults={
                    **fields,
                    "uuid": demo_uuid(f"course/{plan.slug}"),
                    "created_at": BASE - timedelta(days=120 - n),
                },
            )
            # The demo owns its courses: exactly the planned instructor, nobody else.
            course.instructors.set([self.users_by_name[plan.instructor]])
            self.courses_by_slug[plan.slug] = course
            created += was_created
        self.summary["courses"] = len(COURSES)
        taught = "; ".join(f"{c.title} ({c.instructor})" for c in COURSES)
        self.log(f"Courses: {taught} ({created} created)")

    def subjects(self) -> None:
        created = 0
        for path in subject_paths():  # parents first: save() builds the child's path from them
            parent = self.subjects_by_path.get(path[:-1])
            subject, was_created = Subject.objects.get_or_create(parent=parent, name=path[-1])
            self.subjects_by_path[path] = subject
            created += was_created
        self.summary["subjects"] = len(self.subjects_by_path)
        self.log(
            f"Subjects: {len(self.subjects_by_path)} in a 3-level tree "
            f"(Science › Physics › Mechanics, ...) ({created} created)"
        )

    def questions(self) -> None:
        plans = self.plan.questions
        keys = [q.key for q in plans]
        rows = [
            {
                "uuid": q.key,
                "type": q.type,
                "text_html": q.text_html,
                "explanation_html": q.explanation_html,
                "subject_id": self.subjects_by_path[q.subject].pk if q.subject else None,
                "difficulty": q.difficulty,
                "numeric_answer": q.numeric_answer,
                "numeric_tolerance": q.numeric_tolerance,
                "accepted_answers": list(q.accepted_answers),
                # Spread over the weeks before the exams open, in bank order.
                "created_at": BASE - timedelta(days=90) + timedelta(hours=n),
            }
            for n, q in enumerate(plans)
        ]
        result = sync_rows(Question.objects.filter(uuid__in=keys), ("uuid",), rows)
        self.questions_by_key = {q.uuid: q for q in Question.objects.filter(uuid__in=keys)}
        choice_rows = [
            {
                "question_id": self.questions_by_key[q.key].pk,
                "order": order,
                "text_html": choice.text_html,
                "is_correct": choice.is_correct,
            }
            for q in plans
            for order, choice in enumerate(q.choices, start=1)
        ]
        choices = sync_rows(
            AnswerChoice.objects.filter(question__in=list(self.questions_by_key.values())),
            ("question_id", "order"),
            choice_rows,
            delete_stale=True,
        )
        # Rewritten texts or keys (another seed) invalidate the stored answers and results.
        self.bank_changed = bool(result.updated or choices.updated or choices.deleted)
        self.summary["questions"] = len(rows)
        self.summary["answer_choices"] = len(choice_rows)
        self.log(f"Questions: {len(rows)} in the bank ({result})")
        self.log(f"Answer choices: {len(choice_rows)} ({choices})")

    def exams(self) -> None:
        created, sections, rows = 0, 0, []
        for n, plan in enumerate(self.plan.exams):
            fields = {
                "description": plan.description,
                "duration": plan.duration,
                "pass_percentage": plan.pass_percentage,
                "max_attempts": plan.max_attempts,
                "rank_policy": plan.rank_policy,
                "status": Exam.Status.PUBLISHED,
                "opens_at": EXAMS_OPEN,
                "closes_at": EXAMS_CLOSE,
            }
            exam, was_created = Exam.objects.update_or_create(
                course=self.courses_by_slug[plan.course],
                title=plan.title,
                defaults=fields,
                create_defaults={
                    **fields,
                    "uuid": demo_uuid(f"exam/{plan.course}/{plan.title}"),
                    "created_at": BASE - timedelta(days=10 - n),
                },
            )
            created += was_created
            self.exams_by_title[exam.title] = exam
            kept = []
            order = 0  # unique within the exam, increasing across sections
            for section_order, section_plan in enumerate(plan.sections, start=1):
                section, _ = Section.objects.update_or_create(
                    exam=exam, title=section_plan.title, defaults={"order": section_order}
                )
                kept.append(section.pk)
                for placement in section_plan.placements:
                    order += 1
                    rows.append(
                        {
                            "exam_id": exam.pk,
                            "section_id": section.pk,
                            "question_id": self.questions_by_key[placement.question].pk,
                            "order": order,
                            "marks": placement.marks,
                            "negative_marks": placement.negative_marks,
                            "partial_marks": placement.partial_marks,
                            "is_bonus": placement.is_bonus,
                        }
                    )
            Section.objects.filter(exam=exam).exclude(pk__in=kept).delete()
            sections += len(kept)
            self.log(f"Exam: {plan.title} ({plan.course}): {len(kept)} sections, {order} questions")
        self._drop_attempts_that_no_longer_fit(rows)
        placements = sync_rows(
            ExamQuestion.objects.filter(exam__in=list(self.exams_by_title.values())),
            ("exam_id", "question_id"),
            rows,
            delete_stale=True,
        )
        exams = len(self.exams_by_title)
        self.summary |= {"exams": exams, "sections": sections, "exam_questions": len(rows)}
        self.log(f"Exams: {exams} published ({created} created); placements: {placements}")

    def _drop_attempts_that_no_longer_fit(self, rows: list[dict]) -> None:
        """Delete the attempts at the demo exams when their questions or marking change.

        Another seed places other questions (a placement with answers cannot be deleted) and
        rewrites keys, so the stored answers and results would be wrong: the demo owns its
        exams, and the attempts step then plays new ones.
        """
        marking = ("exam_id", "question_id", "marks", "negative_marks", "partial_marks", "is_bonus")
        exams = list(self.exams_by_title.values())
        stored = set(ExamQuestion.objects.filter(exam__in=exams).values_list(*marking))
        planned = {tuple(row[name] for name in marking) for row in rows}
        if self.bank_changed or stored != planned:
            with transaction.atomic():
                deleted = delete_exam_attempts(exams)
                for exam in exams:
                    exam_sums_rebuild(exam)  # no attempts left: no cells either
            if deleted:
                self.log(f"Attempts: {deleted} removed (the exams' questions or marks changed)")

    def learners(self) -> None:
        plans = self.plan.learners
        known = set(
            User.objects.filter(username__startswith=LEARNER_PREFIX).values_list(
                "username", flat=True
            )
        )
        # One hash (salt included) shared by every learner, computed only when one is new:
        # PBKDF2 takes about 0.25 s, so hashing per learner would add over a minute.
        password = (
            make_password(LEARNER_PASSWORD) if any(p.username not in known for p in plans) else ""
        )
        rows = [
            {
                "username": p.username,
                "uuid": demo_uuid(f"user/{p.username}"),
                "password": password,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "display_name": p.display_name,
                "email": p.email,
                "phone": p.phone,
                "date_joined": p.joined_at,
                "is_active": True,
            }
            for p in plans
        ]
        users = sync_rows(
            User.objects.filter(username__startswith=LEARNER_PREFIX),
            ("username",),
            rows,
            create_only=("uuid", "password"),
        )
        user_ids = dict(
            User.objects.filter(username__startswith=LEARNER_PREFIX).values_list("username", "pk")
        )
        # The demo login "learner" is in every course, active, for as long as the demo runs.
        planned = [
            ("learner", EnrollmentPlan(c.slug, Enrollment.Status.ACTIVE, BASE - timedelta(days=14)))
            for c in COURSES
        ]
        planned += [(p.username, e) for p in plans for e in p.enrollments]
        enrollment_rows = [
            {
                "user_id": user_ids[username],
                "course_id": self.courses_by_slug[e.course].pk,
                "status": e.status,
                "enrolled_at": e.enrolled_at,
                "due_at": e.due_at,
                "expires_at": e.expires_at,
            }
            for username, e in planned
        ]
        # Only the planned learners' enrollments in demo courses are the demo's to remove.
        enrollments = sync_rows(
            Enrollment.objects.filter(
                user_id__in=sorted({row["user_id"] for row in enrollment_rows}),
                course__in=list(self.courses_by_slug.values()),
            ),
            ("user_id", "course_id"),
            enrollment_rows,
            delete_stale=True,
        )
        self.summary["users"] += len(plans)
        self.summary["enrollments"] = len(enrollment_rows)
        self.log(f"Learners: {len(plans)} (learner001 …) ({users})")
        self.log(f"Enrollments: {len(enrollment_rows)} ({enrollments})")

    def departments(self) -> None:
        """The demo organisation (three levels), every demo learner in one of its leaves
        (round robin), and ``deptadmin`` managing one branch. Memberships are rewritten
        set-based on every run: one DELETE and one INSERT."""
        by_path: dict[tuple[str, ...], Department] = {}
        for path in department_paths():  # parents first: save() builds the child's path
            department, _ = Department.objects.get_or_create(
                parent=by_path.get(path[:-1]), name=path[-1]
            )
            by_path[path] = department
        leaves = [d for path, d in by_path.items() if len(path) == 3]
        learners = list(
            User.objects.filter(username__startswith=LEARNER_PREFIX)
            .order_by("username")
            .values_list("pk", flat=True)
        )
        Membership = Department.members.through
        Membership.objects.filter(department__in=list(by_path.values())).delete()
        insert_new(
            Membership,
            [
                Membership(department_id=leaves[n % len(leaves)].pk, user_id=user_id)
                for n, user_id in enumerate(learners)
            ],
        )
        managed = by_path[tuple(DEPARTMENT_ADMIN["manages"])]
        managed.administrators.set([self.users_by_name[DEPARTMENT_ADMIN["username"]]])
        self.summary["departments"] = len(by_path)
        self.log(
            f"Departments: {len(by_path)} in a 3-level tree ({managed.full_path} …), "
            f"{len(learners)} learners in its leaves; {DEPARTMENT_ADMIN['username']} manages "
            f"{managed.full_path}"
        )

    def attempts(self, sims: list[ExamSim]) -> None:
        names = ["learner"] + [p.username for p in self.plan.learners[:SERVICE_LEARNERS]]
        result = create_demo_attempts(
            seed=self.seed,
            count=self.demo_attempts,
            exams=sims,
            users=User.objects.filter(username__in=names),
            featured="learner",
            progress=self.progress,
        )
        if result.kept:
            self.log(f"Demo attempts: {result.kept} already there (kept)")
            return
        if not result.created:
            return
        states = ", ".join(f"{n} {state.lower()}" for state, n in result.by_state.items())
        self.log(
            f"Demo attempts: {result.created} through the services ({states}); "
            f"{result.evaluated} essays evaluated"
        )
        self.log(
            f"  {result.overdue} running attempts on timed exams are past their deadline: "
            "`manage.py finalize_overdue` completes them"
        )

    def bulk(self, sims: list[ExamSim]) -> None:
        learners = User.objects.filter(username__startswith=LEARNER_PREFIX).exclude(
            username="learner"
        )
        result = bulk_attempts(
            seed=self.seed,
            target=self.bulk_attempts,
            exams=sims,
            users=learners,
            progress=self.progress,
            log=self.log,
        )
        if not result.created:
            self.log(
                f"Bulk attempts: {result.existing} already there (target {self.bulk_attempts})"
            )
            return
        self.log(
            f"Bulk attempts: {result.created} written ({result.existing} were there), "
            f"{result.answers} answers, {result.choices} selected choices"
        )
        if result.short:
            self.log(f"  {result.short} more did not fit: every learner used their attempts")
