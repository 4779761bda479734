"""Page latency and throughput through nginx + gunicorn, for a member and for anonymous readers,
side by side with two floors measured in the same rounds: one table.

    bench/build_db.sh 10000 askme_scale          # once: the ratio-10000 database
    bench/build_db.sh 1000 askme_r1000           # once, for --compare-db
    .venv/bin/python -m bench.pages [--db-url postgres://…] [--duration 10] [--high 16] [--runs 3]
        [--compare-db postgres://…/askme_r1000] [--writes 10]

Starts its own gunicorn (deploy/gunicorn.conf.py, free port) and nginx with the site's own config
(deploy.nginx, free ports, prefix in a temp dir, one worker) against the database, fills the
sidebar cache, warms each URL, then runs wrk per URL: as a logged-in member (a session cookie:
nginx never serves a member a cached page) at one connection (latency: p50, p99) and at --high
connections (throughput), and as an anonymous reader at --high connections (through nginx's
public-page cache). The floors: the typical question's HTML returned by a minimal Django view
(bench/floor.py: no middleware, no database) through the same gunicorn config and nginx config,
and the same HTML as a static file from nginx. Each round of a page runs each floor right next
to the figure it is compared with (the member's throughput, the anonymous reader's), in turn
before and after it: a shared machine's load moves over minutes, so a floor measured minutes
away can differ by half from the one the page met. Each ratio is the median of the rounds'
ratios; the table also gives it to the highest floor of the whole run (the ratio that flatters
the pages least).

--compare-db runs a second site on another database (the same data at another ratio) and, in
each round, its member throughput next to the first site's: per page, the median ratio of the
two, so that "no page slower as the data grows" is read from figures taken seconds apart. The
pages are picked from each database alike (the busiest tag, question and user; the typical
question is one with as many answers as the first database's). --writes N makes N real writes
a second on the first site's database throughout (write_loop): each one moves the site
generation, after which every worker renders or reads again what it kept (a page's parts, a
member's session): the figures of a site being written to, not only read. Stops what it
started. Needs Debian's `wrk` and `nginx`.
"""

import argparse
import contextlib
import dataclasses
import json
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


def urls(typical_answers: int | None = None) -> list[tuple[str, str]]:
    """The pages of the issue, picked from the data: the busiest tag, question and user, and a
    typical question: the first with 10 answers or more, or with `typical_answers` when given
    and there is one (--compare-db: the same page on a database of another size)."""
    from django.db.models import Count

    from qa.models import QUESTIONS_PER_PAGE, Question, Tag

    tag = Tag.objects.annotate(n=Count("questions")).order_by("-n").first()
    crowded = Question.objects.order_by("-answers_count").first()
    typical = Question.objects.filter(answers_count__gte=10).order_by("id").first()
    if typical_answers is not None:
        alike = Question.objects.filter(answers_count=typical_answers).order_by("id").first()
        typical = alike or typical
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


@dataclasses.dataclass
class Site:
    """A benchmarked site: its nginx's base URL, the member's cookie, the pages measured (of
    `every` page picked from its data) and its environment."""

    base: str
    cookie: str
    pages: list[tuple[str, str]]
    every: list[tuple[str, str]]
    env: dict


def in_turn(out: dict, steps: list[tuple], args, reverse: bool) -> None:
    """Run the (key, url, cookie) wrk runs at --high in order, or in reverse order."""
    for key, url, cookie in reversed(steps) if reverse else steps:
        out[key] = wrk(url, args.high, args.duration, cookie)


