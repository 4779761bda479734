"""End to end: answer POST through nginx → gunicorn → Django → Nchan → an EventSource reader.

    .venv/bin/python -m bench.live_e2e [--answers 200] [--backend nchan|push_stream --nginx BIN]

Runs everything itself in a temp dir, on free loopback ports: a fresh SQLite database (or
--database-url), gunicorn with deploy/gunicorn.conf.py, nginx from deploy/nginx/. A member logs
in and posts the answers one after another; a reader subscribed to the question records when
each answer's message arrives. Prints p50/p99 of POST-sent → message-received, and of the POST
itself. Touches nothing of `make up` (var/, ports 8000-8082).
"""

import argparse
import json
import re
import statistics
import sys
import time

import requests

from bench.common import Nginx, live_site, percentile

SETUP = """
from django.contrib.auth import get_user_model
from qa.models import Question
User = get_user_model()
alice = User.objects.create_user("alice", "alice@example.com", "bench-pass-123")
User.objects.create_user("bob", "bob@example.com", "bench-pass-123")
q = Question.objects.create(author=alice, title="How fast is a live answer?", text="Measure it.")
print(q.pk)
"""


def measure(nginx: Nginx, question_id: int, answers: int) -> tuple[list, list, list]:
    """bob posts `answers` answers through nginx while a reader listens: (POST → message ms,
    POST → 302 ms, nginx worker crashes)."""
    base = nginx.site_url
    session = requests.Session()
    session.get(f"{base}/login/")
    login = session.post(
        f"{base}/login/",
        data={
            "username": "bob",
            "password": "bench-pass-123",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
    )
    assert login.status_code == 302, login.status_code

    reader = nginx.subscribe(question_id)
    nginx.sync(f"question-{question_id}", [reader])
    url = f"{base}/question/{question_id}/"
    for _ in range(5):  # warm gunicorn's workers and connections up
        session.get(url)

    sent, answered = {}, []
    for n in range(answers):
        t0 = time.monotonic()
        response = session.post(
            url,
            data={
                "text": f"Answer {n}: measure, then optimise.",
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            allow_redirects=False,
        )
        answered.append((time.monotonic() - t0) * 1000)
        assert response.status_code == 302, response.status_code
        answer_id = int(re.search(r"#answer-(\d+)$", response.headers["Location"]).group(1))
        sent[answer_id] = t0
    reader.wait_events(answers, timeout=10)
    reader.close()
    arrived = {}
    for event in reader.events:
        message = json.loads(event["data"])
        if message.get("type") == "answer":
            arrived.setdefault(message["answer"], event["at"])
    latencies = [(arrived[a] - t0) * 1000 for a, t0 in sent.items() if a in arrived]
    return latencies, answered, nginx.crashes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=200)
    parser.add_argument("--backend", choices=("nchan", "push_stream"), default="nchan")
    parser.add_argument("--nginx", default="nginx")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--gunicorn-workers", default="3")
    args = parser.parse_args()

    # One member posts answers back to back: far past nginx's posting limit for one address.
    with live_site(
        args.backend,
        setup=SETUP,
        nginx_binary=args.nginx,
        database_url=args.database_url,
        gunicorn_workers=args.gunicorn_workers,
        nginx_values={"POST_RATE": "10000r/s"},
    ) as (nginx, printed, env):
        question_id = int(printed.strip().splitlines()[-1])
        latencies, answered, crashes = measure(nginx, question_id, args.answers)

    database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    print(
        f"live_e2e ({args.backend}, {database}, gunicorn {args.gunicorn_workers} sync workers, "
        f"{args.answers} answers one after another)"
    )
    print(f"  delivered: {len(latencies)} / {args.answers}")
    if latencies:
        print(
            f"  POST sent → message received: p50 {statistics.median(latencies):.1f} ms, "
            f"p99 {percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms"
        )
    print(
        f"  POST answered (302):           p50 {statistics.median(answered):.1f} ms, "
        f"p99 {percentile(answered, 99):.1f} ms"
    )
    print(f"  worker crashes: {len(crashes)}")
    return 0 if len(latencies) == args.answers and not crashes else 1


if __name__ == "__main__":
    sys.exit(main())
