"""Export jobs (attempts/export_jobs.py, attempts/web/export_jobs.py): an attempt list export
of more rows than ``EXPORT_BACKGROUND_ABOVE`` (XLSX; ``EXPORT_CSV_BACKGROUND_ABOVE`` for CSV)
becomes a job with a progress page; its file is
the direct export's file; who may see it is ``lms.access.export_jobs_visible_to``; a failure
leaves no file; ``purge_exports`` deletes old jobs and files.

Data: the kit exam (6 questions × 4 marks, 60 minutes). Zoë scores 4 (single right), Bo 3
(single right, true/false wrong), Cy 0 (nothing answered), all submitted; ada's attempt is
still running, overdue by the wall clock (its time is capped at 1:00:30 whatever "now").
"""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from attempts import export_jobs, tasks
from attempts.export_jobs import export_job_request, export_job_run, reporting
from attempts.models import ExportJob
from tests.factories import CourseFactory, StaffFactory, UserFactory
from tests.play import NOW, submit


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def four(kit):
    """Three submitted attempts and ada's running one: four rows."""
    zoe = kit.start(kit.enrol("zoe", display_name='Zoë, "Z" Ærø'))
    kit.answer(zoe, "single", choices=[0])
    submit(zoe, now=NOW + timedelta(minutes=20))
    bo = kit.start(kit.enrol("bo"), now=NOW + timedelta(minutes=2))
    kit.answer(bo, "single", choices=[0])
    kit.answer(bo, "true_false", choices=[1])
    submit(bo, now=NOW + timedelta(minutes=30))
    submit(
        kit.start(kit.enrol("cy"), now=NOW + timedelta(minutes=3)), now=NOW + timedelta(minutes=9)
    )
    kit.start(now=NOW + timedelta(minutes=1))
    return kit


def above(settings, rows: int) -> None:
    """Exports of more than ``rows`` rows become jobs, in both formats."""
    settings.EXPORT_BACKGROUND_ABOVE = settings.EXPORT_CSV_BACKGROUND_ABOVE = rows


def url(exam, query=""):
    return reverse("exam-attempts", args=[exam.pk]) + query


def files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def xlsx_values(raw: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(raw)).active.values)


class TestThreshold:
    def test_up_to_the_threshold_the_file_comes_with_the_response(self, client, four, settings):
        above(settings, 4)  # the four rows: not more than it
        client.force_login(four.instructor)
        response = client.get(url(four.exam, "?export=csv"))
        assert response.status_code == 200
        slug = four.exam.title.lower().replace(" ", "-")
        assert response["Content-Disposition"] == f'attachment; filename="attempts-{slug}.csv"'
        assert body(response).decode("utf-8-sig").count("\r\n") == 5  # header and 4 rows
        assert not ExportJob.objects.exists()

    def test_above_it_a_job_is_started_and_its_page_shown(self, client, four, settings):
        above(settings, 2)  # the three completed attempts are more
        client.force_login(four.instructor)
        assert not ExportJob.objects.exists()
        response = client.get(url(four.exam, "?state=1&sort=-score&page=1&export=xlsx&questions=1"))
        job = ExportJob.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("export-job", args=[job.pk])
        # What was asked: the rows' filters and sort, not the page nor the export itself.
        assert (job.requested_by, job.exam, job.format, job.questions) == (
            four.instructor,
            four.exam,
            "xlsx",
            True,
        )
        assert job.query == "state=1&sort=-score"
        assert job.time_zone == "UTC"
        # No broker in the tests: the task ran inline, as in the embedded demo.
        assert job.state == "done"

    def test_a_filtered_list_under_the_threshold_stays_direct(self, client, four, settings):
        above(settings, 3)
        client.force_login(four.instructor)
        response = client.get(url(four.exam, "?state=0&export=csv"))  # ada's only
        assert response.status_code == 200
        assert not ExportJob.objects.exists()

    def test_each_format_has_its_threshold(self, client, four, settings):
        # XLSX is written whole before its first byte; CSV streams from its first row.
        settings.EXPORT_BACKGROUND_ABOVE, settings.EXPORT_CSV_BACKGROUND_ABOVE = 3, 4
        client.force_login(four.instructor)
        assert client.get(url(four.exam, "?export=csv")).status_code == 200
        assert not ExportJob.objects.exists()
        assert client.get(url(four.exam, "?export=xlsx")).status_code == 302
        assert ExportJob.objects.get().format == "xlsx"

    def test_the_list_says_where_the_thresholds_are(self, client, four, settings):
        settings.EXPORT_BACKGROUND_ABOVE, settings.EXPORT_CSV_BACKGROUND_ABOVE = 20_000, 10**6
        client.force_login(four.instructor)
        page = client.get(url(four.exam)).content.decode()
        assert (
            "Files of more than 20,000 rows (CSV: 1,000,000) are prepared in the background" in page
        )


