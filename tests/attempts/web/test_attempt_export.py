"""The attempt list's exports (attempts/web/exports.py): CSV with a BOM, typed XLSX with a
styled, frozen and filtered header, separate learner columns, per-question marks on request,
the same 400 as the page for bad input, and a query budget that does not grow with the rows.

Data: the kit exam (6 questions × 4 marks, max 24, negative 1, 60 minutes), played through
the services; expected values worked out beside them.
"""

import csv
import io
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.urls import reverse
from django.utils.timezone import localtime
from openpyxl import load_workbook

from assessments.models import ExamQuestion
from attempts.models import Attempt
from attempts.services import attempt_open
from attempts.statistics.ranking import rank_table
from attempts.web import exports
from attempts.web.exports import ATTEMPT_FIELDS, attempt_rows, chunks_of
from tests.attempts.conftest import NOW
from tests.play import submit

D = Decimal
POSTGRESQL = connections["default"].vendor == "postgresql"

HEADER = [
    "Attempt id",
    "Attempt number",
    "Learner name",
    "Username",
    "Email",
    "State",
    "Started (UTC)",
    "Completed (UTC)",
    "Time taken",
    "Correct",
    "Incorrect",
    "Partial",
    "Unanswered",
    "Awaiting marking",
    "Score",
    "Max score",
    "Percentage",
    "Result",
    "Rank",
]


def url(exam, query=""):
    return reverse("exam-attempts", args=[exam.pk]) + query


@pytest.fixture
def played(kit):
    """Zoë (non-ASCII name): single right, true/false wrong: 4 - 1 = 3 of 24 = 12.50 %, fail,
    submitted after 25 minutes. ada: still running (overdue by the wall clock)."""
    zoe = kit.enrol("zoe", display_name="Zoë Ærø", email="zoe@example.com")
    attempt = kit.start(zoe)
    kit.answer(attempt, "single", choices=[0])
    kit.answer(attempt, "true_false", choices=[1])
    done = submit(attempt, now=NOW + timedelta(minutes=25))
    running = kit.start(now=NOW + timedelta(minutes=1))
    return done, running


def csv_table(response) -> tuple[bytes, list[list[str]]]:
    raw = b"".join(response.streaming_content)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


class TestCsv:
    def test_starts_with_a_bom_and_has_separate_learner_columns(self, client, kit, played):
        done, running = played
        client.force_login(kit.instructor)
        response = client.get(url(kit.exam, "?sort=attempt_number&export=csv"))
        assert response.status_code == 200
        raw, table = csv_table(response)
        assert raw.startswith("\ufeff".encode())  # Excel reads UTF-8 only with it
        assert table[0] == HEADER
        by_user = {row[3]: row for row in table[1:]}
        assert by_user["zoe"] == [
            str(done.pk),
            "1",
            "Zoë Ærø",
            "zoe",
            "zoe@example.com",
            "Completed",
            "2026-10-01 09:00:00",
            "2026-10-01 09:25:00",
            "0:25:00",
            "1",  # correct: single
            "1",  # incorrect: true/false
            "0",
            "4",  # unanswered
            "0",
            "3.00",
            "24.00",
            "12.50",
            "Fail",
            "1",
        ]
        # Running and overdue: no completion, score or percentage yet; time capped at 1:00:30.
        ada = by_user["ada"]
        assert (ada[0], ada[5], ada[7], ada[8], ada[14], ada[15], ada[16], ada[17]) == (
            str(running.pk),
            "Overdue",
            "",
            "1:00:30",
            "",
            "24.00",
            "",
            "In progress",
        )

    def test_one_column_of_marks_per_question_on_request(self, client, kit, played):
        done, _ = played
        client.force_login(kit.instructor)
        _, table = csv_table(client.get(url(kit.exam, "?state=1&export=csv&questions=1")))
        # Kit order: single, multiple, true/false, numeric, short text, essay; 4 marks each.
        assert table[0][len(HEADER) :] == [f"Q{n} (4.00)" for n in range(1, 7)]
        assert table[1][len(HEADER) :] == ["4.00", "0.00", "-1.00", "0.00", "0.00", "0.00"]
        # The per-question marks add up to the score column.
        assert sum(D(cell) for cell in table[1][len(HEADER) :]) == D(table[1][14])

    def test_the_zone_of_the_times_is_the_users(self, client, kit, played):
        kit.instructor.time_zone = "Asia/Kolkata"
        kit.instructor.save()
        client.force_login(kit.instructor)
        _, table = csv_table(client.get(url(kit.exam, "?state=1&export=csv")))
        assert table[0][6:8] == ["Started (Asia/Kolkata)", "Completed (Asia/Kolkata)"]
        assert table[1][6] == "2026-10-01 14:30:00"


