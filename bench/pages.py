"""Page latency and throughput through nginx + gunicorn: wrk against each page, one table.

    bench/build_db.sh 10000 askme_scale          # once: the ratio-10000 database
    .venv/bin/python -m bench.pages [--db-url postgres://…] [--duration 10] [--high 16]

Starts its own gunicorn (deploy/gunicorn.conf.py, free port) and nginx with the site's own config
(deploy.nginx, free ports, prefix in a temp dir, one worker) against the database, fills the
sidebar cache, warms each URL, then runs wrk twice per URL: one connection (latency: p50, p99)
and --high connections (throughput). Stops what it started. Needs Debian's `wrk` and `nginx`.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import GUNICORN, PYTHON, ROOT, Nginx, free_port, running


def urls() -> list[tuple[str, str]]:
    """The pages of the issue, picked from the data: the busiest tag, question and user."""
    from django.db.models import Count

    from qa.models import QUESTIONS_PER_PAGE, Question, Tag

    tag = Tag.objects.annotate(n=Count("questions")).order_by("-n").first()
    crowded = Question.objects.order_by("-answers_count").first()
    typical = Question.objects.filter(answers_count__gte=10).order_by("id").first()
    author = (
        Question.objects.values("author__username")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["author__username"]
    )
    tag_pages = max(1, -(-tag.n // QUESTIONS_PER_PAGE))
    answer_pages = max(1, -(-crowded.answers_count // 30))
    return [
        ("new", "/"),
        ("hot", "/hot/"),
        ("new, deep", "/?page=4000"),
        ("hot, deep", "/hot/?page=4000"),
        (f"tag ({tag.n} q.)", f"/tag/{tag.name}/"),
        ("tag, deep", f"/tag/{tag.name}/?page={tag_pages * 9 // 10}"),
        (f"question ({typical.answers_count} a.)", f"/question/{typical.pk}/"),
        (f"question ({crowded.answers_count} a.)", f"/question/{crowded.pk}/"),
        ("question, deep", f"/question/{crowded.pk}/?page={answer_pages * 9 // 10}"),
        ("user (most questions)", f"/user/{author}/"),
    ]


def wrk(url: str, connections: int, duration: int) -> dict:
    threads = 1 if connections == 1 else 2
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "p50": ms("50%"),
        "p99": ms("99%"),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
    }


def wait_for(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                response.read()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def measure(base: str, pages: list[tuple[str, str]], args: argparse.Namespace, env: dict) -> None:
    """wrk twice per page (one connection, then --high), a markdown table at the end."""
    wait_for(base + "/")
    print(
        f"wrk {args.duration} s per run through nginx → gunicorn "
        f"({env.get('GUNICORN_WORKERS', 'default')} workers), {os.cpu_count()} CPUs, "
        f"database {args.db_url.rsplit('/', 1)[-1]}",
        flush=True,
    )
    header = (
        f"| page | URL | p50 ms (c=1) | p99 ms (c=1) | req/s (c=1) "
        f"| p99 ms (c={args.high}) | req/s (c={args.high}) |"
    )
    rows = [header, "|" + "---|" * 7]
    for label, path in pages:
        wait_for(base + path)
        # Warm every worker process (each compiles templates and opens its database connection
        # on its first requests) and the database's cache: concurrent requests reach all of
        # them, where sequential ones may all land on the same worker.
        wrk(base + path, args.high, 2)
        # Let the workers finish what that burst left queued, or the first requests of the
        # one-connection run wait behind it and show up as its p99.
        time.sleep(2)
        low = wrk(base + path, 1, args.duration)
        high = wrk(base + path, args.high, args.duration)
        errors = low["errors"] + high["errors"]
        row = (
            f"| {label} | `{path}` | {low['p50']:.1f} | {low['p99']:.1f} | {low['rps']:.0f} "
            f"| {high['p99']:.1f} | {high['rps']:.0f} |"
        ) + (f" {errors} errors" if errors else "")
        rows.append(row)
        print(row, flush=True)
    print("\n" + "\n".join(rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--high", type=int, default=16, help="connections for throughput")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    args = parser.parse_args()
    if not args.db_url:
        args.db_url = subprocess.check_output(
            [ROOT / "bin" / "pg.sh", "url", "askme_scale"], text=True
        ).strip()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            print(f"{tool} not found: apt-get install {tool}", file=sys.stderr)
            return 1

    tmp = Path(tempfile.mkdtemp(prefix="askme-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": args.db_url,
        "CACHE_URL": os.environ.get("CACHE_URL", f"file://{tmp}/cache"),
        "LIVE_BACKEND": "off",
        "DEBUG": "",
        "VAR_DIR": str(tmp),
        "GUNICORN_ACCESS_LOG": "/dev/null",
    }
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askme.settings")
    import django

    django.setup()
    pages = urls()

    app_port = free_port()
    for sub in ("run", "log"):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(tmp, 0o755)
    # The site's own nginx config (deploy/nginx/nchan.conf, as make up renders it), one worker.
    nginx = Nginx.for_backend("nchan", app_addr=f"127.0.0.1:{app_port}", workers=1)
    manage = [str(PYTHON), str(ROOT / "manage.py")]
    subprocess.run([*manage, "refresh_sidebar", "--force"], env=env, cwd=ROOT, check=False)
    gunicorn = [
        GUNICORN,
        "askme.wsgi:application",
        "-c",
        ROOT / "deploy" / "gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{app_port}",
        "--pid",
        tmp / "run" / "gunicorn.pid",
    ]
    try:
        with running(gunicorn, env=env, port=app_port, log=None):
            nginx.start()
            measure(nginx.site_url, pages, args, env)
    finally:
        nginx.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
