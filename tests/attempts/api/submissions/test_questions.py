"""Adding bank questions to an assessment, every kind, with its marking; HTML sanitised."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section
from attempts.api.submissions import public_ids as ids
from tests import play
from tests.attempts.api.submissions.conftest import LIST, asmnt, client_for, enrol
from tests.factories import SubjectFactory

D = Decimal


def url(exam):
    return f"{LIST}/{asmnt(exam)}/questions"


def add(user, exam, body):
    return client_for(user).post(url(exam), body, format="json")


def choices(*correct, n=4):
    return [{"text": f"<p>Option {i}</p>", "is_correct": i in correct} for i in range(n)]


KINDS = {
    "single": {"type": "single", "choices": choices(1)},
    "multiple": {"type": "multiple", "choices": choices(0, 2), "partial_marks": "1.5"},
    "true_false": {"type": "true_false", "choices": choices(0, n=2)},
    "numeric": {"type": "numeric", "numeric_answer": "9.81", "numeric_tolerance": "0.05"},
    "short_text": {"type": "short_text", "accepted_answers": ["Paris", " paris "]},
    "essay": {"type": "essay"},
}


class TestAdd:
    @pytest.mark.parametrize("kind", list(KINDS))
    def test_every_kind_is_added_last_with_its_marking(self, open_kit, kind):
        kit = open_kit
        subject = SubjectFactory(name="Physics")
        body = {
            "text": f"<p>A {kind} question</p>",
            "explanation": "<p>Why</p>",
            "marks": "3",
            "negative_marks": "0.5",
            "difficulty": "hard",
            "subject_id": ids.of_pk(ids.SUBJECT, subject.pk),
            **KINDS[kind],
        }
        response = add(kit.instructor, kit.exam, body)
        assert response.status_code == 201, response.content
        data = response.json()
        placed = ExamQuestion.objects.select_related("question").get(
            exam=kit.exam, question__uuid=ids.to_uuid(ids.QUESTION, data["id"])
        )
        question = placed.question
        assert data["position"] == 7
        assert placed.order == 6  # after the kit's 0..5
        assert (question.type, question.difficulty, question.subject) == (kind, "hard", subject)
        assert (placed.marks, placed.negative_marks) == (D(3), D("0.5"))
        assert (data["marks"], data["negative_marks"], data["type"]) == (3, 0.5, kind)
        assert data["subject_id"] == ids.of_pk(ids.SUBJECT, subject.pk)
        stored = list(AnswerChoice.objects.filter(question=question).order_by("order"))
        assert [c.is_correct for c in stored] == [c["is_correct"] for c in body.get("choices", [])]
        assert [c["id"] for c in data["choices"]] == [ids.of_pk(ids.CHOICE, c.pk) for c in stored]
        if kind == "multiple":
            assert placed.partial_marks == D("1.5")
        if kind == "numeric":
            assert (question.numeric_answer, question.numeric_tolerance) == (D("9.81"), D("0.05"))
        if kind == "short_text":
            assert question.accepted_answers == ["Paris", "paris"]

    def test_html_is_sanitised_on_the_way_in(self, open_kit):
        body = {
            "type": "single",
            "text": '<p onclick="steal()">Hi<script>alert(1)</script></p>',
            "explanation": '<a href="javascript:x()">see</a>',
            "choices": [
                {"text": "<img src=x onerror=alert(1)>A", "is_correct": True},
                {"text": "<b>B</b>"},
            ],
        }
        data = add(open_kit.instructor, open_kit.exam, body).json()
        question = Question.objects.get(uuid=ids.to_uuid(ids.QUESTION, data["id"]))
        assert question.text_html == "<p>Hi</p>"
        assert "javascript" not in question.explanation_html
        texts = list(
            AnswerChoice.objects.filter(question=question).values_list("text_html", flat=True)
        )
        assert texts == ['<img src="x">A', "<b>B</b>"]
        assert data["text"] == "<p>Hi</p>"

    def test_a_named_section_is_found_or_created(self, open_kit):
        kit = open_kit
        first = Section.objects.filter(exam=kit.exam).order_by("order").first()
        add(kit.instructor, kit.exam, {"text": "a", "section": first.title, **KINDS["essay"]})
        add(kit.instructor, kit.exam, {"text": "b", "section": "Part C", **KINDS["essay"]})
        titles = list(
            Section.objects.filter(exam=kit.exam).order_by("order").values_list("title", flat=True)
        )
        assert titles[-1] == "Part C"
        assert len(titles) == 3
        assert ExamQuestion.objects.filter(section=first).count() == 4

    def test_an_assessment_without_sections_gets_one(self, open_kit, admin):
        exam = Exam.objects.create(course=open_kit.course, title="Empty one")
        assert add(admin, exam, {"text": "a", **KINDS["essay"]}).status_code == 201
        assert list(Section.objects.filter(exam=exam).values_list("title", flat=True)) == [
            "Questions"
        ]

    def test_finished_attempts_flag_the_assessment_for_a_rescore(self, open_kit):
        kit = open_kit
        assert Exam.objects.get(pk=kit.exam.pk).marking_changed_at is None
        now = timezone.now()
        play.play(
            kit.exam,
            kit.learner,
            now=now - timedelta(minutes=3),
            submit_at=now - timedelta(minutes=2),
        )
        add(kit.instructor, kit.exam, {"text": "a", **KINDS["essay"]})
        assert Exam.objects.get(pk=kit.exam.pk).marking_changed_at is not None

    def test_without_finished_attempts_nothing_is_flagged(self, open_kit):
        add(open_kit.instructor, open_kit.exam, {"text": "a", **KINDS["essay"]})
        assert Exam.objects.get(pk=open_kit.exam.pk).marking_changed_at is None


class TestRules:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"type": "single", "choices": choices(0, 1)}, "choices"),
            ({"type": "single", "choices": choices(n=3)}, "choices"),
            ({"type": "single", "choices": choices(0, n=1)}, "choices"),
            ({"type": "true_false", "choices": choices(0, n=3)}, "choices"),
            ({"type": "multiple", "choices": choices()}, "choices"),
            ({"type": "essay", "choices": choices(0)}, "choices"),
            ({"type": "numeric"}, "numeric_answer"),
            ({"type": "essay", "numeric_answer": "1"}, "numeric_answer"),
            ({"type": "short_text"}, "accepted_answers"),
            ({"type": "short_text", "accepted_answers": ["  "]}, "accepted_answers[0]"),
            ({"type": "single", "choices": choices(0), "partial_marks": "1"}, "partial_marks"),
            ({"type": "essay", "marks": "-1"}, "marks"),
            ({"type": "essay", "negative_marks": "-1"}, "negative_marks"),
            ({"type": "essay", "difficulty": "extreme"}, "difficulty"),
            ({"type": "essay", "subject_id": "subject-1"}, "subject_id"),
            ({"type": "essay", "subject_id": "subj_zzz"}, "subject_id"),  # no such subject
            ({"type": "drawing"}, "type"),
        ],
    )
    def test_each_rule_broken_is_a_400_naming_the_field(self, open_kit, body, field):
        before = ExamQuestion.objects.count()
        response = add(open_kit.instructor, open_kit.exam, {"text": "<p>Q</p>", **body})
        assert response.status_code == 400, response.content
        assert list(response.json()["errors"]) == [field]
        assert ExamQuestion.objects.count() == before

    def test_learners_get_a_403(self, open_kit):
        response = add(open_kit.learner, open_kit.exam, {"text": "a", **KINDS["essay"]})
        assert response.status_code == 403


class TestList:
    def test_pages_of_questions_in_order_without_the_key_for_learners(self, open_kit):
        kit = open_kit
        learner = enrol(kit, "grace")
        first = client_for(learner).get(url(kit.exam), {"per_page": 4}).json()
        second = client_for(learner).get(url(kit.exam), {"per_page": 4, "page": 2}).json()
        assert [q["position"] for q in first["data"]] == [1, 2, 3, 4]
        assert [q["position"] for q in second["data"]] == [5, 6]
        assert first["pagination"]["total"] == 6
        assert "is_correct" not in first["data"][0]["choices"][0]
        reviewer = client_for(kit.instructor).get(url(kit.exam)).json()
        assert reviewer["data"][0]["choices"][0]["is_correct"] is True
