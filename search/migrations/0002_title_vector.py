"""PostgreSQL: a title-only tsvector + GIN index (suggestions, "title matches first")."""

from django.db import migrations

from search import index
from search.operations import VendorRunSQL


class Migration(migrations.Migration):
    dependencies = [("search", "0001_fulltext_index")]

    operations = [
        VendorRunSQL(
            "postgresql",
            sql=index.pg_title_forward_sql(index.search_config()),
            reverse_sql=index.pg_title_reverse_sql(index.search_config()),
        ),
    ]