class TestXlsx:
    def test_typed_cells_and_a_styled_frozen_filtered_header(self, client, kit, played):
        client.force_login(kit.instructor)
        response = client.get(url(kit.exam, "?state=1&export=xlsx&questions=1"))
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        rows = list(sheet.values)
        assert list(rows[0][: len(HEADER)]) == HEADER
        row = rows[1]
        assert row[2] == "Zoë Ærø"
        assert row[6] == datetime(2026, 10, 1, 9, 0, tzinfo=UTC).replace(tzinfo=None)  # a date
        assert sheet.cell(row=2, column=7).number_format == "yyyy-mm-dd hh:mm"
        assert row[8] == timedelta(minutes=25)  # a real duration
        assert sheet.cell(row=2, column=9).number_format == "[h]:mm:ss"
        assert (row[14], row[15], row[16]) == (3, 24, 12.5)  # numbers
        assert row[len(HEADER) :] == (4, 0, -1, 0, 0, 0)
        header = sheet.cell(row=1, column=1)
        assert header.font.bold
        assert header.fill.fgColor.rgb.endswith("1F4E79")
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == "A1:Y2"  # 19 + 6 columns, header and one row
        assert sheet.column_dimensions["C"].width == 24  # learner name

    def test_text_that_looks_like_a_formula_stays_text(self, client, kit):
        evil = kit.enrol("mallory", display_name="=HYPERLINK(1)")
        submit(kit.start(evil), now=NOW + timedelta(minutes=5))
        client.force_login(kit.instructor)
        response = client.get(url(kit.exam, "?export=xlsx"))
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        assert sheet.cell(row=2, column=3).data_type == "s"


class TestBadInput:
    @pytest.mark.parametrize(
        "query", ["?score_min=abc", "?page=0", "?sort=nope", "?which=worst", "?per_page=9999"]
    )
    @pytest.mark.parametrize("export", ["csv", "xlsx"])
    def test_the_same_400_page_as_the_list(self, client, kit, played, query, export):
        client.force_login(kit.instructor)
        page = client.get(url(kit.exam, query))
        exported = client.get(url(kit.exam, f"{query}&export={export}"))
        assert page.status_code == exported.status_code == 400
        assert exported["Content-Type"].startswith("text/html")

    def test_another_courses_instructor_gets_404(self, client, kit, played):
        from tests.factories import CourseFactory, UserFactory

        other = UserFactory()
        CourseFactory(instructors=[other])
        client.force_login(other)
        assert client.get(url(kit.exam, "?export=csv")).status_code == 404


class TestBudget:
    @pytest.mark.parametrize("learners", [1, 6])
    def test_the_queries_do_not_grow_with_the_rows(
        self, client, kit, learners, django_assert_num_queries
    ):
        for i in range(learners):
            submit(kit.start(kit.enrol(f"l{i}")), now=NOW + timedelta(minutes=5))
        client.force_login(kit.instructor)
        # session, user, is-reviewer, exam, rank table, page of attempts (the table is
        # built as for the page), the rows counted against EXPORT_BACKGROUND_ABOVE (up to
        # it), the exam's questions, then on PostgreSQL the COPY of the rows with their
        # marks; on SQLite the rows (one chunk) and their marks (one query for the chunk)
        with django_assert_num_queries(9 if POSTGRESQL else 10):
            response = client.get(url(kit.exam, "?export=csv&questions=1"))
            _, table = csv_table(response)
        assert len(table) == learners + 1


@pytest.fixture
def every_state(kit, played):
    """Beside zoe (completed, 3 of 24, fail) and ada (running since NOW + 1 min, deadline an
    hour later): carl's attempt awaits its essay, dora opened the exam without starting, and
    eve took it twice (4 of 24, then 0): the first policy ranks only her first attempt."""
    carl = kit.enrol("carl", display_name="", first_name="Carl", last_name="Nielsen")
    attempt = kit.start(carl, now=NOW + timedelta(minutes=2))
    kit.answer(attempt, "essay", text="Because.")
    submit(attempt, now=NOW + timedelta(minutes=20))
    dora = kit.enrol("dora", display_name="")
    attempt_open(user=dora, exam=kit.exam, now=NOW + timedelta(minutes=3))
    eve = kit.enrol("eve")
    first = kit.start(eve, now=NOW + timedelta(minutes=4))
    kit.answer(first, "single", choices=[0])
    submit(first, now=NOW + timedelta(minutes=10))
    submit(kit.start(eve, now=NOW + timedelta(minutes=11)), now=NOW + timedelta(minutes=12))


