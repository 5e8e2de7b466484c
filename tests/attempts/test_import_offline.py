"""Results taken on paper: ``attempts_import_offline``, its command and its admin upload."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from attempts import services
from attempts.errors import NotAllowedError
from attempts.models import Attempt, AttemptEvent, UserAnswer
from attempts.webhooks.relay import load_statuses
from tests.factories import StaffFactory
from tests.play import NOW

HEADER = ["username", "exam", "started_at", "completed_at", "q1", "q2", "q3", "q4", "q5", "q6"]
STARTED, COMPLETED = "2026-09-30T09:00:00+00:00", "2026-09-30T09:40:00+00:00"


def sheet(kit, *rows):
    """A CSV file's rows as ``csv.DictReader`` gives them: each row the answers q1..q6."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    for username, answers in rows:
        writer.writerow([username, str(kit.exam.uuid), STARTED, COMPLETED, *answers])
    return text.getvalue()


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


# single A (key A): +4; multiple "A,B" of key ABC: partial 2; true/false B (key A): -1;
# numeric 9.8 (9.81 ± 0.05): +4; short "Paris": +4; essay: pending, 0.
GOOD = ["A", "A,B", "B", "9.8", "Paris", "Light bends."]


def test_a_good_file_creates_finished_scored_attempts(kit, django_assert_num_queries):
    admin = StaffFactory()
    bob = kit.enrol("bob")
    text = sheet(kit, ("ada", GOOD), ("bob", ["b", "", "A", "", "paris", ""]))
    # savepoint; 1 users, 2 exams, 3 enrolments, 4-5 the exam's marking, 6 attempt numbers,
    # 7 attempts, 8 answers, 9 chosen choices, 10 events, 11 the rank population; release.
    # The stored sums add 7: the learners' attempts at the exam locked before the inserts
    # (none) and read after them, the completed one's answers grouped by the QuestionTally
    # key and its picks by the ChoiceTally key, one upsert per tally table.
    with django_assert_num_queries(20):
        report = services.attempts_import_offline(rows=rows_of(text), actor=admin, now=NOW)
    assert (report.rows, report.imported, report.errors) == (2, 2, [])
    ada = Attempt.objects.get(user=kit.learner)
    assert ada.state == Attempt.State.PENDING_EVALUATION  # the essay awaits marks
    assert ada.score == Decimal("13")  # 4 + 2 - 1 + 4 + 4 + 0
    assert ada.max_score == Decimal("24")
    assert (ada.correct_count, ada.partial_count, ada.incorrect_count) == (3, 1, 1)
    assert ada.pending_count == 1
    assert ada.started_at.isoformat() == STARTED
    assert ada.completed_at - ada.started_at == timedelta(minutes=40)
    assert ada.attempt_number == 1
    chosen = {
        a.exam_question_id: sorted(c.pk for c in a.selected_choices.all())
        for a in UserAnswer.objects.filter(attempt=ada)
    }
    assert chosen[kit.eq["multiple"].pk] == [
        kit.choices["multiple"][0].pk,
        kit.choices["multiple"][1].pk,
    ]
    assert chosen[kit.eq["true_false"].pk] == [kit.choices["true_false"][1].pk]
    numeric = UserAnswer.objects.get(attempt=ada, exam_question=kit.eq["numeric"])
    assert numeric.numeric_response == Decimal("9.8")
    assert numeric.result == "correct"
    bobs = Attempt.objects.get(user=bob)
    # single B: -1; true/false A: +4; short "paris" (case ignored): +4; three blank: 0
    assert bobs.score == Decimal("7")
    assert (bobs.correct_count, bobs.incorrect_count, bobs.unanswered_count) == (2, 1, 3)
    event = AttemptEvent.objects.get(attempt=ada)
    assert event.kind == AttemptEvent.Kind.IMPORTED
    assert event.details == {"source": "offline", "answers": 6}
    assert event.actor_id == admin.pk


