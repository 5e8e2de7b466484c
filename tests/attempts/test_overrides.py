"""Overrides of any answer's marks, and the answers' marks history (``MarkChange``).

Kit (tests/attempts/conftest.py): 6 questions × 4 marks (max 24), negative 1, pass mark 50 %.
``ranked`` (web/conftest.py): ada 13 of 24 (single +4, multiple partial +2, true/false -1,
numeric +4, short +4, essay blank), bob 4 of 24.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from attempts import services
from attempts.errors import ConflictError, InvalidAnswerError, NotAllowedError
from attempts.models import Attempt, AttemptEvent, MarkChange, UserAnswer
from tests.attempts.web import conftest as web
from tests.attempts.web.conftest import SUBMITTED
from tests.factories import CourseFactory, UserFactory

ranked, pending = web.ranked, web.pending  # the web tests' fixtures
D = Decimal
LATER = SUBMITTED + timedelta(days=1)


def answer_of(attempt, kit, name):
    return UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq[name])


def override(kit, answer, marks, comment="Ambiguous wording", actor=None):
    return services.answer_override(
        answer=answer,
        actor=actor or kit.instructor,
        marks=None if marks is None else D(marks),
        comment=comment,
        now=LATER,
    )


class TestOverride:
    def test_an_auto_marked_answer_takes_the_instructors_marks_and_the_attempt_its_score(
        self, kit, ranked
    ):
        ada, _ = ranked
        wrong = answer_of(ada, kit, "true_false")
        assert (wrong.result, wrong.marks_awarded, ada.score) == ("incorrect", D("-1"), D("13"))

        changed = override(kit, wrong, "3")

        assert (changed.result, changed.marks_awarded, changed.override_marks) == (
            "partial",
            D("3.00"),
            D("3.00"),
        )
        ada.refresh_from_db()
        assert (ada.score, ada.percentage) == (D("17.00"), D("70.83"))  # 13 + 1 + 3; 17/24
        assert (ada.incorrect_count, ada.partial_count) == (0, 2)

    def test_negative_marks_are_the_lower_bound_zero_for_an_essay(self, kit, ranked, pending):
        ada, _ = ranked
        assert override(kit, answer_of(ada, kit, "single"), "-1").marks_awarded == D("-1.00")
        with pytest.raises(InvalidAnswerError, match="between -1.00 and 4.00") as low:
            override(kit, answer_of(ada, kit, "single"), "-1.01")
        with pytest.raises(InvalidAnswerError, match="between -1.00 and 4.00"):
            override(kit, answer_of(ada, kit, "single"), "4.01")
        _, essay = pending
        with pytest.raises(InvalidAnswerError, match="between 0.00 and 4.00") as essay_low:
            override(kit, essay, "-0.5")
        assert (low.value.field, essay_low.value.field) == ("marks", "marks")

    def test_a_comment_is_required(self, kit, ranked):
        with pytest.raises(InvalidAnswerError, match="Say why") as refused:
            override(kit, answer_of(ranked[0], kit, "single"), "2", comment="  ")
        assert refused.value.field == "comment"

    def test_only_reviewers_of_the_course_override(self, kit, ranked):
        stranger = UserFactory()
        CourseFactory(instructors=[stranger])
        for actor in (stranger, kit.learner):
            with pytest.raises(NotAllowedError):
                override(kit, answer_of(ranked[0], kit, "single"), "2", actor=actor)

    def test_a_running_attempt_is_overridden_after_submit(self, kit):
        attempt = kit.start()
        saved = kit.answer(attempt, "single", choices=[1])
        with pytest.raises(ConflictError):
            override(kit, saved, "2")

    def test_a_pending_essay_overridden_completes_the_attempt(self, kit, pending):
        attempt, essay = pending
        override(kit, essay, "4")
        attempt.refresh_from_db()
        assert (attempt.state, attempt.score, attempt.passed) == (
            Attempt.State.COMPLETED,
            D("17.00"),
            True,
        )

    def test_removing_the_override_gives_the_answer_back_to_the_key(self, kit, ranked):
        ada, _ = ranked
        override(kit, answer_of(ada, kit, "true_false"), "4")
        restored = override(kit, answer_of(ada, kit, "true_false"), None, comment="Oops")
        assert (restored.override_marks, restored.marks_awarded, restored.result) == (
            None,
            D("-1.00"),
            "incorrect",
        )

    def test_an_override_survives_a_rescore(self, kit, ranked):
        ada, _ = ranked
        override(kit, answer_of(ada, kit, "single"), "1")  # ada: 13 - 4 + 1 = 10
        kit.eq["single"].marks = D("10")
        kit.eq["single"].save()

        services.exam_rescore(exam=kit.exam)

        assert answer_of(ada, kit, "single").marks_awarded == D("1.00")
        ada.refresh_from_db()
        assert (ada.score, ada.max_score) == (D("10.00"), D("30.00"))

    def test_lowering_the_marks_below_an_override_caps_it(self, kit, ranked):
        """ada: single overridden to 4 (13 stays 13), true/false overridden to -1 (stays);
        then single is worth 2 and its negative marks drop to 0.5: the override becomes 2,
        true/false keeps -1 (its own negative marks are unchanged)."""
        ada, _ = ranked
        override(kit, answer_of(ada, kit, "single"), "4")
        kit.eq["single"].marks = D("2")
        kit.eq["single"].negative_marks = D("0.5")
        kit.eq["single"].save()

        assert services.exam_rescore(exam=kit.exam, actor=kit.instructor) == 2  # ada and bob

        single = answer_of(ada, kit, "single")
        assert (single.override_marks, single.marks_awarded, single.result) == (
            D("2.00"),
            D("2.00"),
            "correct",
        )
        ada.refresh_from_db()
        assert (ada.score, ada.max_score) == (D("11.00"), D("22.00"))  # 13 - 4 + 2; 24 - 2
        change = MarkChange.objects.filter(answer=single, source="rescore").get()
        assert (change.marks_before, change.marks_after) == (D("4"), D("2"))
        assert change.comment == services.CAPPED_NOTE

    def test_lowering_an_essays_marks_below_its_evaluation_caps_it(self, kit, pending):
        attempt, essay = pending
        services.answer_evaluate(
            answer=essay, evaluator=kit.instructor, marks=D("3"), comment="Good", now=LATER
        )
        kit.eq["essay"].marks = D("2")
        kit.eq["essay"].save()

        services.exam_rescore(exam=kit.exam)

        essay.refresh_from_db()
        assert (essay.evaluated_marks, essay.marks_awarded, essay.result) == (
            D("2.00"),
            D("2.00"),
            "correct",
        )
        attempt.refresh_from_db()
        assert (attempt.score, attempt.max_score) == (D("15.00"), D("22.00"))  # 13 + 2

    def test_each_override_records_an_event(self, kit, ranked):
        ada, _ = ranked
        override(kit, answer_of(ada, kit, "single"), "2")
        last = AttemptEvent.objects.filter(attempt=ada).last()
        assert (last.kind, last.score_before, last.score_after, last.actor) == (
            "overridden",
            D("13.00"),
            D("11.00"),
            kit.instructor,
        )
        assert last.details["override"] == "2.00"


class TestMarksHistory:
    def history(self, answer):
        return list(
            MarkChange.objects.filter(answer=answer).values_list(
                "source", "result_before", "marks_before", "result_after", "marks_after", "comment"
            )
        )

    def test_submitting_records_no_change_the_first_marks_are_the_origin(self, kit, ranked):
        assert MarkChange.objects.count() == 0

    def test_evaluation_then_override_then_rescore_each_leave_a_row(self, kit, pending):
        attempt, essay = pending
        services.answer_evaluate(
            answer=essay, evaluator=kit.instructor, marks=D("2"), comment="Thin", now=LATER
        )
        override(kit, essay, "3", comment="Second reading")
        services.answer_evaluate(
            answer=essay, evaluator=kit.instructor, marks=D("2"), comment="Same", now=LATER
        )  # the override still wins: the marks stay 3, but the evaluation is recorded

        assert self.history(essay) == [
            ("evaluation", "pending", D("0"), "partial", D("2"), "Thin"),
            ("override", "partial", D("2"), "partial", D("3"), "Second reading"),
            ("evaluation", "partial", D("3"), "partial", D("3"), "Same"),
        ]
        first = MarkChange.objects.filter(answer=essay).first()
        assert (first.actor, first.at, first.attempt_id) == (kit.instructor, LATER, attempt.pk)

    def test_a_rescore_records_the_answers_it_changed_and_no_other(self, kit, ranked):
        ada, bob = ranked
        kit.eq["single"].marks = D("10")
        kit.eq["single"].save()

        services.exam_rescore(exam=kit.exam, actor=kit.instructor)

        assert set(
            MarkChange.objects.values_list("attempt_id", "source", "marks_before", "marks_after")
        ) == {(ada.pk, "rescore", D("4"), D("10")), (bob.pk, "rescore", D("4"), D("10"))}

    def test_an_override_on_a_stale_attempt_records_the_other_changes_as_a_rescore(
        self, kit, ranked
    ):
        ada, _ = ranked
        kit.eq["single"].marks = D("10")  # ada's single choice answer: 4 -> 10 when rescored
        kit.eq["single"].save()

        override(kit, answer_of(ada, kit, "true_false"), "0", comment="Guess")

        assert set(
            MarkChange.objects.values_list("answer__exam_question", "source", "comment")
        ) == {(kit.eq["true_false"].pk, "override", "Guess"), (kit.eq["single"].pk, "rescore", "")}