class TestTheJobsFile:
    """The job writes the very file the page's direct export sends, for the same query."""

    @pytest.mark.parametrize(
        "query", ["", "?sort=-score&questions=1", "?state=1&score_min=1&sort=learner"]
    )
    def test_csv_byte_for_byte(self, client, four, settings, query):
        client.force_login(four.instructor)
        joiner = "&" if query else "?"
        direct = body(client.get(url(four.exam, f"{query}{joiner}export=csv")))
        above(settings, 0)
        page = client.get(url(four.exam, f"{query}{joiner}export=csv"))
        job = ExportJob.objects.get()
        download = client.get(reverse("export-job-download", args=[job.pk]))
        assert page.status_code == 302
        assert download.status_code == 200
        assert download["Content-Type"] == "text/csv; charset=utf-8"
        assert download["Content-Disposition"].endswith(
            f'filename="attempts-{four.exam.title.lower().replace(" ", "-")}.csv"'
        )
        assert body(download) == direct
        assert direct.count(b"\r\n") == 1 + (2 if "state=1&score_min" in query else 4)

    def test_xlsx_cell_for_cell(self, client, four, settings):
        client.force_login(four.instructor)
        query = "?sort=-score&questions=1&export=xlsx"
        direct = xlsx_values(body(client.get(url(four.exam, query))))
        above(settings, 0)
        client.get(url(four.exam, query))
        job = ExportJob.objects.get()
        download = client.get(reverse("export-job-download", args=[job.pk]))
        assert download["Content-Type"].startswith("application/vnd.openxmlformats")
        assert xlsx_values(body(download)) == direct
        # By score, then the newer first: ada's running attempt (0 so far) ties with Cy's 0.
        assert [row[3] for row in direct[1:]] == ["zoe", "bo", "ada", "cy"]
        assert len(direct[0]) == 19 + 6  # every column and one per question

    def test_the_times_are_in_the_requesters_zone(self, client, four, settings):
        four.instructor.time_zone = "Asia/Kolkata"
        four.instructor.save()
        above(settings, 0)
        client.force_login(four.instructor)
        client.get(url(four.exam, "?sort=attempt_number&state=1&export=csv"))
        job = ExportJob.objects.get()
        assert job.time_zone == "Asia/Kolkata"
        lines = body(client.get(reverse("export-job-download", args=[job.pk]))).decode()
        assert "Started (Asia/Kolkata)" in lines
        assert "2026-10-01 14:30:00" in lines  # Zoë started 09:00 UTC


