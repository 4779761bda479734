"""Every SQL query each benchmarked page runs, with its time and (with -v) its plan.

    DATABASE_URL=postgres://… .venv/bin/python -m bench.explain [-v] [/ /hot/ …]

Without URLs it takes the bench's own (urls() of bench/pages.py). PostgreSQL only for plans.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askme.settings")
os.environ.setdefault("LIVE_BACKEND", "off")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-v", "--verbose", action="store_true", help="EXPLAIN ANALYZE each query")
    parser.add_argument("urls", nargs="*")
    args = parser.parse_args()
    setup_test_environment()
    if args.urls:
        urls = args.urls
    else:
        from bench.pages import urls as bench_urls  # noqa: PLC0415

        urls = [url for _label, url in bench_urls()]
    client = Client()
    for url in urls:
        client.get(url)  # warm caches, as a running site would be
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            total = (time.perf_counter() - started) * 1000
        print(f"\n== {url}  {response.status_code}  {total:.1f} ms, {len(ctx)} queries")
        for query in ctx.captured_queries:
            print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:160]}")
            if args.verbose and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                    for (line,) in cursor.fetchall():
                        print("        " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
