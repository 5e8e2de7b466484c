from django.db import migrations, models


class Migration(migrations.Migration):
    """``attempt_started`` gains the state as a last key column, so that a deep offset page of
    a list filtered by state (Thought Industries' excludes the not started) reads its ids by
    an index-only scan instead of fetching each skipped row from the table."""

    dependencies = [
        ("attempts", "0012_list_order_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="attempt", name="attempt_started"),
        migrations.AddIndex(
            model_name="attempt",
            index=models.Index(fields=["started_at", "id", "state"], name="attempt_started"),
        ),
    ]