class TestRows:
    """The export reads tuples, not attempts: every cell must still say what the models say
    (``state_label``, ``time_taken``, ``result_label``, ``User.name``, the rank table)."""

    @pytest.mark.parametrize("minutes", [40, 180])  # ada running, then overdue
    def test_each_cell_is_what_the_model_says(self, kit, every_state, minutes):
        now = NOW + timedelta(minutes=minutes)
        zone = ZoneInfo("Asia/Kolkata")
        attempts = Attempt.objects.filter(exam=kit.exam).select_related("user").order_by("pk")
        ranks = rank_table(kit.exam.pk)
        header, *rows = attempt_rows(attempts, now=now, ranks=ranks, zone=zone)
        assert header == [*HEADER[:6], *(f"{h[:-5]}(Asia/Kolkata)" for h in HEADER[6:8]),
                          *HEADER[8:]]  # fmt: skip

        def local(value):
            return None if value is None else localtime(value, zone).replace(tzinfo=None)

        expected = [
            [
                a.pk,
                a.attempt_number,
                a.user.name,
                a.user.username,
                a.user.email,
                a.state_label(now),
                None if a.state == Attempt.State.NOT_STARTED else local(a.started_at),
                local(a.completed_at),
                a.time_taken(now),
                a.correct_count,
                a.incorrect_count,
                a.partial_count,
                a.unanswered_count,
                a.pending_count,
                a.score if a.is_finished else None,
                a.max_score,
                a.percentage if a.is_finished else None,
                a.result_label,
                "" if ranks.rank_of(a) is None else ranks.rank_of(a),
            ]
            for a in attempts
        ]
        assert rows == expected
        # The cases the lookups must cover are all there.
        assert {row[5] for row in rows} == {
            "Completed",
            "Pending evaluation",
            "Not started",
            "Running" if minutes == 40 else "Overdue",
        }
        assert {row[2] for row in rows} >= {"Carl Nielsen", "dora", "Zoë Ærø"}
        assert [row[18] for row in rows if row[3] == "eve"] == [1, ""]  # first ranked only
        assert sorted(row[17] for row in rows) == sorted(
            ["Fail", "In progress", "Awaiting marking", "Not started", "Fail", "Fail"]
        )


class TestCsvTextRows:
    """The CSV is written from rows made text in ``attempt_rows``' own loop
    (``as_csv=True``) and joined without the csv module: it must be byte for byte what the
    csv module writes from the typed rows (``csv_lines`` with the columns' kinds)."""

    # What the csv module quotes or a spreadsheet would run: commas, quotes, line breaks,
    # formula prefixes, number-like text, leading spaces, non-ASCII, empty.
    TRICKY = [
        'Zoë "Z" Ærø',
        "Nielsen, Carl",
        "two\nlines",
        "cr\rhere",
        "=HYPERLINK(1)",
        "+1",
        "-1.50",
        "-x",
        "@home",
        "\tTab",
        " spaced ",
        "'quoted'",
        "",
    ]

    @pytest.mark.parametrize("text", TRICKY)
    def test_a_text_field_is_what_the_csv_module_writes(self, text):
        line = csv.writer(exports._Echo()).writerow([exports.escape_formula(text), 1])
        assert f"{exports.csv_field(text)},1\r\n" == line

    @pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/New_York"])
    @pytest.mark.parametrize("minutes", [40, 180])  # ada running, then overdue
    def test_the_same_bytes_as_the_csv_module_from_typed_rows(
        self, kit, every_state, zone, minutes
    ):
        for i, name in enumerate(self.TRICKY):
            learner = kit.enrol(f"t{i}", display_name=name, email=f"t{i},x@example.com")
            submit(kit.start(learner), now=NOW + timedelta(minutes=i + 1))
        now, zone = NOW + timedelta(minutes=minutes), ZoneInfo(zone)
        attempts = Attempt.objects.filter(exam=kit.exam).order_by("pk")
        ranks = rank_table(kit.exam.pk)
        questions = [(eq.pk, f"Q{n}") for n, eq in enumerate(kit.eq.values(), 1)]
        kinds = [column.kind for column in exports.attempt_columns(zone)]
        typed = attempt_rows(attempts, now=now, ranks=ranks, zone=zone, questions=questions)
        text = attempt_rows(
            attempts, now=now, ranks=ranks, zone=zone, questions=questions, as_csv=True
        )
        expected = "".join(exports.csv_lines(typed, kinds))
        written = "".join(exports.csv_text_lines(text))
        assert written == expected
        # Every kind of cell was there to compare: quoted, escaped, empty, times, marks.
        assert '"Zoë ""Z"" Ærø"' in written
        assert "'=HYPERLINK(1)" in written
        assert len(list(csv.reader(io.StringIO(written)))) == 6 + len(self.TRICKY) + 1


