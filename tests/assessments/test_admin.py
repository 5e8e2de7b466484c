"""The admin of exams and the question bank: the exam form offers only its own sections and
asks for sections first, and the question list shows plain text."""

import pytest

from assessments.models import Exam, ExamQuestion, Question, Section
from tests.admin_pages import url
from tests.factories import QuestionFactory, SectionFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def test_exam_question_inline_offers_only_this_exams_sections(admin_client, one_of_each):
    SectionFactory(title="Elsewhere")  # of another exam

    response = admin_client.get(url(Exam, "change", one_of_each.exam.pk))

    formsets = {f.formset.model: f.formset for f in response.context["inline_admin_formsets"]}
    choices = list(formsets[ExamQuestion].forms[0].fields["section"].choices)
    assert choices == [("", "---------"), (one_of_each.section.pk, "Part A")]


def test_exam_add_form_asks_for_sections_before_questions(admin_client):
    response = admin_client.get(url(Exam, "add"))

    models = [f.formset.model for f in response.context["inline_admin_formsets"]]
    assert models == [Section]


def test_question_list_shows_plain_text_excerpt(admin_client, one_of_each):
    html = admin_client.get(url(Question, "changelist")).content.decode()

    assert "What bends light?" in html


def test_question_changelist_query_budget_does_not_grow_with_the_bank(
    admin_client, one_of_each, django_assert_num_queries
):
    path = url(Question, "changelist")
    # session, admin user, the subject filter's subjects and their ancestors' names (the
    # two queries of SubjectPathListFilter), COUNT of the filtered and of all questions (the
    # same here), the page of questions joined to subject.
    with django_assert_num_queries(7):
        assert admin_client.get(path).status_code == 200
    for subject in SubjectFactory.create_batch(5, parent=one_of_each.subject):
        QuestionFactory.create_batch(4, subject=subject)
    with django_assert_num_queries(7):  # the same with 21 questions under 8 subjects as 1
        assert admin_client.get(path).status_code == 200
