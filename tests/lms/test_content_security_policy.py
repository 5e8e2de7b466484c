"""Content-Security-Policy (django-csp, lms/settings.py): our own origin only, nothing inline.

The browser journey (tests/browser/test_instructor_journey.py) checks that chromium reports no
violation on the pages; here: the header, and templates that need no 'unsafe-inline'.
"""

import re
from pathlib import Path

import pytest

from tests.factories import CourseFactory, UserFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def test_pages_send_a_policy_without_unsafe_inline(client):
    teacher = UserFactory(username="teacher")
    CourseFactory(instructors=[teacher])
    client.force_login(teacher)
    for url in ("/accounts/login/", "/courses/", "/evaluations/", "/my/attempts/"):
        directives = policy(client.get(url))
        assert directives["default-src"] == ["'self'"], url
        assert directives["script-src"] == ["'self'"], url
        assert directives["style-src"] == ["'self'"], url
        assert directives["frame-ancestors"] == ["'none'"], url


def test_api_docs_load_their_init_script_from_a_url_not_inline(client):
    response = client.get("/api/docs/")
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    html = response.content.decode()
    assert re.search(r"<script>|<style>", html) is None
    assert '<script src="/api/docs/?script="></script>' in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")


@pytest.mark.parametrize(
    ("what", "pattern"),
    [
        ("inline <script>", r"<script(?![^>]*\bsrc=)[^>]*>"),
        ("inline <style>", r"<style\b"),
        ("style attribute", r"\sstyle\s*="),
        ("event handler attribute", r"\son[a-z]+\s*="),
        ("javascript: URL", r"javascript:"),
    ],
)
@pytest.mark.django_db(False)
def test_templates_have_nothing_inline(what, pattern):
    # Everything the policy would block without 'unsafe-inline', in every template we ship.
    found = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(pattern, path.read_text(), flags=re.IGNORECASE)
    ]
    assert found == [], f"{what} in {found}"
