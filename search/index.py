"""The full-text index, kept up to date by the database itself.

PostgreSQL: a `search_vector` tsvector column on qa_question (title weight A, text weight B)
and a small title-only `search_title`, filled by a trigger, each with a GIN index. A trigger
rather than a generated column so that other apps' migrations can still ALTER the title and
text columns.

SQLite: an FTS5 table over qa_question (external content, so the text is stored once) kept in
sync by insert/update/delete triggers. Django rebuilds a SQLite table for some schema changes,
which drops its triggers: `ensure_index` (run after every migrate) puts them back and rebuilds.
"""

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper

FTS_TABLE = "search_question_fts"
TITLE_WEIGHT = 10.0  # bm25 column weights: title, text
TEXT_WEIGHT = 1.0
SQLITE_TRIGGERS = ("search_question_ai", "search_question_ad", "search_question_au")
PG_TRIGGERS = ("search_question_vector_ins", "search_question_vector_upd")


def search_config() -> str:
    """settings.SEARCH_CONFIG, checked: it is spliced into DDL as a literal."""
    name = settings.SEARCH_CONFIG
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name or ""):
        raise ImproperlyConfigured(f"SEARCH_CONFIG {name!r} is not a text search config name")
    return name


# -- PostgreSQL ---------------------------------------------------------------------------


def pg_function_sql(config: str, with_title: bool = True) -> str:
    """The trigger function; `with_title` is False only for migration 0001 (before 0002)."""
    title = (
        f"  NEW.search_title := to_tsvector('{config}'::regconfig, coalesce(NEW.title, ''));\n"
        if with_title
        else ""
    )
    return f"""
CREATE OR REPLACE FUNCTION search_question_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('{config}'::regconfig, coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('{config}'::regconfig, coalesce(NEW.text, '')), 'B');
{title}  RETURN NEW;
END
$$"""


def pg_forward_sql(config: str) -> list[str]:
    return [
        "ALTER TABLE qa_question ADD COLUMN search_vector tsvector",
        pg_function_sql(config, with_title=False),
        "CREATE TRIGGER search_question_vector_ins BEFORE INSERT ON qa_question "
        "FOR EACH ROW EXECUTE FUNCTION search_question_vector()",
        "CREATE TRIGGER search_question_vector_upd BEFORE UPDATE OF title, text ON qa_question "
        "FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title "
        "OR OLD.text IS DISTINCT FROM NEW.text) EXECUTE FUNCTION search_question_vector()",
        pg_comment_sql(config),
        pg_fill_sql(config, with_title=False),
        "CREATE INDEX search_question_vector_gin ON qa_question USING gin (search_vector)",
    ]


def pg_title_forward_sql(config: str) -> list[str]:
    """Migration 0002: a title-only vector, small and never TOASTed, for suggestions and the
    "title matches first" test (ts_filter on the full vector had to read it whole)."""
    return [
        "ALTER TABLE qa_question ADD COLUMN search_title tsvector",
        pg_function_sql(config),
        pg_comment_sql(config),
        f"UPDATE qa_question SET search_title = to_tsvector('{config}'::regconfig, "
        "coalesce(title, ''))",
        "CREATE INDEX search_question_title_gin ON qa_question USING gin (search_title)",
    ]


def pg_title_reverse_sql(config: str) -> list[str]:
    return [
        pg_function_sql(config, with_title=False),
        "DROP INDEX IF EXISTS search_question_title_gin",
        "ALTER TABLE qa_question DROP COLUMN IF EXISTS search_title",
    ]


def pg_comment_sql(config: str) -> str:
    """The config the index was built with, so a changed SEARCH_CONFIG is noticed."""
    return f"COMMENT ON FUNCTION search_question_vector() IS 'config={config}'"


def pg_fill_sql(config: str, with_title: bool = True) -> str:
    title = (
        f", search_title = to_tsvector('{config}'::regconfig, coalesce(title, ''))"
        if with_title
        else ""
    )
    return (
        "UPDATE qa_question SET search_vector = "
        f"setweight(to_tsvector('{config}'::regconfig, coalesce(title, '')), 'A') || "
        f"setweight(to_tsvector('{config}'::regconfig, coalesce(text, '')), 'B'){title}"
    )


PG_REVERSE_SQL = [
    "DROP TRIGGER IF EXISTS search_question_vector_upd ON qa_question",
    "DROP TRIGGER IF EXISTS search_question_vector_ins ON qa_question",
    "DROP FUNCTION IF EXISTS search_question_vector()",
    "DROP INDEX IF EXISTS search_question_vector_gin",
    "ALTER TABLE qa_question DROP COLUMN IF EXISTS search_vector",
]


# -- SQLite -------------------------------------------------------------------------------

SQLITE_TABLE_SQL = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, text, content='qa_question', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('rank', "
    f"'bm25({TITLE_WEIGHT}, {TEXT_WEIGHT})')",
]
SQLITE_TRIGGER_SQL = [
    f"""CREATE TRIGGER IF NOT EXISTS search_question_ai AFTER INSERT ON qa_question BEGIN
  INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text);
END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_question_ad AFTER DELETE ON qa_question BEGIN
  INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text)
    VALUES ('delete', old.id, old.title, old.text);
END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_question_au AFTER UPDATE OF title, text ON qa_question
WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN
  INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text)
    VALUES ('delete', old.id, old.title, old.text);
  INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text);
END""",
]
SQLITE_REBUILD_SQL = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"
SQLITE_FORWARD_SQL = [*SQLITE_TABLE_SQL, *SQLITE_TRIGGER_SQL, SQLITE_REBUILD_SQL]
SQLITE_REVERSE_SQL = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS),
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


# -- upkeep -------------------------------------------------------------------------------


def ensure_index(connection: BaseDatabaseWrapper) -> bool:
    """Repair the index after a migrate; True when something had to be done.

    SQLite: re-create triggers lost in a table rebuild, then rebuild the index.
    PostgreSQL: rebuild when SEARCH_CONFIG differs from the one the index was built with.
    """
    if connection.vendor == "postgresql":
        return _pg_ensure_config(connection)
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name IN "
            f"('{FTS_TABLE}', {', '.join(repr(n) for n in SQLITE_TRIGGERS)})"
        )
        present = {row[0] for row in cursor.fetchall()}
        if FTS_TABLE not in present or present >= {FTS_TABLE, *SQLITE_TRIGGERS}:
            return False
        for statement in [*SQLITE_TRIGGER_SQL, SQLITE_REBUILD_SQL]:
            cursor.execute(statement)
    return True


def _pg_ensure_config(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('search_question_vector()') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return False  # search's migration has not run (yet)
        cursor.execute("SELECT obj_description('search_question_vector()'::regprocedure)")
        if cursor.fetchone()[0] == f"config={search_config()}":
            return False
    rebuild_index(connection)
    return True


def rebuild_index(connection: BaseDatabaseWrapper) -> None:
    """Recompute the whole index, e.g. after changing SEARCH_CONFIG on PostgreSQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            config = search_config()
            cursor.execute(pg_function_sql(config))
            cursor.execute(pg_comment_sql(config))
            cursor.execute(pg_fill_sql(config))
        elif connection.vendor == "sqlite":
            ensure_index(connection)
            cursor.execute(SQLITE_REBUILD_SQL)
