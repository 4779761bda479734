"""The question–tag table gets its model (qa.QuestionTag) and each row its question's date, so
that a tag's list is read in its order from one index of this table."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_question_dates(apps, schema_editor) -> None:
    QuestionTag = apps.get_model("qa", "QuestionTag")
    Question = apps.get_model("qa", "Question")
    date = Question._base_manager.filter(pk=OuterRef("question_id")).values("created_at")[:1]
    QuestionTag.objects.update(created_at=Subquery(date))


class Migration(migrations.Migration):
    dependencies = [
        ("qa", "0007_comment_on_question_idx"),
    ]

    operations = [
        # The table Django made for the many-to-many (id, question_id, tag_id, unique pair) is
        # this model's as it stands: only the migration state learns about it.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="QuestionTag",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "question",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, to="qa.question"
                            ),
                        ),
                        (
                            "tag",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, to="qa.tag"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "qa_question_tags",
                        "unique_together": {("question", "tag")},
                    },
                ),
                migrations.AlterField(
                    model_name="question",
                    name="tags",
                    field=models.ManyToManyField(
                        blank=True, related_name="questions", through="qa.QuestionTag", to="qa.tag"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="questiontag",
            name="created_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(copy_question_dates, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="questiontag",
            name="created_at",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="questiontag",
            index=models.Index(
                fields=["tag", "-created_at", "-question"], name="question_tag_new_idx"
            ),
        ),
    ]
