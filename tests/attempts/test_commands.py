from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from attempts.models import Attempt
from tests import play
from tests.attempts.conftest import NOW


def test_rescore_exam_reports_what_it_did_and_applies_new_marks(kit):
    attempt = kit.start()
    kit.answer(attempt, "single", choices=[0])
    play.submit(attempt, now=NOW)
    kit.eq["single"].marks = Decimal("7")
    kit.eq["single"].save()
    out, err = StringIO(), StringIO()
    call_command("rescore_exam", str(kit.exam.pk), stdout=out, stderr=err)
    attempt.refresh_from_db()
    assert attempt.score == Decimal("7.00")
    assert "Rescored 1 attempt(s)" in out.getvalue()
    assert "1/1" in err.getvalue()  # the progress bar reached the end


@pytest.mark.django_db
def test_rescore_exam_names_an_unknown_exam():
    with pytest.raises(CommandError, match="No exam with id 999"):
        call_command("rescore_exam", "999", stdout=StringIO(), stderr=StringIO())


def test_finalize_overdue_completes_and_counts(kit, monkeypatch):
    attempt = kit.start()
    monkeypatch.setattr("attempts.services.timezone.now", lambda: NOW + timedelta(hours=2))
    out = StringIO()
    call_command("finalize_overdue", stdout=out)
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.COMPLETED
    assert "Finalized 1 overdue attempt(s)." in out.getvalue()
