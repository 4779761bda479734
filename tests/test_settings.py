import os
import subprocess
import sys
from pathlib import Path

import pytest

from askme.settings import cache_config, email_config

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "SECRET_KEY": "k8#Zq2-vN0p!xR7uT4wY1sB6dF9hJ3mL5cG8aE2iO0rW7yU4tQ1zX6vB3nM9",
    "ALLOWED_HOSTS": "askme.example",
    "SECURE_COOKIES": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def check_deploy(env: dict) -> subprocess.CompletedProcess:
    # The e2e conftest allows sync ORM calls next to Playwright's loop; production never does.
    dev_only = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k not in dev_only}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_with_production_env():
    result = check_deploy(PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout


def test_check_deploy_flags_the_development_key():
    result = check_deploy({k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"})
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_cache_url_switches_backends():
    assert cache_config("")["BACKEND"].endswith("FileBasedCache")
    memcached = cache_config("pymemcache://127.0.0.1:11211,127.0.0.2:11211")
    assert memcached["BACKEND"].endswith("PyMemcacheCache")
    assert memcached["LOCATION"] == ["127.0.0.1:11211", "127.0.0.2:11211"]
    assert memcached["OPTIONS"]["ignore_exc"] is True
    assert cache_config("file:///tmp/askme-cache")["LOCATION"] == "/tmp/askme-cache"
    with pytest.raises(Exception, match="scheme"):
        cache_config("redis://localhost")


def test_email_url_switches_backends():
    assert email_config("")["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
    smtp = email_config("submission://me%40x.org:s3cret@mail.example:587")
    assert smtp["EMAIL_HOST"] == "mail.example" and smtp["EMAIL_PORT"] == 587
    assert smtp["EMAIL_HOST_USER"] == "me@x.org" and smtp["EMAIL_USE_TLS"]
    assert email_config("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")


@pytest.mark.parametrize(
    "missing,warning",
    [("SECURE_HSTS_INCLUDE_SUBDOMAINS", "security.W005"), ("SECURE_HSTS_PRELOAD", "security.W021")],
)
def test_check_deploy_needs_each_hsts_flag(missing, warning):
    result = check_deploy({k: v for k, v in PRODUCTION.items() if k != missing})
    assert result.returncode != 0
    assert warning in result.stderr + result.stdout


@pytest.mark.parametrize("value", ["ture", "enabled", "2", "yes please"])
def test_a_mistyped_flag_fails_loudly(value):
    result = check_deploy({**PRODUCTION, "SECURE_HSTS_PRELOAD": value})
    assert result.returncode != 0
    assert f"SECURE_HSTS_PRELOAD={value!r}" in result.stderr


@pytest.mark.parametrize("value,expected", [("1", True), ("On", True), ("no", False), ("", False)])
def test_flags_take_the_usual_words(monkeypatch, value, expected):
    from askme.settings import env_bool

    monkeypatch.setenv("SOME_FLAG", value)
    assert env_bool("SOME_FLAG", False) is expected


def _database_options(env: dict) -> str:
    code = (
        "from askme import settings; "
        "print(sorted(settings.DATABASES['default'].get('OPTIONS', {}).items()))"
    )
    base = {k: v for k, v in os.environ.items() if k != "DB_PREPARED_STATEMENTS"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_postgresql_prepares_statements_unless_told_not_to():
    url = {"DATABASE_URL": "postgres://askme@db.example/askme"}
    assert "('prepare_threshold', 5), ('server_side_binding', True)" in _database_options(url)
    off = _database_options({**url, "DB_PREPARED_STATEMENTS": "0"})
    assert "server_side_binding" not in off and "prepare_threshold" not in off
    # An operator's own choice in the URL stands.
    mine = _database_options({"DATABASE_URL": url["DATABASE_URL"] + "?prepare_threshold=1"})
    assert "('prepare_threshold', 1)" in mine or "('prepare_threshold', '1')" in mine


@pytest.mark.django_db
def test_a_read_run_again_is_prepared_on_postgresql():
    from django.db import connection

    from qa.models import Question

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    for pk in range(1, 8):
        Question.objects.filter(pk=pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "qa_question"' in statement for statement in prepared), prepared