def test_imported_attempts_take_the_next_numbers(kit):
    admin = StaffFactory()
    text = sheet(kit, ("ada", GOOD), ("ada", ["B"]))
    services.attempts_import_offline(rows=rows_of(text), actor=admin, now=NOW)
    services.attempts_import_offline(rows=rows_of(sheet(kit, ("ada", ["A"]))), actor=admin, now=NOW)
    numbers = sorted(
        Attempt.objects.filter(user=kit.learner).values_list("attempt_number", flat=True)
    )
    assert numbers == [1, 2, 3]


def test_one_bad_row_imports_nothing_and_names_row_and_column(kit):
    kit.enrol("bob")
    text = sheet(kit, ("ada", GOOD), ("bob", ["A", "A", "A", "nine", "", ""]), ("ada", ["E"]))
    report = services.attempts_import_offline(rows=rows_of(text), actor=StaffFactory(), now=NOW)
    assert report.imported == 0
    assert [str(e) for e in report.errors] == [
        "line 3, column q4: “nine” is not a number.",
        "line 4, column q1: Choose among A, B, C, D.",
    ]
    assert not Attempt.objects.exists()
    assert not AttemptEvent.objects.exists()


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"username": "nobody"}, "username", "No user “nobody”."),
        ({"exam": "not-a-uuid"}, "exam", "“not-a-uuid” is not an exam id (a uuid)."),
        ({"started_at": "yesterday"}, "started_at", "Not a date and time"),
        ({"completed_at": "2026-09-30T08:00:00+00:00"}, "completed_at", "ends before it starts"),
        ({"completed_at": "2026-12-30T08:00:00+00:00"}, "completed_at", "in the future"),
        ({"q1": "AB"}, "q1", "Choose one option only."),
        ({"q1": "7"}, "q1", "is not a choice letter"),
        ({"q4": "1e20"}, "q4", "too many digits"),
        ({"q4": "NaN"}, "q4", "is not a number"),
        ({"q6": "x" * 50_001}, "q6", "longer than 50,000 characters"),
        ({"q7": "A"}, "q7", "The exam has 6 questions."),
    ],
)
def test_each_refusal_names_its_column(kit, cells, column, message):
    row = dict(zip(HEADER, ["ada", str(kit.exam.uuid), STARTED, COMPLETED, *GOOD], strict=True))
    report = services.attempts_import_offline(
        rows=[{**row, **cells}], actor=StaffFactory(), now=NOW
    )
    (error,) = report.errors
    assert (error.line, error.column) == (2, column)
    assert message in error.message
    assert not Attempt.objects.exists()


def test_a_learner_not_enrolled_is_refused(kit):
    from tests.factories import UserFactory

    UserFactory(username="eve")
    report = services.attempts_import_offline(
        rows=rows_of(sheet(kit, ("eve", GOOD))), actor=StaffFactory(), now=NOW
    )
    assert [(e.line, e.column) for e in report.errors] == [(2, "username")]


def test_a_wrong_header_is_refused_on_line_one(kit):
    rows = [{"username": "ada", "exam": str(kit.exam.uuid), "started_at": STARTED, "Q1": "A"}]
    report = services.attempts_import_offline(rows=rows, actor=StaffFactory(), now=NOW)
    assert [str(e) for e in report.errors] == [
        "line 1, column completed_at: This column is missing.",
        "line 1, column Q1: Unknown column: expected q1, q2…",
    ]


def test_only_admins_import(kit):
    with pytest.raises(NotAllowedError):
        services.attempts_import_offline(
            rows=rows_of(sheet(kit, ("ada", GOOD))), actor=kit.instructor, now=NOW
        )


def test_the_webhook_payload_of_an_imported_attempt_says_offline(kit):
    services.attempts_import_offline(
        rows=rows_of(sheet(kit, ("ada", GOOD))), actor=StaffFactory(), now=NOW
    )
    attempt = Attempt.objects.get()
    status = load_statuses([attempt.pk])[attempt.pk]
    assert status["dataSource"] == "offline"
    assert status["scoreRaw"] == 13.0
    assert status["completedDateTime"] == "2026-09-30T09:40:00"