class TestProgress:
    def test_reported_every_so_many_rows_and_at_the_end(self):
        reports = []
        rows = reporting(iter([["h"], [1], [2], [3], [4], [5]]), every=2, report=reports.append)
        passed = [(row, list(reports)) for row in rows]
        # A report comes when a batch has been taken, before the next row: 2, 4, then 5.
        assert passed == [
            (["h"], []),
            ([1], []),
            ([2], []),
            ([3], [2]),
            ([4], [2]),
            ([5], [2, 4]),
        ]
        assert reports == [2, 4, 5]

    def test_the_job_row_shows_the_rows_written(self, four, monkeypatch):
        """While the writer writes, the job row says how many rows are done of how many."""
        seen = []
        real = export_jobs.WRITERS["csv"]

        def watching(rows, handle, **options):
            def watched():
                for row in rows:
                    job = ExportJob.objects.get()
                    seen.append((job.state, job.rows_done, job.rows_total))
                    yield row

            real(watched(), handle, **options)

        monkeypatch.setitem(export_jobs.WRITERS, "csv", watching)
        monkeypatch.setattr(tasks.export_attempts, "delay", lambda pk: None)
        job = export_job_request(
            user=four.instructor,
            exam=four.exam,
            query="",
            file_format="csv",
            questions=False,
            time_zone="UTC",
        )
        assert (job.state, job.rows_done, job.rows_total) == ("queued", 0, 0)
        job = export_job_run(job_id=job.pk, progress_every=3)
        # header, rows 1-3 (none reported yet), row 4 (3 reported); then done: 4 of 4.
        assert seen == [("running", 0, 4)] * 4 + [("running", 3, 4)]
        assert (job.state, job.rows_done, job.rows_total, job.percent_done) == ("done", 4, 4, 100)
        assert job.started_at <= job.finished_at


class TestRequest:
    def test_asking_again_while_it_runs_gives_the_same_job(self, four, monkeypatch):
        sent = []
        monkeypatch.setattr(tasks.export_attempts, "delay", sent.append)
        asked = {
            "user": four.instructor,
            "exam": four.exam,
            "query": "state=1",
            "file_format": "xlsx",
            "questions": False,
            "time_zone": "UTC",
        }
        first = export_job_request(**asked)
        again = export_job_request(**asked)
        other = export_job_request(**{**asked, "file_format": "csv"})
        assert again.pk == first.pk != other.pk
        assert sent == [first.pk, other.pk]
        ExportJob.objects.filter(pk=first.pk).update(state="done")
        assert export_job_request(**asked).pk not in (first.pk, other.pk)

    def test_a_broker_that_refuses_fails_the_job_at_once(self, four, monkeypatch):
        from kombu.exceptions import OperationalError

        def refuse(pk):
            raise OperationalError("connection refused")

        monkeypatch.setattr(tasks.export_attempts, "delay", refuse)
        job = export_job_request(
            user=four.instructor,
            exam=four.exam,
            query="",
            file_format="csv",
            questions=False,
            time_zone="UTC",
        )
        assert job.state == "failed"
        assert job.error == "The task queue did not answer: connection refused"

    def test_a_job_not_queued_is_left_alone(self, four, media):
        job = ExportJob.objects.create(
            requested_by=four.instructor, exam=four.exam, format="csv", state="running"
        )
        assert export_job_run(job_id=job.pk) is None
        job.refresh_from_db()
        assert (job.state, job.rows_done, job.file.name) == ("running", 0, "")
        assert files(media) == []


