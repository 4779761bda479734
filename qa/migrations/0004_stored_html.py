"""Posts keep the HTML rendered from their Markdown, so page views never parse Markdown."""

from django.db import migrations, models


def render_existing(apps, schema_editor) -> None:
    from qa.services import posts_rerender

    posts_rerender(
        models=(apps.get_model("qa", "Question"), apps.get_model("qa", "Answer")),
        only_missing=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("qa", "0003_question_id_created_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="answer",
            name="text_html",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="question",
            name="text_html",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(render_existing, migrations.RunPython.noop, elidable=True),
    ]
