"""The full-text index over qa_question: tsvector + GIN on PostgreSQL, FTS5 on SQLite."""

from django.db import migrations

from search import index
from search.operations import VendorRunSQL


class Migration(migrations.Migration):
    dependencies = [("qa", "0001_initial")]

    operations = [
        VendorRunSQL(
            "postgresql",
            sql=index.pg_forward_sql(index.search_config()),
            reverse_sql=index.PG_REVERSE_SQL,
        ),
        VendorRunSQL("sqlite", sql=index.SQLITE_FORWARD_SQL, reverse_sql=index.SQLITE_REVERSE_SQL),
    ]