class TestStalled:
    """A running job whose worker died stops writing progress: after
    ``EXPORT_STALLED_AFTER`` seconds of silence it is failed, and the export can be asked
    for again."""

    ASKED = {"query": "", "file_format": "csv", "questions": False, "time_zone": "UTC"}

    def running(self, four, *, silent_for: timedelta) -> ExportJob:
        return ExportJob.objects.create(
            requested_by=four.instructor,
            exam=four.exam,
            format="csv",
            state="running",
            rows_total=4,
            rows_done=2,
            started_at=timezone.now() - silent_for,
            progressed_at=timezone.now() - silent_for,
        )

    def test_asking_again_fails_the_stalled_job_and_starts_another(
        self, four, settings, monkeypatch
    ):
        settings.EXPORT_STALLED_AFTER = 600
        sent = []
        monkeypatch.setattr(tasks.export_attempts, "delay", sent.append)
        stalled = self.running(four, silent_for=timedelta(seconds=601))

        job = export_job_request(user=four.instructor, exam=four.exam, **self.ASKED)

        assert job.pk != stalled.pk
        assert sent == [job.pk]
        stalled.refresh_from_db()
        assert stalled.state == "failed"
        assert stalled.error == (
            "The worker writing this export stopped before it finished (no progress for 10 "
            "minutes). Ask for the export again."
        )

    def test_a_job_still_moving_is_the_one_given_again(self, four, settings, monkeypatch):
        settings.EXPORT_STALLED_AFTER = 600
        monkeypatch.setattr(tasks.export_attempts, "delay", lambda pk: None)
        moving = self.running(four, silent_for=timedelta(seconds=599))

        job = export_job_request(user=four.instructor, exam=four.exam, **self.ASKED)

        assert job.pk == moving.pk
        assert job.state == "running"

    def test_its_page_says_so_and_stops_reloading(self, client, four, settings):
        settings.EXPORT_STALLED_AFTER = 60
        stalled = self.running(four, silent_for=timedelta(minutes=5))
        client.force_login(four.instructor)

        page = client.get(reverse("export-job", args=[stalled.pk])).content.decode()

        assert "http-equiv" not in page
        assert "The export failed: The worker writing this export stopped" in page

    def test_the_hourly_task_fails_them_too(self, four, settings):
        settings.EXPORT_STALLED_AFTER = 60
        stalled = self.running(four, silent_for=timedelta(minutes=2))
        moving = self.running(four, silent_for=timedelta(seconds=10))

        tasks.purge_exports()

        states = dict(ExportJob.objects.values_list("pk", "state"))
        assert states == {stalled.pk: "failed", moving.pk: "running"}

    def test_a_run_writes_its_progress_time(self, four, monkeypatch):
        monkeypatch.setattr(tasks.export_attempts, "delay", lambda pk: None)
        job = export_job_request(user=four.instructor, exam=four.exam, **self.ASKED)
        assert job.progressed_at is None

        job = export_job_run(job_id=job.pk, progress_every=1)

        assert job.state == "done"
        assert job.started_at < job.progressed_at <= job.finished_at


class TestFailure:
    def test_a_failure_half_way_leaves_no_file_and_says_why(
        self, client, four, settings, monkeypatch, media
    ):
        real = export_jobs.WRITERS["xlsx"]

        def breaking(rows, handle, **options):
            def two_then_fail():
                for number, row in enumerate(rows):
                    if number == 2:
                        raise OSError("No space left on device")
                    yield row

            real(two_then_fail(), handle, **options)

        monkeypatch.setitem(export_jobs.WRITERS, "xlsx", breaking)
        above(settings, 0)
        client.force_login(four.instructor)
        response = client.get(url(four.exam, "?export=xlsx"), follow=True)
        job = ExportJob.objects.get()
        assert (job.state, job.file.name) == ("failed", "")
        assert job.error == "OSError: No space left on device"
        assert job.finished_at is not None
        assert files(media) == []  # nothing half written was kept
        page = response.content.decode()
        assert "The export failed: OSError: No space left on device" in page
        assert "export-download" not in page
        assert client.get(reverse("export-job-download", args=[job.pk])).status_code == 404

    def test_a_requester_who_lost_the_exam_gets_a_failed_job(self, four, monkeypatch):
        monkeypatch.setattr(tasks.export_attempts, "delay", lambda pk: None)
        job = export_job_request(
            user=four.instructor,
            exam=four.exam,
            query="",
            file_format="csv",
            questions=False,
            time_zone="UTC",
        )
        four.course.instructors.remove(four.instructor)
        job = export_job_run(job_id=job.pk)
        assert job.state == "failed"
        assert job.error == "PermissionError: The requester may no longer see this exam's attempts."


class TestPage:
    def test_a_running_job_shows_its_progress_and_reloads_itself(self, client, four):
        job = ExportJob.objects.create(
            requested_by=four.instructor,
            exam=four.exam,
            format="xlsx",
            state="running",
            rows_total=400,
            rows_done=100,
        )
        client.force_login(four.instructor)
        page = client.get(reverse("export-job", args=[job.pk])).content.decode()
        assert '<meta http-equiv="refresh" content="2">' in page
        assert '<progress id="export-progress" value="100" max="400">25 %</progress>' in page
        assert "100 of 400" in page
        assert "export-download" not in page
        assert client.get(reverse("export-job-download", args=[job.pk])).status_code == 404

    def test_a_done_job_offers_its_file_and_stops_reloading(self, client, four, settings):
        above(settings, 0)
        client.force_login(four.instructor)
        page = client.get(url(four.exam, "?export=csv"), follow=True).content.decode()
        job = ExportJob.objects.get()
        assert "refresh" not in page
        assert '<progress id="export-progress" value="4" max="4">100 %</progress>' in page
        assert reverse("export-job-download", args=[job.pk]) in page
        expires = timezone.localtime(job.created_at + timedelta(days=7))
        assert f"kept until {expires:%Y-%m-%d %H:%M} UTC" in page


