"""The exam the exam summary tests share (``attempts.statistics.exam.exam_summary`` and its page),
played through ``tests.play`` so its numbers can be checked by hand.

The exam: 4 questions worth 4 marks each (max 16), negative marking 1, pass mark 50 %.

    no.  section  subject              type          difficulty  key
    1    Part A   Physics › Optics     single        easy        choice 0
    2    Part A   Physics › Mechanics  single        medium      choice 0
    3    Part B   Physics              multiple      hard        choices 0, 1, 2 (partial 1 each)
    4    Part B   (none)               true/false    (none)      choice 0

Five learners complete it through the services (C correct +4, I incorrect -1, P partial with
2 of the 3 keys +2, - unanswered 0):

    learner  q1 q2 q3 q4   score  percentage  bucket      passed
    ann      C  C  C  C    16     100.00      [90, 100]   yes
    ben      I  I  I  -    -3     -18.75      [0, 10)     no
    cat      C  I  P  -     5      31.25      [30, 40)    no
    dan      C  C  P  I     9      56.25      [50, 60)    yes
    eve      C  -  I  C     7      43.75      [40, 50)    no

Besides them: gus's attempt is running (q1 answered correctly, not submitted), hal's is not
started, ivy's is pending evaluation (score 12, a correct answer to q1): none of the three
may reach a score statistic.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from assessments.models import Exam
from attempts.models import Attempt
from tests.factories import (
    AnswerChoiceFactory,
    AttemptFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    SubjectFactory,
    UserAnswerFactory,
    UserFactory,
)
from tests.play import NOW, play

D = Decimal

# (question kind, outcome letter) -> indices of the choices to mark.
CHOICES = {
    ("single", "C"): [0],
    ("single", "I"): [1],
    ("multiple", "C"): [0, 1, 2],
    ("multiple", "P"): [0, 1],
    ("multiple", "I"): [3],
    ("true_false", "C"): [0],
    ("true_false", "I"): [1],
}
FIVE = {"ann": "CCCC", "ben": "III-", "cat": "CIP-", "dan": "CCPI", "eve": "C-IC"}
LONG_TEXT = (
    "<p>A body slides down a frictionless incline of angle 30° and length 2 m, starting "
    "from rest. What is its speed at the bottom?</p>"
)


@dataclass
class Kit:
    exam: Exam
    course: object
    instructor: object
    questions: list = field(default_factory=list)  # ExamQuestion, in exam order
    choices: list = field(default_factory=list)  # the AnswerChoice list of each question


def build_exam(course, instructor, subjects) -> Kit:
    """The 4-question exam of the module docstring, in ``course``."""
    physics, optics, mechanics = subjects
    exam = ExamFactory(course=course, pass_percentage=D("50"))
    # Created out of order: sections are reported by their ``order``.
    part_b = SectionFactory(exam=exam, title="Part B", order=2)
    part_a = SectionFactory(exam=exam, title="Part A", order=1)
    kit = Kit(exam=exam, course=course, instructor=instructor)
    plan = [
        (
            part_a,
            "single",
            optics,
            "easy",
            4,
            "<p>Which lens &amp; mirror form a <em>real</em> image?</p>",
        ),
        (part_a, "single", mechanics, "medium", 4, "<p>What is Newton's <b>second</b> law?</p>"),
        (part_b, "multiple", physics, "hard", 4, LONG_TEXT),
        (part_b, "true_false", None, None, 2, "<p>Water boils at 100 °C at sea level.</p>"),
    ]
    for order, (section, kind, subject, difficulty, n, text) in enumerate(plan):
        question = QuestionFactory(
            type=kind, subject=subject, difficulty=difficulty, text_html=text
        )
        keys = 3 if kind == "multiple" else 1  # the key: choices 0 .. keys - 1
        kit.choices.append(
            [AnswerChoiceFactory(question=question, is_correct=i < keys, order=i) for i in range(n)]
        )
        kit.questions.append(
            ExamQuestionFactory(
                exam=exam,
                section=section,
                question=question,
                order=order,
                marks=D("4"),
                negative_marks=D("1"),
                partial_marks=D("1") if kind == "multiple" else None,
            )
        )
    return kit


def take(kit, username, outcomes, *, submit=True, minutes=0):
    """``username`` starts the exam, answers as ``outcomes`` spells (one letter per question)
    and submits, all through the services."""
    learner = UserFactory(username=username)
    EnrollmentFactory(user=learner, course=kit.course, enrolled_at=NOW - timedelta(days=1))
    now = NOW + timedelta(minutes=minutes)
    letters = zip(kit.questions, kit.choices, outcomes, strict=True)
    answers = [
        (question, {"choices": [choices[i] for i in CHOICES[(question.question.type, letter)]]})
        for question, choices, letter in letters
        if letter != "-"
    ]
    submit_at = now + timedelta(minutes=20) if submit else None
    return play(kit.exam, learner, answers, now=now, submit_at=submit_at)


def make_subjects():
    """Physics › {Optics, Mechanics}."""
    physics = SubjectFactory(name="Physics")
    return (
        physics,
        SubjectFactory(name="Optics", parent=physics),
        SubjectFactory(name="Mechanics", parent=physics),
    )


def played_exam(subjects) -> Kit:
    """The exam with every attempt of the module docstring: the five completed ones, gus's
    running, hal's not started, ivy's pending evaluation."""
    instructor = UserFactory(username="teacher")
    course = CourseFactory(instructors=[instructor])
    kit = build_exam(course, instructor, subjects)
    for minutes, (name, outcomes) in enumerate(FIVE.items()):
        take(kit, name, outcomes, minutes=minutes)
    take(kit, "gus", "C---", submit=False)
    AttemptFactory(user=UserFactory(username="hal"), exam=kit.exam, started_at=NOW)
    pending = AttemptFactory(
        user=UserFactory(username="ivy"),
        exam=kit.exam,
        state=Attempt.State.PENDING_EVALUATION,
        started_at=NOW,
        completed_at=NOW + timedelta(minutes=30),
        score=D("12"),
        percentage=D("75"),
    )
    UserAnswerFactory(
        attempt=pending, exam_question=kit.questions[0], result="correct", marks_awarded=D("4")
    )
    return kit