class TestReadAhead:
    """On PostgreSQL a thread fetches the next chunks while the rows of the last are written
    (``exports.read_ahead``): the same chunks in the same order, its errors raised to the
    writer, and a writer that stops early stops it."""

    def test_the_same_chunks_in_order(self):
        chunks = [[i, i + 1] for i in range(0, 40, 2)]
        assert list(exports.read_ahead(iter(chunks))) == chunks

    def test_an_error_of_the_reader_is_raised_to_the_writer(self):
        def failing():
            yield [1]
            raise ConnectionError("server closed the connection")

        read = exports.read_ahead(failing())
        assert next(read) == [1]
        with pytest.raises(ConnectionError, match="server closed"):
            next(read)

    def test_a_writer_that_stops_stops_the_reader(self):
        taken = []

        def endless():
            while True:
                taken.append(len(taken))
                yield [len(taken)]

        read = exports.read_ahead(endless(), depth=2)
        assert next(read) == [1]
        read.close()  # the client went away
        # The reader stopped: at most the queue's depth, the one handed out and one in hand.
        assert len(taken) <= 4
        count = len(taken)
        time.sleep(0.3)
        assert len(taken) == count


class TestWithoutServerSideCursors:
    """PgBouncer in transaction mode needs ``DISABLE_SERVER_SIDE_CURSORS``: then the rows
    come by a deferred join (the ordered ids, then one query by key per chunk), in the same
    order and in chunks all the same."""

    def test_the_setting_turns_streaming_off_on_postgresql(self, monkeypatch):
        connection = connections["default"]
        assert exports.uses_server_side_cursors("default")
        monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
        # SQLite streams from its own cursor whatever the setting says.
        postgres = connection.vendor == "postgresql"
        assert exports.uses_server_side_cursors("default") is not postgres

    def test_the_same_rows_in_the_same_order(
        self, kit, every_state, monkeypatch, django_assert_num_queries
    ):
        queryset = Attempt.objects.filter(exam=kit.exam).order_by("-score", "id")
        expected = list(queryset.values_list(*ATTEMPT_FIELDS))
        assert len(expected) == 6
        with django_assert_num_queries(1):  # the rows, streamed
            streamed = list(chunks_of(queryset, ATTEMPT_FIELDS, 4))
        monkeypatch.setattr(exports, "uses_server_side_cursors", lambda alias: False)
        with django_assert_num_queries(3):  # the ordered ids, then one query per chunk of 4
            joined = list(chunks_of(queryset, ATTEMPT_FIELDS, 4))
        assert [len(chunk) for chunk in streamed] == [len(chunk) for chunk in joined] == [4, 2]
        assert [row for chunk in joined for row in chunk] == expected
        assert [row for chunk in streamed for row in chunk] == expected

    def test_the_csv_is_the_same_file(self, client, kit, every_state, monkeypatch):
        client.force_login(kit.instructor)
        query = "?sort=-score&export=csv&questions=1"
        streamed, _ = csv_table(client.get(url(kit.exam, query)))
        monkeypatch.setattr(exports, "uses_server_side_cursors", lambda alias: False)
        joined, table = csv_table(client.get(url(kit.exam, query)))
        assert joined == streamed
        assert len(table) == 7


