"""The demo learner has an open assessment to submit through the API (README's curl)."""

from assessments.models import Exam
from attempts.api.submissions import public_ids as ids
from lms.models import User
from tests.attempts.api.submissions.conftest import LIST, client_for
from tests.lms.demo.seeding import seed_content


def test_the_demo_learner_lists_and_submits_the_general_studies_quiz(db):
    output = seed_content()
    assert "/api/v1/assessments" in output
    learner = User.objects.get(username="learner")
    quiz = Exam.objects.get(title="General Studies Quiz")
    listed = client_for(learner).get(LIST, {"per_page": 100}).json()["data"]
    assert ids.of_uuid(ids.ASSESSMENT, quiz.uuid) in [row["id"] for row in listed]
    questions = client_for(learner).get(f"{LIST}/{ids.of_uuid(ids.ASSESSMENT, quiz.uuid)}").json()
    first = questions["questions"][0]
    body = {"answers": [{"question_id": first["id"], "choice_ids": [first["choices"][0]["id"]]}]}
    url = f"{LIST}/{ids.of_uuid(ids.ASSESSMENT, quiz.uuid)}/submissions"
    for attempt_number in (1, 2):  # unlimited attempts
        response = client_for(learner).post(url, body, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["attempt_number"] == attempt_number