def test_the_command_imports_a_good_file(kit, tmp_path):
    StaffFactory(username="boss")
    path = tmp_path / "paper.csv"
    path.write_bytes(b"\xef\xbb\xbf" + sheet(kit, ("ada", GOOD)).encode())  # Excel's BOM
    out = io.StringIO()
    call_command(
        "import_offline_attempts", str(path), "--as", "boss", stdout=out, stderr=io.StringIO()
    )
    assert out.getvalue().strip() == "Imported 1 attempt(s)."
    assert Attempt.objects.get().score == Decimal("13")


def test_the_command_reports_the_refused_rows_and_imports_nothing(kit, tmp_path):
    StaffFactory(username="boss")
    path = tmp_path / "paper.csv"
    path.write_text(sheet(kit, ("ada", GOOD), ("ada", ["", "", "", "x"])))
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"Nothing imported: 1 error\(s\) in 2 row\(s\)\."):
        call_command(
            "import_offline_attempts", str(path), "--as", "boss", "--no-progress", stderr=err
        )
    assert err.getvalue().strip() == "line 3, column q4: “x” is not a number."
    assert not Attempt.objects.exists()


def test_the_command_refuses_a_non_admin(kit, tmp_path):
    path = tmp_path / "paper.csv"
    path.write_text(sheet(kit, ("ada", GOOD)))
    with pytest.raises(CommandError, match="Only administrators"):
        call_command("import_offline_attempts", str(path), "--as", "teacher", stderr=io.StringIO())


UPLOAD = "admin:attempts_attempt_import_offline"


def test_the_admin_upload_imports_a_good_file(admin_client, kit):
    changelist = admin_client.get(reverse("admin:attempts_attempt_changelist"))
    assert reverse(UPLOAD) in changelist.content.decode()  # the link on the list
    file = io.BytesIO(sheet(kit, ("ada", GOOD)).encode())
    file.name = "paper.csv"
    response = admin_client.post(reverse(UPLOAD), {"file": file}, follow=True)
    assert response.redirect_chain == [(reverse("admin:attempts_attempt_changelist"), 302)]
    assert "Imported 1 attempt(s) taken on paper." in response.content.decode()
    assert Attempt.objects.get().score == Decimal("13")


def test_the_admin_upload_shows_the_report_and_imports_nothing(admin_client, kit):
    file = io.BytesIO(sheet(kit, ("ada", GOOD), ("ada", ["Z"])).encode())
    file.name = "paper.csv"
    response = admin_client.post(reverse(UPLOAD), {"file": file})
    assert response.status_code == 200
    report = response.context["report"]
    assert [str(e) for e in report.errors] == ["line 3, column q1: Choose among A, B, C, D."]
    html = response.content.decode()
    assert "Nothing was imported: 1 error in 2 rows." in html
    assert "<td>3</td><td>q1</td><td>Choose among A, B, C, D.</td>" in html
    assert not Attempt.objects.exists()


def test_the_admin_upload_refuses_a_file_that_is_not_utf8(admin_client, kit):
    file = io.BytesIO("username\nzoë\n".encode("latin-1"))
    file.name = "paper.csv"
    response = admin_client.post(reverse(UPLOAD), {"file": file})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": ["The file is not UTF-8 text (save it as “CSV UTF-8”)."]
    }


def test_the_admin_upload_is_for_admins_only(client, kit):
    kit.instructor.is_staff = True
    kit.instructor.save(update_fields=["is_staff"])
    client.force_login(kit.instructor)
    assert client.get(reverse(UPLOAD)).status_code == 403
    changelist = client.get(reverse("admin:attempts_attempt_changelist"))
    assert reverse(UPLOAD) not in changelist.content.decode()
