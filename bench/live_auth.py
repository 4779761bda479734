"""What the inbox channel's authorization costs: EventSource connects per second on a public
path (nginx alone) and on a member's private path (nginx asks Django first, auth_request).

    .venv/bin/python -m bench.live_auth [--seconds 5] [--clients 8] [--gunicorn-workers 3]
                                        [--backend nchan|push_stream --nginx BIN]

Runs the whole site itself (bench.common.live_site: fresh SQLite, gunicorn, nginx). A member
logs in; then `--clients` processes each open, one after another for `--seconds`, a
subscriber connection, wait for its 200 (the stream has begun), and close it: first on
`/live/questions` (a list page's path), then on `/live/user-<id>/questions` with the member's
session cookie (every logged-in page's path), then the same private path with another
member's cookie (403, the refusal's cost). Prints connects/s and connect→200 p50/p99 of each,
side by side, and the private/public ratio.
"""

import argparse
import multiprocessing as mp
import socket
import statistics
import sys
import time

import requests

from bench.common import live_site, percentile

SETUP = """
from django.contrib.auth import get_user_model
User = get_user_model()
alice = User.objects.create_user("alice", "alice@example.com", "bench-pass-123")
User.objects.create_user("bob", "bob@example.com", "bench-pass-123")
print(alice.pk)
"""


def log_in(base: str, username: str) -> str:
    session = requests.Session()
    session.get(f"{base}/login/")
    response = session.post(
        f"{base}/login/",
        data={
            "username": username,
            "password": "bench-pass-123",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
    )
    assert response.status_code == 302, response.status_code
    return session.cookies["sessionid"]


def connect_loop(port: int, request: bytes, seconds: float, conn) -> None:
    """Connect, wait for the status line and headers, close; again until `seconds` passed.
    Sends back (status → count, connect→headers latencies in ms)."""
    statuses, latencies = {}, []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(request)
            buf = b""
            while b"\r\n\r\n" not in buf:
                data = sock.recv(4096)
                if not data:
                    break
                buf += data
        latencies.append((time.monotonic() - t0) * 1000)
        status = buf[9:12].decode() or "closed"
        statuses[status] = statuses.get(status, 0) + 1
    conn.send((statuses, latencies))


def measure(port: int, path: str, cookie: str, clients: int, seconds: float):
    headers = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
    if cookie:
        headers += f"Cookie: sessionid={cookie}\r\n"
    request = (headers + "\r\n").encode()
    pipes, procs = [], []
    for _ in range(clients):
        parent, child = mp.Pipe()
        proc = mp.Process(target=connect_loop, args=(port, request, seconds, child))
        proc.start()
        procs.append(proc)
        pipes.append(parent)
    statuses, latencies = {}, []
    for pipe, proc in zip(pipes, procs, strict=True):
        got, times = pipe.recv()
        proc.join()
        for status, count in got.items():
            statuses[status] = statuses.get(status, 0) + count
        latencies.extend(times)
    return statuses, latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8, help="connecting processes")
    parser.add_argument("--backend", choices=("nchan", "push_stream"), default="nchan")
    parser.add_argument("--nginx", default="nginx")
    parser.add_argument("--gunicorn-workers", default="3")
    args = parser.parse_args()

    with live_site(
        args.backend,
        setup=SETUP,
        nginx_binary=args.nginx,
        gunicorn_workers=args.gunicorn_workers,
        conn_per_ip=args.clients + 64,
    ) as (nginx, printed, _):
        alice_id = int(printed.strip().splitlines()[-1])
        alice, bob = log_in(nginx.site_url, "alice"), log_in(nginx.site_url, "bob")
        private = f"/live/user-{alice_id}/questions"
        runs = [
            ("public  /live/questions", "/live/questions", "", "200"),
            ("private /live/user-<id>/questions", private, alice, "200"),
            ("refused (another member's cookie)", private, bob, "403"),
        ]
        results = []
        for label, path, cookie, expected in runs:
            measure(nginx.site_port, path, cookie, args.clients, 0.5)  # warm up
            statuses, latencies = measure(nginx.site_port, path, cookie, args.clients, args.seconds)
            results.append((label, expected, statuses, latencies))
        crashes = nginx.crashes()

    print(
        f"live_auth ({args.backend}, gunicorn {args.gunicorn_workers} sync workers, "
        f"{args.clients} clients connecting one after another, {args.seconds:.0f} s each)"
    )
    ok = not crashes
    rates = []
    for label, expected, statuses, latencies in results:
        rate = statuses.get(expected, 0) / args.seconds
        rates.append(rate)
        ok = ok and set(statuses) == {expected}
        print(
            f"  {label:36} {rate:8.0f} connects/s, p50 {statistics.median(latencies):5.1f} ms, "
            f"p99 {percentile(latencies, 99):5.1f} ms   {statuses}"
        )
    print(f"  private / public: {rates[1] / rates[0]:.2f}× the connects per second")
    print(f"  worker crashes: {len(crashes)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
