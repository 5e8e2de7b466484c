"""The one cleaning rule for stored question and choice HTML (Hardening, item 9): on the way
in, on the way out (pages and the Testpress API), and for rows stored before it."""

import importlib

import pytest
from django.apps import apps

from assessments.html import clean_html
from assessments.models import AnswerChoice, Question
from tests.attempts import conftest as attempts_conftest
from tests.attempts.api.testpress.contract import answers_url, jwt_client
from tests.factories import AnswerChoiceFactory, QuestionFactory
from tests.play import submit

# The kit exam of the attempt tests (tests/attempts/conftest.py), for the pages and the API.
kit = attempts_conftest.kit

TRACKER = '<img src="https://tracker.example/pixel.png?q=1">'
HOSTILE = f'<p>Light {TRACKER}<script>alert(1)</script><b onclick="x()">bends</b></p>'


class TestTheRule:
    @pytest.mark.parametrize(
        ("html", "cleaned"),
        [
            (TRACKER, "<img>"),
            ('<img src="//tracker.example/p.png">', "<img>"),
            ('<img src="\\\\tracker.example/p.png">', "<img>"),
            ('<img src="/static/diagram.png">', '<img src="/static/diagram.png">'),
            ('<img src="diagram.png">', '<img src="diagram.png">'),
            ('<img src="data:image/png;base64,AAAA">', '<img src="data:image/png;base64,AAAA">'),
            ('<img src="data:text/html,<b>">', "<img>"),
            (
                '<a href="https://example.org">x</a>',
                '<a href="https://example.org" rel="noopener noreferrer">x</a>',
            ),
            ('<a href="data:text/html,hi">x</a>', '<a rel="noopener noreferrer">x</a>'),
            ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
            ("<script>alert(1)</script>ok", "ok"),
            ('<b onclick="x()">b</b>', "<b>b</b>"),
            ("<p>Plain <em>text</em></p>", "<p>Plain <em>text</em></p>"),
        ],
    )
    def test_cleaning(self, html, cleaned):
        assert clean_html(html) == cleaned
        assert clean_html(cleaned) == cleaned  # idempotent

    def test_a_listed_host_may_serve_images(self, settings):
        settings.QUESTION_IMAGE_HOSTS = ["cdn.school.example"]
        kept = '<img src="https://cdn.school.example/a.png">'
        assert clean_html(kept) == kept
        assert clean_html(TRACKER) == "<img>"


@pytest.mark.django_db
class TestOnTheWayIn:
    def test_questions_and_choices_are_stored_clean(self):
        question = QuestionFactory(text_html=HOSTILE, explanation_html=TRACKER)
        choice = AnswerChoiceFactory(question=question, text_html=HOSTILE)

        stored = Question.objects.get(pk=question.pk)
        assert stored.text_html == "<p>Light <img><b>bends</b></p>"
        assert stored.explanation_html == "<img>"
        assert AnswerChoice.objects.get(pk=choice.pk).text_html == stored.text_html

    def test_rows_stored_before_the_rule_are_cleaned_by_the_migration(self):
        question = QuestionFactory()
        Question.objects.filter(pk=question.pk).update(text_html=HOSTILE)  # around save()
        migration = importlib.import_module("assessments.migrations.0005_clean_stored_html")

        migration.clean_stored_html(apps, None)

        assert Question.objects.get(pk=question.pk).text_html == clean_html(HOSTILE)


@pytest.mark.django_db
class TestOnTheWayOut:
    def test_the_testpress_api_serves_clean_html_of_rows_stored_raw(self, kit):
        question = kit.eq["single"].question
        Question.objects.filter(pk=question.pk).update(text_html=HOSTILE)
        AnswerChoice.objects.filter(pk=kit.choices["single"][0].pk).update(text_html=TRACKER)
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])
        attempt = submit(attempt)

        body = jwt_client(kit.instructor).get(answers_url(attempt.pk)).content.decode()

        assert "tracker.example" not in body
        assert "<script>" not in body
        assert "onclick" not in body

    def test_the_attempt_page_serves_clean_html_of_rows_stored_raw(self, client, kit):
        question = kit.eq["single"].question
        Question.objects.filter(pk=question.pk).update(text_html=HOSTILE)
        attempt = submit(kit.start())
        client.force_login(kit.instructor)

        html = client.get(f"/attempts/{attempt.pk}/").content.decode()

        assert "tracker.example" not in html
        assert "<p>Light <img><b>bends</b></p>" in html