def measure_round(
    url: str, floor: str, static: str, args, cookie: str, n: int, other: tuple | None = None
) -> dict:
    """One round for a page: the member at one connection, then at --high with the
    minimal-Django floor right before it (in odd rounds right after it); the anonymous reader
    at --high with the static floor beside it the same way. `other`: (url, cookie) of the same
    page on the --compare-db site, its member at --high on the member's other side."""
    out: dict = {}
    # Warm every worker process (each compiles templates and opens its database connection on
    # its first requests) and the database's cache: concurrent requests reach all of them,
    # where sequential ones may all land on the same worker.
    wrk(url, args.high, 2, cookie)
    if other:
        wrk(other[0], args.high, 2, other[1])
    # Let the workers finish what that burst left queued, or the first requests of the
    # one-connection run wait behind it and show up as its p99.
    time.sleep(2)
    out["low"] = wrk(url, 1, args.duration, cookie)
    steps = [("django", floor, cookie), ("high", url, cookie)]
    if other:
        steps.append(("other", *other))
    in_turn(out, steps, args, reverse=n % 2 == 1)
    # The same warm-up and pause for the anonymous run (its own fragments and page copy).
    wrk(url, args.high, 2)
    time.sleep(2)
    in_turn(out, [("static", static, ""), ("anonymous", url, "")], args, reverse=n % 2 == 1)
    return out


def measure(site: Site, floor_base: str, floor_path: str, args, other: Site | None) -> list:
    """Per page, --runs rounds (measure_round): each figure the median of its rounds, each
    ratio the median of its rounds' ratios."""
    floor = f"{floor_base}{floor_path}"
    static = f"{floor_base}/static/floor.html"
    results = []
    for index, (label, path) in enumerate(site.pages):
        wait_for(site.base + path)
        twin = None
        if other:
            twin = (other.base + other.pages[index][1], other.cookie)
            wait_for(twin[0])
        rounds = [
            measure_round(site.base + path, floor, static, args, site.cookie, n, twin)
            for n in range(args.runs)
        ]
        figures = {key: median_of([r[key] for r in rounds]) for key in rounds[0]}

        def ratio(page: str, to: str, rounds=rounds) -> float:
            return statistics.median(r[page]["rps"] / r[to]["rps"] for r in rounds)

        figures["÷django"] = ratio("high", "django")
        figures["÷static"] = ratio("anonymous", "static")
        if other:
            figures["÷other"] = ratio("high", "other")
        low, high = figures["low"], figures["high"]
        print(
            f"{path}: member p50 {low['p50']:.1f} ms, p99 {low['p99']:.1f} ms, "
            f"{high['rps']:.0f} req/s ({figures['÷django']:.1%} of the Django floor beside it); "
            f"anonymous {figures['anonymous']['rps']:.0f} req/s "
            f"({figures['÷static']:.1%} of the static floor)"
            + (
                f"; {other.pages[index][1]} on the other database "
                f"{figures['other']['rps']:.0f} req/s"
                if other
                else ""
            ),
            flush=True,
        )
        results.append((label, path, figures))
    return results


