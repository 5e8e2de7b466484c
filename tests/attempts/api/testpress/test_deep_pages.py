"""Deep pages of ``GET /api/v2.5/admin/attempts/`` by a keyset hidden in ``next``: the same
rows as ``page=N`` alone (an offset), read from the row before the page.

``DEFERRED_JOIN_FROM`` (1,000 rows in production) is 6 here: pages of 3, so the ``next`` of
page 2 (page 3 starts 6 rows in) is the first to carry ``after``.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from attempts import paging
from attempts.api.testpress import pagination
from tests.attempts.api.testpress.contract import LIST_URL, jwt_client
from tests.attempts.api.testpress.scenarios import at, hand_built
from tests.factories import ExamFactory

PER_PAGE = 3


@pytest.fixture
def eleven(db, monkeypatch, clock):
    """Eleven completed attempts of one exam whose dates and counts tie in groups (three
    dates, three correct counts, two unanswered counts): most pages split a tie. The clock is
    frozen: a body shows durations up to now."""
    monkeypatch.setattr(paging, "DEFERRED_JOIN_FROM", 6)
    exam = ExamFactory()
    return [
        hand_built(exam, started_at=at(1 + n % 3), correct=n % 3, unanswered=(n // 3) % 2).pk
        for n in range(11)
    ]


def query(link):
    return parse_qs(urlsplit(link).query)


def walk(client, params):
    """Every page's body, following ``next`` from page 1."""
    bodies, url = [client.get(LIST_URL, params).json()], None
    while url := bodies[-1]["next"]:
        bodies.append(client.get(url).json())
    return bodies


class TestFollowingNext:
    @pytest.mark.parametrize(
        "ordering", [None, "date", "-correct_answers_count", "unanswered_count"]
    )
    def test_each_page_holds_the_rows_of_the_same_page_by_offset(self, staff, eleven, ordering):
        client = jwt_client(staff)
        params = {"per_page": PER_PAGE} | ({"ordering": ordering} if ordering else {})
        bodies = walk(client, params)
        assert len(bodies) == 4
        for number, body in enumerate(bodies, start=1):
            by_offset = client.get(LIST_URL, {**params, "page": number}).json()
            assert body["results"] == by_offset["results"]
            assert body["count"] == by_offset["count"] == 11
        listed = [row["id"] for body in bodies for row in body["results"]]
        assert sorted(listed) == sorted(eleven)  # each once

    def test_after_appears_from_the_first_deep_page_on(self, staff, eleven):
        bodies = walk(jwt_client(staff), {"per_page": PER_PAGE})
        links = [query(body["next"]) for body in bodies[:-1]]
        # Page 2 starts 3 rows in (an offset page), pages 3 and 4 start 6 and 9 rows in.
        assert [link["page"] for link in links] == [["2"], ["3"], ["4"]]
        assert ["after" in link for link in links] == [False, True, True]
        assert bodies[-1]["next"] is None
        # ``previous`` is a plain page number whatever the request carried.
        assert query(bodies[3]["previous"]) == {"page": ["3"], "per_page": ["3"]}

    def test_an_order_in_two_directions_is_read_by_offset(self, staff, eleven):
        client = jwt_client(staff)
        params = {"per_page": PER_PAGE, "ordering": "-date,correct_answers_count"}
        body = client.get(LIST_URL, {**params, "page": 2}).json()
        assert query(body["next"]) == {
            "page": ["3"],
            "per_page": ["3"],
            "ordering": [params["ordering"]],
        }

    def test_a_keyset_page_is_three_queries(self, staff, eleven, django_assert_num_queries):
        client = jwt_client(staff)
        link = client.get(LIST_URL, {"per_page": PER_PAGE, "page": 2}).json()["next"]
        # 1. the token's user, 2. count of the attempts, 3. the attempts after the key (and
        # one more) joined with their user and exam: no ids query, no offset.
        with django_assert_num_queries(3):
            body = client.get(link).json()
        assert len(body["results"]) == PER_PAGE


class TestAnAfterFromElsewhere:
    """An ``after`` that is not ours, or not for this page of this list, is ignored: the page
    is read by offset, with the rows ``page=N`` alone gives."""

    @pytest.fixture
    def deep_link(self, staff, eleven):
        client = jwt_client(staff)
        link = client.get(LIST_URL, {"per_page": PER_PAGE, "page": 2}).json()["next"]
        return client, query(link)

    def offset_ids(self, client, **params):
        body = client.get(LIST_URL, {"per_page": PER_PAGE, **params}).json()
        return [row["id"] for row in body["results"]]

    def ids(self, client, **params):
        response = client.get(LIST_URL, {"per_page": PER_PAGE, **params})
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    def test_an_altered_after(self, deep_link):
        client, link = deep_link
        altered = link["after"][0][:-2] + "xx"
        assert self.ids(client, page=3, after=altered) == self.offset_ids(client, page=3)

    def test_an_after_for_another_page(self, deep_link):
        client, link = deep_link
        assert self.ids(client, page=4, after=link["after"][0]) == self.offset_ids(client, page=4)

    def test_an_after_for_another_order(self, deep_link):
        client, link = deep_link
        other = {"page": 3, "ordering": "date"}
        assert self.ids(client, **other, after=link["after"][0]) == self.offset_ids(client, **other)

    def test_a_key_signed_by_someone_else(self, deep_link):
        client, link = deep_link
        payload = signing.loads(link["after"][0], salt=pagination.AFTER_SALT)
        forged = signing.dumps(payload, salt="another salt")
        assert self.ids(client, page=3, after=forged) == self.offset_ids(client, page=3)


def test_the_schema_documents_after_and_the_deep_pages(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"][LIST_URL]["get"]
    (after,) = [p for p in operation["parameters"] if p["name"] == "after"]
    assert (after["in"], after["required"], after["schema"]) == ("query", False, {"type": "string"})
    assert "never built by hand" in after["description"]
    assert "follow `next` as given" in operation["description"]
    page = schema["components"]["schemas"]["PaginatedAdminAttemptList"]
    assert "`after`" in page["properties"]["next"]["description"]