class TestCsvWrittenByTheDatabase:
    """On PostgreSQL the CSV is written by the database (``COPY ... TO STDOUT``,
    ``attempts.web.export_copy``): it must be byte for byte the file of the Python path
    (``attempt_rows(as_csv=True)`` joined by ``csv_text_lines``), whatever the names, the
    states, the zone and the ranks. SQLite writes it in Python (the same file, trivially)."""

    # Beyond TestCsvTextRows.TRICKY: what Decimal reads as a number (so not escaped) and
    # what it does not, in the ways the SQL test has to follow Python's.
    NUMBER_LIKE = [
        "-inf",
        "-Infinity",
        "+INF",
        "-nan",
        "-sNaN12",
        "+1_000",
        "-_1",
        "-1e5",
        "-1E+5",
        "-.5",
        "-5.",
        "-in_f",
        "-١٢",
        "- 1",
        "-1 ",
        "-",
        "+",
        "-e5",
        "-0x1",
        "=1+1",
        "@",
        "\r\nx",
        '"',
        ",",
        'ça, "va"\n',
    ]

    def make_learners(self, kit):
        """Every tricky display name, each submitted with nothing answered (score 0: all
        tie for one rank), and names made of first and last names with Python whitespace
        around (``str.strip`` strips more than spaces)."""
        names = TestCsvTextRows.TRICKY + self.NUMBER_LIKE
        for i, name in enumerate(names):
            learner = kit.enrol(f"t{i}", display_name=name, email=f"t{i},x@example.com")
            submit(kit.start(learner), now=NOW + timedelta(minutes=i % 50 + 1))
        spaced = kit.enrol("=spaced", display_name="", first_name="\u2003", last_name="Ærø\n")
        submit(kit.start(spaced), now=NOW + timedelta(minutes=3))
        blank = kit.enrol("+blank", display_name="", first_name="\u3000", last_name="\x1c")
        kit.start(blank, now=NOW + timedelta(minutes=5))  # left running
        return len(names) + 2

    @pytest.mark.parametrize(
        "zone", ["UTC", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe"]
    )
    @pytest.mark.parametrize("minutes", [40, 180])  # ada running, then overdue
    def test_the_same_bytes_as_the_python_path(self, kit, every_state, zone, minutes):
        added = self.make_learners(kit)
        now, zone = NOW + timedelta(minutes=minutes), ZoneInfo(zone)
        attempts = Attempt.objects.filter(exam=kit.exam).select_related("user")
        attempts = attempts.order_by("-score", "started_at", "id")
        ranks = rank_table(kit.exam.pk)
        export = exports.attempt_export(
            attempts, exam=kit.exam, ranks=ranks, now=now, zone=zone, questions=True, as_csv=True
        )
        assert export.options["encoded"] is POSTGRESQL  # written by the database there
        handle = io.BytesIO()
        exports.write_csv(export.rows, handle, **export.options)
        written = handle.getvalue()
        placed = ExamQuestion.objects.filter(exam=kit.exam).order_by("order", "id")
        questions = [
            (eq_id, f"Q{n} ({marks})")
            for n, (eq_id, marks) in enumerate(placed.values_list("id", "marks"), 1)
        ]
        typed = attempt_rows(
            attempts, now=now, ranks=ranks, zone=zone, questions=questions, as_csv=True
        )
        assert written.decode() == "".join(exports.csv_text_lines(typed))
        table = list(csv.reader(io.StringIO(written.decode("utf-8-sig"))))
        assert len(table) == 1 + 6 + added
        # Every case was there: each state word, the escaped and the number-like names, the
        # ties at 0 (one rank for all), a name from first and last names stripped.
        states = {row[5] for row in table[1:]}
        assert states == {
            "Completed",
            "Pending evaluation",
            "Not started",
            "Running" if minutes == 40 else "Overdue",
        }
        names = {row[3]: row[2] for row in table[1:]}
        assert names["t4"] == "'=HYPERLINK(1)"
        assert names["t6"] == "-1.50"
        assert names[f"t{len(TestCsvTextRows.TRICKY)}"] == "'-inf"
        assert names[f"t{len(TestCsvTextRows.TRICKY) + 1}"] == "-Infinity"
        assert names["'=spaced"] == "Ærø"  # the username escaped too
        assert names["'+blank"] == "'+blank"  # no name: the username
        # Ranked: eve's first 4, zoe's 3, then every 0 tied at 3 (eve's retake has none).
        zeros = [row[18] for row in table[1:] if row[14] == "0.00" and row[18]]
        assert len(zeros) == len(TestCsvTextRows.TRICKY + self.NUMBER_LIKE) + 1
        assert set(zeros) == {"3"}
        assert [row[18] for row in table[1:3]] == ["1", "2"]

    def test_the_page_sends_the_same_file_as_the_python_path(
        self, client, kit, every_state, monkeypatch
    ):
        self.make_learners(kit)
        client.force_login(kit.instructor)
        query = "?sort=-score&export=csv&questions=1"
        written, table = csv_table(client.get(url(kit.exam, query)))
        monkeypatch.setattr(exports, "copies_csv", lambda alias, zone: False)
        python, _ = csv_table(client.get(url(kit.exam, query)))
        assert written == python
        assert len(table) == 1 + 6 + len(TestCsvTextRows.TRICKY + self.NUMBER_LIKE) + 2