def report(results: list[tuple], args, env: dict, other: Site | None) -> None:
    """The table: every throughput with its floors and its ratios to them: the median of the
    rounds' ratios to the floor measured beside it, and to the highest floor of the run."""
    django_top = max(figures["django"]["rps"] for *_, figures in results)
    static_top = max(figures["static"]["rps"] for *_, figures in results)
    print(
        f"\nwrk {args.duration} s per run, {args.runs} rounds a page (each figure the median), "
        f"through nginx → gunicorn ({env.get('GUNICORN_WORKERS', 'default')} workers, "
        f"{env.get('GUNICORN_THREADS', '1')} threads each), {os.cpu_count()} CPUs, "
        f"database {args.db_url.rsplit('/', 1)[-1]}"
        + (f", {args.writes:g} writes a second on it" if args.writes else "")
        + "; highest floors of the run: "
        f"minimal Django {django_top:.0f} req/s, static nginx {static_top:.0f} req/s"
    )
    h = args.high
    rows = [
        f"| page | URL | member p50 ms (c=1) | member p99 ms (c=1) | member req/s (c={h}) "
        f"| Django floor beside it | ÷ it | ÷ highest | anonymous req/s (c={h}) "
        f"| static floor beside it | ÷ it | ÷ highest |",
        "|" + "---|" * 12,
    ]
    for label, path, f in results:
        errors = sum(f[key]["errors"] for key in ("low", "high", "anonymous"))
        rows.append(
            f"| {label} | `{path}` | {f['low']['p50']:.1f} | {f['low']['p99']:.1f} "
            f"| {f['high']['rps']:.0f} | {f['django']['rps']:.0f} | {f['÷django']:.1%} "
            f"| {f['high']['rps'] / django_top:.1%} | {f['anonymous']['rps']:.0f} "
            f"| {f['static']['rps']:.0f} | {f['÷static']:.1%} "
            f"| {f['anonymous']['rps'] / static_top:.1%} |"
            + (f" {errors} errors" if errors else "")
        )
    print("\n".join(rows))
    if other:
        name = args.compare_db.rsplit("/", 1)[-1]
        print(
            f"\nMember req/s (c={h}) on {args.db_url.rsplit('/', 1)[-1]} and on {name}, "
            f"measured back to back in each round; the ratio is the median of the rounds'.\n"
            f"| page | URL | req/s | URL on {name} | req/s | ratio |\n" + "|---" * 6 + "|"
        )
        for (label, path, f), (_, other_path) in zip(results, other.pages, strict=True):
            print(
                f"| {label} | `{path}` | {f['high']['rps']:.0f} | `{other_path}` "
                f"| {f['other']['rps']:.0f} | {f['÷other']:.2f} |"
            )


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
        "--runs", type=int, default=1, help="rounds per page; each figure the median"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="gunicorn threads a worker (>1: gthread)"
    )
    parser.add_argument(
        "--compare-db", help="a second database: its member throughput next to the first's"
    )
    parser.add_argument(
        "--writes",
        type=float,
        default=0,
        help="real writes a second on the (first) site's database during every run",
    )
    parser.add_argument("--print-site", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--write-loop", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--typical-answers", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.print_site:  # for --compare-db: this database's pages and member, as JSON
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askme.settings")
        import django

        django.setup()
        pages = urls(args.typical_answers)
        print(json.dumps({"pages": pages, "cookie": member_cookie()}))
        return 0
    if args.write_loop:  # for --writes
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askme.settings")
        import django

        django.setup()
        write_loop(args.write_loop)
        return 0
    if not args.db_url:
        args.db_url = subprocess.check_output(
            [ROOT / "bin" / "pg.sh", "url", "askme_scale"], text=True
        ).strip()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            print(f"{tool} not found: apt-get install {tool}", file=sys.stderr)
            return 1

    tmp = Path(tempfile.mkdtemp(prefix="askme-bench-"))
    os.chmod(tmp, 0o755)
    sites, nginxes = [], []
    try:
        with contextlib.ExitStack() as stack:
            for db_url, where in ((args.db_url, tmp), (args.compare_db, tmp / "other")):
                if db_url:
                    # The other database's typical question has as many answers as ours.
                    alike = _typical(sites[0].every)[1] if sites else None
                    site, nginx = start_site(db_url, where, args, stack, alike)
                    sites.append(site)
                    nginxes.append(nginx)
            site = sites[0]
            chosen = [
                i for i, page in enumerate(site.pages) if not args.only or page[1] in args.only
            ]
            for each in sites:
                each.pages = [each.pages[i] for i in chosen]
            # The floors: the same gunicorn config and nginx config in front of bench/floor.py,
            # which returns the typical question's HTML as the site serves it.
            question_path = _typical(site.every)[0]
            floor_html = tmp / "static" / "floor.html"
            floor_html.parent.mkdir(parents=True, exist_ok=True)
            with urllib.request.urlopen(site.base + question_path) as response:  # noqa: S310
                floor_html.write_bytes(response.read())
            floor_html.chmod(0o644)
            floor_port = free_port()
            floor_nginx = Nginx.for_backend(
                "nchan",
                app_addr=f"127.0.0.1:{floor_port}",
                workers=1,
                static_root=floor_html.parent,
            )
            nginxes.append(floor_nginx)
            floor_env = {**site.env, "VAR_DIR": str(tmp / "floor"), "FLOOR_HTML": str(floor_html)}
            for sub in ("floor/run", "floor/log"):
                (tmp / sub).mkdir(parents=True, exist_ok=True)
            floor_gunicorn = [GUNICORN, "bench.floor:application", *CONFIG]
            floor_gunicorn += ["--bind", f"127.0.0.1:{floor_port}"]
            stack.enter_context(running(floor_gunicorn, env=floor_env, port=floor_port, log=None))
            floor_nginx.start()
            other = sites[1] if len(sites) > 1 else None
            with writing(site.env, args.writes):
                results = measure(site, floor_nginx.site_url, question_path, args, other)
        report(results, args, site.env, other)
    finally:
        for nginx in nginxes:
            nginx.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


CONFIG = ["-c", ROOT / "deploy" / "gunicorn.conf.py"]


def _typical(pages: list[tuple[str, str]]) -> tuple[str, int]:
    """The typical question (urls()' first question page): its path, and its answers as its
    label gives them."""
    label, path = next(page for page in pages if page[0].startswith("question"))
    return path, int(re.search(r"\d+", label).group())


def write_loop(per_second: float) -> None:
    """--writes: a real write `per_second` times a second, until stopped: an UPDATE of the first
    member's profile through Django that changes no value (the database's data stays as built),
    but moves the site generation as any post, vote or edit does, so every page's kept parts and
    every kept session are rendered or read again after it, in every worker."""
    from django.db.models import F

    from accounts.models import Profile

    member = Profile.objects.order_by("pk").values_list("pk", flat=True).first()
    interval = 1 / per_second
    next_at = time.monotonic()
    while True:
        Profile.objects.filter(pk=member).update(reputation=F("reputation"))
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))


