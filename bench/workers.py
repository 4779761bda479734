"""gunicorn worker counts compared in pairs: the same pages, the same member, through the site's
nginx, each count started afresh in turn, round after round (the order turning each round), so
that a shared machine's drift falls on every count alike.

    .venv/bin/python -m bench.workers [--db-url postgres://…] [--counts 3 5] [--rounds 4]
        [--duration 3] [--only / /question/7/]

Prints each round's member requests/s at --high connections per count, then per page the
median of each count, its ratio to the first count's and in how many rounds it served more.
What deploy/gunicorn.conf.py's default (GUNICORN_WORKERS) was chosen from; README "Performance".
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import GUNICORN, PYTHON, ROOT, Nginx, free_port, running
from bench.pages import member_cookie, site_env, wait_for, wrk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--counts", type=int, nargs="+", default=[3, 5])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--high", type=int, default=16, help="connections")
    parser.add_argument("--only", nargs="*", default=["/", "/question/7/"])
    args = parser.parse_args()
    if not args.db_url:
        print("--db-url or DATABASE_URL: the database to read (bench/build_db.sh)", file=sys.stderr)
        return 1
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            print(f"{tool} not found: apt-get install {tool}", file=sys.stderr)
            return 1

    tmp = Path(tempfile.mkdtemp(prefix="askme-bench-workers-"))
    for sub in ("run", "log"):
        (tmp / sub).mkdir()
    os.chmod(tmp, 0o755)
    env = site_env(args.db_url, tmp)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askme.settings")
    import django

    django.setup()
    pages = args.only
    cookie = member_cookie()
    subprocess.run(
        [str(PYTHON), str(ROOT / "manage.py"), "refresh_sidebar", "--force"],
        env=env,
        cwd=ROOT,
        check=False,
    )
    config = ["-c", ROOT / "deploy" / "gunicorn.conf.py"]
    # {(page, count): [req/s of each round]}
    served: dict[tuple[str, int], list[float]] = {}
    try:
        for round_number in range(args.rounds):
            shift = round_number % len(args.counts)
            for count in args.counts[shift:] + args.counts[:shift]:
                port = free_port()
                gunicorn = [GUNICORN, "askme.wsgi:application", *config]
                gunicorn += ["--bind", f"127.0.0.1:{port}"]
                nginx = Nginx.for_backend("nchan", app_addr=f"127.0.0.1:{port}", workers=1)
                try:
                    with running(gunicorn, env={**env, "GUNICORN_WORKERS": str(count)}, port=port):
                        nginx.start()
                        for path in pages:
                            wait_for(nginx.site_url + path)
                            wrk(nginx.site_url + path, args.high, 2, cookie)  # every worker warm
                            time.sleep(1)
                            rps = wrk(nginx.site_url + path, args.high, args.duration, cookie)
                            served.setdefault((path, count), []).append(rps["rps"])
                            print(
                                f"round {round_number + 1}, {count} workers, {path}: "
                                f"{rps['rps']:.0f} req/s",
                                flush=True,
                            )
                finally:
                    nginx.cleanup()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    base = args.counts[0]
    print(
        f"\nmember req/s at c={args.high}, wrk {args.duration} s, {args.rounds} rounds, "
        f"{os.cpu_count()} CPUs; each count against {base} workers"
    )
    print("| page | workers | median req/s | ÷ median at " + f"{base} | rounds it served more |")
    print("|---|---|---|---|---|")
    for path in pages:
        reference = served[(path, base)]
        for count in args.counts:
            figures = served[(path, count)]
            more = sum(a > b for a, b in zip(figures, reference, strict=True))
            ratio = statistics.median(figures) / statistics.median(reference)
            print(
                f"| `{path}` | {count} | {statistics.median(figures):.0f} | {ratio:.2f} | "
                + ("—" if count == base else f"{more} of {len(figures)}")
                + " |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
