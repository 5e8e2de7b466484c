from django.db import migrations, models


class Migration(migrations.Migration):
    """The evaluation queue's index: essays awaiting marks in the queue's order (updated_at,
    id) with their attempt, so its capped count is an index-only scan that stops after 1,001
    entries (at 1M it was a bitmap of all 47k pending answers, then their heap rows). It
    replaces ``useranswer_pending`` (updated_at only, the same condition), its prefix."""

    dependencies = [
        ("attempts", "0013_started_index_covers_state"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="useranswer",
            index=models.Index(
                condition=models.Q(("result", "pending")),
                fields=["updated_at", "id", "attempt"],
                name="useranswer_pending_queue",
            ),
        ),
        migrations.RemoveIndex(
            model_name="useranswer",
            name="useranswer_pending",
        ),
    ]