@contextlib.contextmanager
def writing(env: dict, per_second: float):
    """write_loop() in a child process on `env`'s site for the block (nothing when 0)."""
    if not per_second:
        yield
        return
    command = [PYTHON, "-m", "bench.pages", "--write-loop", str(per_second)]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        yield
    finally:
        process.terminate()
        process.wait()


def start_site(
    db_url: str, tmp: Path, args, stack: contextlib.ExitStack, typical_answers: int | None = None
) -> tuple[Site, Nginx]:
    """The site on `db_url`, its own cache and var dir in `tmp`: the sidebar filled, gunicorn
    and nginx (the site's own config, as make up renders it, one worker) started; their stops
    on `stack`. Its pages and member come from the database (a --print-site child)."""
    env = site_env(db_url, tmp)
    # Two sites never share kept pages, also in one memcached (CACHE_URL).
    env["CACHE_KEY_PREFIX"] = f"askme-bench-{db_url.rsplit('/', 1)[-1]}"
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    for sub in ("run", "log"):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
    found = json.loads(
        subprocess.check_output(
            [PYTHON, "-m", "bench.pages", "--print-site"]
            + (["--typical-answers", str(typical_answers)] if typical_answers else []),
            env=env,
            cwd=ROOT,
            text=True,
        )
    )
    manage = [str(PYTHON), str(ROOT / "manage.py")]
    subprocess.run([*manage, "refresh_sidebar", "--force"], env=env, cwd=ROOT, check=False)
    port = free_port()
    nginx = Nginx.for_backend("nchan", app_addr=f"127.0.0.1:{port}", workers=1)
    gunicorn = [GUNICORN, "askme.wsgi:application", *CONFIG, "--bind", f"127.0.0.1:{port}"]
    stack.enter_context(running(gunicorn, env=env, port=port, log=None))
    nginx.start()
    pages = [tuple(page) for page in found["pages"]]
    site = Site(nginx.site_url, found["cookie"], pages, pages, env)
    wait_for(site.base + pages[0][1])
    return site, nginx


if __name__ == "__main__":
    sys.exit(main())
