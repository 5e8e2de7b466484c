"""Clean the HTML stored before ``assessments.html.clean_html`` ran on the way in."""

from django.db import migrations

from assessments.html import clean_html


def clean_stored_html(apps, schema_editor):
    # Only rows whose HTML changes are written, a batch at a time.
    for model_name, fields in (
        ("Question", ("text_html", "explanation_html")),
        ("AnswerChoice", ("text_html",)),
    ):
        model = apps.get_model("assessments", model_name)
        dirty = []
        for row in model.objects.only("pk", *fields).iterator(chunk_size=2000):
            cleaned = {field: clean_html(getattr(row, field)) for field in fields}
            if any(cleaned[field] != getattr(row, field) for field in fields):
                for field, value in cleaned.items():
                    setattr(row, field, value)
                dirty.append(row)
        model.objects.bulk_update(dirty, fields, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0004_exam_review_policy")]

    operations = [migrations.RunPython(clean_stored_html, migrations.RunPython.noop)]