class TestAccess:
    @pytest.fixture
    def job(self, four, settings, client):
        above(settings, 0)
        client.force_login(four.instructor)
        client.get(url(four.exam, "?export=csv"))
        client.logout()
        return ExportJob.objects.get()

    @pytest.mark.parametrize("view", ["export-job", "export-job-download"])
    def test_another_courses_instructor_gets_404(self, client, job, view):
        other = UserFactory(username="other")
        CourseFactory(instructors=[other])
        client.force_login(other)
        assert client.get(reverse(view, args=[job.pk])).status_code == 404

    @pytest.mark.parametrize("view", ["export-job", "export-job-download"])
    def test_a_learner_gets_404(self, client, four, job, view):
        client.force_login(four.learner)
        assert client.get(reverse(view, args=[job.pk])).status_code == 404

    @pytest.mark.parametrize("view", ["export-job", "export-job-download"])
    def test_anonymous_users_are_sent_to_sign_in(self, client, job, view):
        response = client.get(reverse(view, args=[job.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    @pytest.mark.parametrize("who", ["requester", "co_instructor", "admin"])
    def test_the_requester_the_exams_instructors_and_admins_download(self, client, four, job, who):
        people = {
            "requester": four.instructor,
            "co_instructor": UserFactory(username="co"),
            "admin": StaffFactory(),
        }
        four.course.instructors.add(people["co_instructor"])
        client.force_login(people[who])
        assert client.get(reverse("export-job", args=[job.pk])).status_code == 200
        assert client.get(reverse("export-job-download", args=[job.pk])).status_code == 200

    def test_the_admin_lists_only_the_jobs_the_user_may_see(self, client, four, job):
        mine = UserFactory(username="mine", is_staff=True)
        CourseFactory(instructors=[mine])
        from django.contrib.auth.models import Permission

        mine.user_permissions.add(Permission.objects.get(codename="view_exportjob"))
        client.force_login(mine)
        changelist = reverse("admin:attempts_exportjob_changelist")
        assert list(client.get(changelist).context["cl"].result_list) == []
        four.course.instructors.add(mine)
        assert list(client.get(changelist).context["cl"].result_list) == [job]


class TestPurge:
    def test_old_jobs_and_their_files_go_the_rest_stay(self, client, four, settings, media):
        above(settings, 0)
        client.force_login(four.instructor)
        client.get(url(four.exam, "?export=csv"))
        client.get(url(four.exam, "?export=xlsx"))
        old, new = ExportJob.objects.order_by("pk")
        failed = ExportJob.objects.create(
            requested_by=four.instructor, exam=four.exam, format="csv", state="failed"
        )
        ExportJob.objects.filter(pk__in=[old.pk, failed.pk]).update(
            created_at=timezone.now() - timedelta(days=7, minutes=1)
        )
        assert sorted(path.suffix for path in files(media)) == [".csv", ".xlsx"]
        out = io.StringIO()
        call_command("purge_exports", stdout=out)
        assert "Deleted 2 export job(s)" in out.getvalue()
        assert list(ExportJob.objects.all()) == [new]
        assert [path.suffix for path in files(media)] == [".xlsx"]

    def test_the_days_can_be_given(self, four):
        job = ExportJob.objects.create(requested_by=four.instructor, exam=four.exam, format="csv")
        ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=2))
        call_command("purge_exports", days=3, stdout=io.StringIO())
        assert ExportJob.objects.filter(pk=job.pk).exists()
        call_command("purge_exports", days=1, stdout=io.StringIO())
        assert not ExportJob.objects.exists()
