"""Search latency at 100k questions, through gunicorn, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.search                      # both databases, 100k questions
    .venv/bin/python -m bench.search --backend sqlite --questions 20000 --requests 200

For each database: its own database (var/bench/search.sqlite3; `askme_bench_search` on the
cluster of `bin/pg.sh start`), migrated, filled once with generated questions (COPY on
PostgreSQL, executemany on SQLite; the full-text triggers index them as they go in), then its own
gunicorn on a free port. Requests go one at a time (latency, not throughput) over keep-alive-less
HTTP like a browser's first fetch:
- suggest: what a user typing sends — the first words of a real title, the last one cut to a
  prefix of 2+ letters ("volupt", "dolor sit am");
- results page: one or two whole words, page 1 (and some page 2), snippets and all.
Prints p50/p95/p99 per endpoint; the goal for suggest is p95 ≤ 50 ms.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import GUNICORN, ROOT, free_port, percentile, running

VAR = Path(os.environ.get("VAR_DIR", ROOT / "var")) / "bench"
PYTHON = sys.executable
PG_DB = "askme_bench_search"
SEED = 7


# -- data ---------------------------------------------------------------------------------


def fill(n_questions: int) -> None:
    """In a child process with DATABASE_URL set: add questions until there are n."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askme.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone
    from faker.providers.lorem.en_US import Provider as Lorem

    from accounts.models import Profile
    from qa.models import Question

    user_model = get_user_model()
    have = Question.objects.count()
    if have >= n_questions:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics for the planner after migrations
        print(f"  {have} questions already there", flush=True)
        return
    rng = random.Random(SEED + have)
    words = list(Lorem.word_list)
    # Body words follow a Zipf-like law (a few words are everywhere, most are rare); titles
    # pick from the same vocabulary uniformly.
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(words))]
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    started = time.monotonic()
    with transaction.atomic():
        if not user_model.objects.filter(username="bench0").exists():
            users = user_model.objects.bulk_create(
                user_model(username=f"bench{i}", email=f"bench{i}@example.com", password="!")
                for i in range(200)
            )
            Profile.objects.bulk_create(
                [Profile(user=u, display_name=f"Bench {u.pk}") for u in users],
                ignore_conflicts=True,
            )
        author_ids = list(
            user_model.objects.filter(username__startswith="bench").values_list("pk", flat=True)
        )
        now = timezone.now()
        cols = "author_id, title, text, created_at, rating, answers_count"

        def rows(count: int):
            for _ in range(count):
                title = " ".join(rng.choices(words, k=rng.randint(4, 10))).capitalize() + "?"
                body = rng.choices(words, cum_weights=cumulative, k=rng.randint(30, 160))
                text = " ".join(body).capitalize() + "."
                yield (rng.choice(author_ids), title, text, now, rng.randint(-3, 30), 0)

        missing = n_questions - have
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY qa_question ({cols}) FROM STDIN") as copy:
                    for row in rows(missing):
                        copy.write_row(row)
            else:
                batch = []
                sql = f"INSERT INTO qa_question ({cols}) VALUES (%s, %s, %s, %s, %s, %s)"
                for row in rows(missing):
                    batch.append(row)
                    if len(batch) == 5000:
                        cursor.executemany(sql, batch)
                        batch = []
                cursor.executemany(sql, batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  added {missing} questions in {time.monotonic() - started:.1f} s", flush=True)


def sample_titles(env: dict, n: int) -> list[str]:
    code = (
        "import random; from qa.models import Question; "
        "ids = list(Question.objects.values_list('pk', flat=True)); "
        f"random.seed({SEED}); pick = random.sample(ids, {n}); "
        "print('\\n'.join(Question.objects.filter(pk__in=pick).values_list('title', flat=True)))"
    )
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in out.splitlines() if line.endswith("?")]


def typed_queries(titles: list[str], rng: random.Random) -> list[str]:
    """What the suggest endpoint sees while someone types the start of a title."""
    queries = []
    for title in titles:
        words = title.rstrip("?").lower().split()
        n = rng.randint(1, min(3, len(words)))
        last = words[n - 1]
        cut = rng.randint(min(2, len(last)), len(last))
        queries.append(" ".join([*words[: n - 1], last[:cut]]))
    return queries


def page_queries(titles: list[str], rng: random.Random) -> list[str]:
    queries = []
    for title in titles:
        words = title.rstrip("?").lower().split()
        queries.append(" ".join(rng.sample(words, k=min(len(words), rng.randint(1, 2)))))
    return queries


# -- serving and measuring ----------------------------------------------------------------


def gunicorn(workers: int, port: int, label: str) -> list:
    return [
        GUNICORN,
        "askme.wsgi:application",
        "--no-control-socket",  # gunicorn 27: none in ~/.gunicorn
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--pid",
        VAR / f"gunicorn-search-{label}.pid",
    ]


def measure(base: str, path: str, queries: list[str], extra: dict | None = None) -> list[float]:
    import requests

    timings = []
    for q in queries:
        params = {"q": q, **(extra or {})}
        started = time.perf_counter()
        response = requests.get(base + path, params=params, timeout=30)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{path}?q={q!r} → {response.status_code}")
        timings.append(elapsed * 1000)
    return timings


def summary(label: str, timings: list[float]) -> str:
    return (
        f"  {label:<26} n={len(timings):<4} p50 {percentile(timings, 50):6.1f} ms   "
        f"p95 {percentile(timings, 95):6.1f} ms   p99 {percentile(timings, 99):6.1f} ms   "
        f"mean {statistics.fmean(timings):6.1f} ms"
    )


def database_url(backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{VAR / 'search.sqlite3'}"
    subprocess.run([str(ROOT / "bin" / "pg.sh"), "start"], check=True)
    url = subprocess.run(
        [str(ROOT / "bin" / "pg.sh"), "url", PG_DB], check=True, capture_output=True, text=True
    ).stdout.strip()
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB]).fetchone():
            conn.execute(f"CREATE DATABASE {PG_DB}")
    return url


def run(backend: str, args: argparse.Namespace) -> dict:
    print(f"== {backend}: {args.questions} questions ==", flush=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(backend),
        "CACHE_URL": f"file://{VAR / 'search-cache'}",
        "LIVE_BACKEND": "off",
        "DEBUG": "0",
    }
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [PYTHON, "-m", "bench.search", "--fill", str(args.questions)], cwd=ROOT, env=env, check=True
    )
    rng = random.Random(SEED)
    titles = sample_titles(env, args.requests)
    typed = typed_queries(titles, rng)
    pages = page_queries(titles[: args.requests // 2], rng)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (
        open(VAR / f"gunicorn-search-{backend}.log", "ab") as log,
        running(gunicorn(args.workers, port, backend), env=env, port=port, log=log),
    ):
        measure(base, "/search/suggest/", typed[:30])  # warm up every worker
        measure(base, "/search/", pages[:10])
        results = {
            "suggest": measure(base, "/search/suggest/", typed),
            "results page 1": measure(base, "/search/", pages),
            "results page 2": measure(base, "/search/", pages[: len(pages) // 2], {"page": 2}),
        }
    for label, timings in results.items():
        print(summary(label, timings), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--fill", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        fill(args.fill)
        return
    VAR.mkdir(parents=True, exist_ok=True)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        run(backend, args)


if __name__ == "__main__":
    main()
