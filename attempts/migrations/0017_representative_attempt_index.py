from django.db import migrations, models


class Migration(migrations.Migration):
    """iSpring's module results at 1M attempts. ``attempt_representative``: the attempt that
    stands for a learner at an exam (``counts_for_rank`` first, then the latest number) is
    the last entry of (user, exam) read backwards, where ``attempt_unique_number`` made each
    row of a page read and sort every attempt of the pair. ``attemptevent_entered``: the
    started and resumed events (viewsCount) by attempt, a few among a million events that
    the page's count otherwise found by scanning them all."""

    dependencies = [
        ("attempts", "0016_exportjob_progressed_at"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="attempt",
            index=models.Index(
                fields=["user", "exam", "counts_for_rank", "attempt_number"],
                name="attempt_representative",
            ),
        ),
        migrations.AddIndex(
            model_name="attemptevent",
            index=models.Index(
                condition=models.Q(("kind__in", ["started", "resumed"])),
                fields=["attempt"],
                name="attemptevent_entered",
            ),
        ),
    ]
