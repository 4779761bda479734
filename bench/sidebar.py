"""Sidebar benchmark: why the sidebar is computed by cron and only read by pages.

    .venv/bin/python -m bench.sidebar [--ratio 10000] [--db askme_bench_sidebar] [--rebuild]
                                      [--seconds 10]

On the PostgreSQL cluster of bin/pg.sh it uses a database of its own (built with
`fill_db <ratio>` when missing or of another size), then prints:
  1. each sidebar query and `manage.py refresh_sidebar` as cron runs it (goal: ≤ 1 s);
  2. the query plans (EXPLAIN ANALYZE) of the two queries;
  3. question page requests/s through gunicorn (2 sync workers) measured with wrk, with the
     sidebar read from memcached vs the same page computing it inline on every request.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import GUNICORN, PYTHON, ROOT, free_port, running

# A gunicorn app that computes the sidebar on every request instead of reading the cache.
INLINE_APP = """
from askme.wsgi import application  # noqa: F401  (sets Django up)
import sidebar.templatetags.sidebar as tags
from sidebar.queries import sidebar_compute

tags.sidebar_read = sidebar_compute
"""


def sh(*args, env=None, capture=True) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=ROOT, env=env, capture_output=capture, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{result.stdout}{result.stderr}")
    return result.stdout if capture else ""


def ensure_database(db: str, ratio: int, rebuild: bool, env: dict) -> None:
    sh(ROOT / "bin" / "pg.sh", "start")
    admin = sh(ROOT / "bin" / "pg.sh", "url", "postgres").strip()
    exists = sh("psql", "-At", admin, "-c", f"SELECT 1 FROM pg_database WHERE datname = '{db}'")
    if exists.strip() == "1" and not rebuild:
        questions = sh("psql", "-At", env["DATABASE_URL"], "-c", "SELECT count(*) FROM qa_question")
        if int(questions.strip() or 0) == ratio * 10:
            return
    print(f"building {db} at ratio {ratio} (fill_db) …", flush=True)
    sh("psql", "-q", admin, "-c", f"DROP DATABASE IF EXISTS {db}", "-c", f"CREATE DATABASE {db}")
    sh(PYTHON, "manage.py", "migrate", "--noinput", "-v0", env=env)
    print(sh(PYTHON, "manage.py", "fill_db", str(ratio), "--progress", "off", env=env).strip())


def time_queries(runs: int) -> None:
    import django

    django.setup()
    from django.db import connection

    from sidebar.queries import _activity_sql, best_members, popular_tags, window_start

    since = window_start()
    for name, func in [("popular_tags", popular_tags), ("best_members", best_members)]:
        func(since)  # warm the buffers and the connection
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            func(since)
            times.append((time.perf_counter() - started) * 1000)
        print(f"  {name}(since): median {statistics.median(times):.0f} ms, min {min(times):.0f} ms")

    from qa.models import Question

    tags_sql, tags_params = (
        Question.tags.through.objects.filter(question__created_at__gte=since)
        .values("tag_id", "tag__name")
        .annotate(n=django.db.models.Count("question_id"))
        .order_by("-n", "tag__name")[:10]
        .query.sql_with_params()
    )
    since_db = connection.ops.adapt_datetimefield_value(since)
    plans = [
        ("popular_tags", tags_sql, tags_params),
        ("best_members", _activity_sql(), [since_db, since_db, 10]),
    ]
    with connection.cursor() as cursor:
        for name, sql, params in plans:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF) " + sql, params)
            print(f"\n  plan of {name}:")
            for (line,) in cursor.fetchall():
                print("    " + line)
    connection.close()


def refresh_runs(env: dict, runs: int) -> None:
    inner, wall = [], []
    for _ in range(runs):
        started = time.perf_counter()
        out = sh(PYTHON, "manage.py", "refresh_sidebar", "--force", env=env).strip()
        wall.append((time.perf_counter() - started) * 1000)
        inner.append(int(re.search(r"in (\d+) ms", out).group(1)))
    print(f"  last run says: {out}")
    print(
        f"  refresh_sidebar over {runs} runs: computing + cache write median "
        f"{statistics.median(inner):.0f} ms (min {min(inner)}), whole process as cron runs it "
        f"median {statistics.median(wall):.0f} ms"
    )


def wrk(url: str, seconds: int) -> float:
    sh("wrk", "-t1", "-c4", "-d2s", url)  # warm-up: connections, caches, lazy imports
    out = sh("wrk", "-t1", "-c4", f"-d{seconds}s", "--latency", url)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+(\S+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"{url}: {errors.group(1)} error responses\n{out}")
    return rps, p50


def page_rates(env: dict, seconds: int, question_id: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "inline_sidebar_app.py").write_text(INLINE_APP)
        results = {}
        for label, app, extra in [
            ("cached sidebar (memcached)", "askme.wsgi:application", []),
            ("sidebar computed inline", "inline_sidebar_app:application", ["--pythonpath", tmp]),
        ]:
            port = free_port()
            args = [
                GUNICORN,
                app,
                *extra,
                "--no-control-socket",  # gunicorn 27: none in ~/.gunicorn
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--worker-class",
                "sync",
                "--timeout",
                "120",
            ]
            with running(args, env=env, port=port, timeout=30):
                url = f"http://127.0.0.1:{port}/question/{question_id}/"
                body = sh("curl", "-fsS", url)
                assert "best-members" in body, "the sidebar is not on the page"
                rps, p50 = wrk(url, seconds)
                results[label] = rps
                print(f"  {label:<28} {rps:8.1f} requests/s   median latency {p50}")
        cached, inline = results.values()
        print(f"  the cache makes the question page {cached / inline:.0f}× faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratio", type=int, default=10000)
    parser.add_argument("--db", default="askme_bench_sidebar")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per variant")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for tool in ("psql", "wrk", "memcached", "curl"):
        if not shutil.which(tool):
            sys.exit(f"bench.sidebar needs {tool}")

    env = {
        **os.environ,
        "DATABASE_URL": sh(ROOT / "bin" / "pg.sh", "url", args.db).strip(),
        "LIVE_BACKEND": "off",
        "DJANGO_SETTINGS_MODULE": "askme.settings",
    }
    ensure_database(args.db, args.ratio, args.rebuild, env)
    counts = sh(
        "psql",
        "-At",
        env["DATABASE_URL"],
        "-c",
        "SELECT (SELECT count(*) FROM auth_user) || ' users, ' ||"
        " (SELECT count(*) FROM qa_question) || ' questions, ' ||"
        " (SELECT count(*) FROM qa_answer) || ' answers, ' ||"
        " (SELECT count(*) FROM qa_tag) || ' tags'",
    ).strip()
    print(f"sidebar bench: PostgreSQL database {args.db}: {counts}")

    mc_port = free_port()
    user = ["-u", "nobody"] if os.getuid() == 0 else []
    mc_args = ["memcached", "-l", "127.0.0.1", "-p", mc_port, "-U", "0", "-m", "64", *user]
    with running(mc_args, env=env, port=mc_port, timeout=30):
        env["CACHE_URL"] = f"pymemcache://127.0.0.1:{mc_port}"
        os.environ.update(env)
        print("\nqueries (in one process, warm):")
        time_queries(args.runs)
        print("\nmanage.py refresh_sidebar (a new process each time, as cron starts it):")
        refresh_runs(env, args.runs)
        question_id = sh(
            "psql",
            "-At",
            env["DATABASE_URL"],
            "-c",
            "SELECT id FROM qa_question ORDER BY abs(answers_count - 10), id LIMIT 1",
        ).strip()
        print(
            f"\nquestion page /question/{question_id}/ through gunicorn, 2 sync workers, "
            f"wrk -c4 {args.seconds} s:"
        )
        page_rates(env, args.seconds, int(question_id))


if __name__ == "__main__":
    main()
