"""Page latency and throughput through nginx + gunicorn, for a member and for anonymous readers,
side by side with two floors measured in the same run: one table.

    bench/build_db.sh 10000 askme_scale          # once: the ratio-10000 database
    .venv/bin/python -m bench.pages [--db-url postgres://…] [--duration 10] [--high 16] [--runs 3]

Starts its own gunicorn (deploy/gunicorn.conf.py, free port) and nginx with the site's own config
(deploy.nginx, free ports, prefix in a temp dir, one worker) against the database, fills the
sidebar cache, warms each URL, then runs wrk per URL: as a logged-in member (a session cookie:
nginx never serves a member a cached page) at one connection (latency: p50, p99) and at --high
connections (throughput), and as an anonymous reader at --high connections (through nginx's
public-page cache). The floors, on the same machine in the same run, before and after the pages
(each ratio is to the higher of the two): the typical question's
HTML returned by a minimal Django view (bench/floor.py: no middleware, no database) through the
same gunicorn config and nginx config, and the same HTML as a static file from nginx. Each
figure is printed with its ratio to its floor. Stops what it started. Needs Debian's `wrk` and
`nginx`.
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


def wrk(url: str, connections: int, duration: int, cookie: str = "") -> dict:
    threads = 1 if connections == 1 else 2
    header = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", *header, url],
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


def median_of(runs: list[dict]) -> dict:
    """Each figure's median over repeated wrk runs (a shared machine moves single runs by up to
    ±30 %); errors are summed."""
    return {
        key: sum(run[key] for run in runs)
        if key == "errors"
        else statistics.median(run[key] for run in runs)
        for key in runs[0]
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


def floors(floor_base: str, path: str, args, cookie: str) -> tuple[dict, dict]:
    """(minimal Django, static nginx) at --high connections, each after a warm-up burst. The
    minimal Django view is asked with the member's cookie, as the members' pages are: nginx
    passes both straight to gunicorn (a cookie-less request for a page path is looked up in the
    anonymous page cache, and the floor's response, never stored, would wait on its lock)."""
    results = []
    for url, with_cookie in (
        (f"{floor_base}{path}", cookie),
        (f"{floor_base}/static/floor.html", ""),
    ):
        wrk(url, args.high, 2, with_cookie)
        time.sleep(1)
        runs = [wrk(url, args.high, args.duration, with_cookie) for _ in range(args.runs)]
        results.append(median_of(runs))
    return results[0], results[1]


def measure(base: str, pages: list[tuple[str, str]], args, cookie: str) -> list[tuple]:
    """Per page: a member at one connection and at --high, an anonymous reader at --high; each
    the median of --runs rounds (a round runs all three, so noise spreads over the figures)."""
    results = []
    for label, path in pages:
        wait_for(base + path)
        rounds = [measure_page(base + path, args, cookie) for _ in range(args.runs)]
        low, high, anonymous = (median_of([r[i] for r in rounds]) for i in range(3))
        print(
            f"{path}: member p50 {low['p50']:.1f} ms, p99 {low['p99']:.1f} ms, "
            f"{high['rps']:.0f} req/s; anonymous {anonymous['rps']:.0f} req/s",
            flush=True,
        )
        results.append((label, path, low, high, anonymous))
    return results


def measure_page(url: str, args, cookie: str) -> tuple[dict, dict, dict]:
    """One round for a page: (member at one connection, member at --high, anonymous at --high)."""
    # Warm every worker process (each compiles templates and opens its database connection on
    # its first requests) and the database's cache: concurrent requests reach all of them,
    # where sequential ones may all land on the same worker.
    wrk(url, args.high, 2, cookie)
    # Let the workers finish what that burst left queued, or the first requests of the
    # one-connection run wait behind it and show up as its p99.
    time.sleep(2)
    low = wrk(url, 1, args.duration, cookie)
    high = wrk(url, args.high, args.duration, cookie)
    # The same warm-up and pause for the anonymous run (its own fragments and page copy).
    wrk(url, args.high, 2)
    time.sleep(2)
    anonymous = wrk(url, args.high, args.duration)
    return low, high, anonymous


def report(results: list[tuple], args, env: dict, before: tuple, after: tuple) -> None:
    """The table: every throughput with its ratio to its floor. The floors are measured before
    and after the pages; a shared machine's noise lowers one of them now and then, so each
    ratio is taken to the higher of the two (the ratio that flatters us least)."""
    django_floor = max(before[0]["rps"], after[0]["rps"])
    static_floor = max(before[1]["rps"], after[1]["rps"])
    print(
        f"\nwrk {args.duration} s per run, median of {args.runs}, through nginx → gunicorn "
        f"({env.get('GUNICORN_WORKERS', 'default')} workers, "
        f"{env.get('GUNICORN_THREADS', '1')} threads each), {os.cpu_count()} CPUs, "
        f"database {args.db_url.rsplit('/', 1)[-1]}"
    )
    for name, (django, static) in (("before", before), ("after", after)):
        print(
            f"floors at c={args.high} {name} the pages: minimal Django {django['rps']:.0f} req/s "
            f"(p99 {django['p99']:.1f} ms), static nginx {static['rps']:.0f} req/s "
            f"(p99 {static['p99']:.1f} ms)"
        )
    h = args.high
    rows = [
        f"| page | URL | member p50 ms (c=1) | member p99 ms (c=1) | member req/s (c={h}) "
        f"| ÷ Django floor | anonymous req/s (c={h}) | ÷ static floor |",
        "|" + "---|" * 8,
    ]
    for label, path, low, high, anonymous in results:
        errors = low["errors"] + high["errors"] + anonymous["errors"]
        rows.append(
            f"| {label} | `{path}` | {low['p50']:.1f} | {low['p99']:.1f} | {high['rps']:.0f} "
            f"| {high['rps'] / django_floor:.1%} | {anonymous['rps']:.0f} "
            f"| {anonymous['rps'] / static_floor:.1%} |" + (f" {errors} errors" if errors else "")
        )
    print("\n".join(rows))


def site_env(db_url: str, tmp: Path) -> dict:
    """The environment of a benchmarked site: `db_url`, a file cache in `tmp` (unless CACHE_URL
    names one), no live backend, no DEBUG, no access log."""
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "CACHE_URL": os.environ.get("CACHE_URL", f"file://{tmp}/cache"),
        "LIVE_BACKEND": "off",
        "DEBUG": "",
        "VAR_DIR": str(tmp),
        "GUNICORN_ACCESS_LOG": "/dev/null",
    }


