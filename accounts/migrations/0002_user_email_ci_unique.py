"""One account per e-mail address, whatever its case, enforced by the database.

The form's check (email_unused) alone let twenty parallel signups create five accounts with one
address. A unique index on LOWER(email) for non-empty addresses works on SQLite and PostgreSQL.
Addresses already used twice keep the oldest account's; the later accounts' are cleared (their
owners are asked for one on the profile page), and the migration says how many.
"""

from django.conf import settings
from django.db import migrations
from django.db.models.functions import Lower

INDEX = "accounts_user_email_ci_uniq"


def dedupe_then_index(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    seen, cleared = set(), []
    rows = User.objects.exclude(email="").annotate(key=Lower("email")).order_by("pk")
    for pk, key in rows.values_list("pk", "key").iterator():
        if key in seen:
            cleared.append(pk)
        seen.add(key)
    if cleared:
        User.objects.filter(pk__in=cleared).update(email="")
        print(f"\n  cleared the e-mail of {len(cleared)} accounts that repeated an older one's")
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"CREATE UNIQUE INDEX {quote(INDEX)} ON {quote(User._meta.db_table)} "
        f"(LOWER({quote('email')})) WHERE {quote('email')} <> ''"
    )


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(INDEX)}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        # After every auth migration: on SQLite an ALTER of auth_user remakes the table and
        # would drop an index it does not know about.
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(dedupe_then_index, drop_index)]