def member_cookie() -> str:
    """The cookies of the newest member, as the browser would send them: the session and the
    CSRF cookie. The newest, because the database's statistics know least about them (a plan
    that was fast for the first member walked every member for the last: core.sql.JoinedGet)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.order_by("-pk").first())
    # A browser keeps the CSRF cookie of its first page: without it every page would make and
    # set a new one, which no member's browser makes the site do.
    client.get("/", HTTP_HOST="localhost")
    names = (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
    return "; ".join(f"{name}={client.cookies[name].value}" for name in names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--high", type=int, default=16, help="connections for throughput")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--only", nargs="*", help="only the pages whose URL is one of these")
    parser.add_argument(
        "--runs", type=int, default=1, help="rounds per page and floor; each figure the median"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="gunicorn threads a worker (>1: gthread)"
    )
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
    env = site_env(args.db_url, tmp)
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askme.settings")
    import django

    django.setup()
    every_page = urls()
    pages = [page for page in every_page if not args.only or page[1] in args.only]

    cookie = member_cookie()
    app_port, floor_port = free_port(), free_port()
    for sub in ("run", "log", "static", "floor/run", "floor/log"):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(tmp, 0o755)
    # The site's own nginx config (deploy/nginx/nchan.conf, as make up renders it), one worker;
    # the floors' nginx, the same config in front of bench/floor.py, serves the static copy.
    nginx = Nginx.for_backend("nchan", app_addr=f"127.0.0.1:{app_port}", workers=1)
    floor_nginx = Nginx.for_backend(
        "nchan", app_addr=f"127.0.0.1:{floor_port}", workers=1, static_root=tmp / "static"
    )
    manage = [str(PYTHON), str(ROOT / "manage.py")]
    subprocess.run([*manage, "refresh_sidebar", "--force"], env=env, cwd=ROOT, check=False)
    config = ["-c", ROOT / "deploy" / "gunicorn.conf.py"]
    gunicorn = [GUNICORN, "askme.wsgi:application", *config, "--bind", f"127.0.0.1:{app_port}"]
    floor_html = tmp / "static" / "floor.html"
    floor_env = {**env, "VAR_DIR": str(tmp / "floor"), "FLOOR_HTML": str(floor_html)}
    floor_gunicorn = [GUNICORN, "bench.floor:application", *config]
    floor_gunicorn += ["--bind", f"127.0.0.1:{floor_port}"]
    question_path = next(path for label, path in every_page if label.startswith("question"))
    try:
        with running(gunicorn, env=env, port=app_port, log=None):
            nginx.start()
            wait_for(nginx.site_url + question_path)
            with urllib.request.urlopen(nginx.site_url + question_path) as response:  # noqa: S310
                floor_html.write_bytes(response.read())
            floor_html.chmod(0o644)
            with running(floor_gunicorn, env=floor_env, port=floor_port, log=None):
                floor_nginx.start()
                before = floors(floor_nginx.site_url, question_path, args, cookie)
                results = measure(nginx.site_url, pages, args, cookie)
                after = floors(floor_nginx.site_url, question_path, args, cookie)
                floor_nginx.cleanup()
            report(results, args, env, before, after)
    finally:
        nginx.cleanup()
        floor_nginx.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
