"""Fan-out: N EventSource subscribers spread over question channels plus the list channel, one
connection each, as real pages are: publish one answer event, one new-question event and one
burst of an answer on every question, and measure each.

    .venv/bin/python -m bench.live_fanout [--subscribers 10000] [--questions 1000] [--procs 4]
                                          [--backend nchan|push_stream --nginx /path/to/nginx]

Subscriber i opens `/live/question-<i mod Q + 1>/questions` (a question page's one connection
for its two channels). Starts its own nginx (deploy/nginx/<backend>.conf rendered into a temp
dir, free loopback ports, LIVE_CONN_PER_IP lifted: every subscriber here comes from 127.0.0.1),
opens the subscribers from several processes (epoll, raw sockets), and prints for each event:
delivered count, publish→receive latency p50/p99/max; and nginx workers' RSS per subscriber.
The messages are as big as real ones (an answer's HTML, a question card). Traffic goes to
127.0.0.1 only. Needs about N/procs+100 open files per process (ulimit -n).
"""

import argparse
import json
import multiprocessing as mp
import os
import resource
import select
import socket
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bench.common import Nginx, percentile

# About the size of a real answer message (its rendered HTML) and of a new-question card.
ANSWER_HTML = "<p>" + "An answer of a few paragraphs, with <code>code</code>. " * 30 + "</p>"
CARD_HTML = "<article>" + "A question card: title, tags, author, counts. " * 20 + "</article>"


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def client_process(paths, port, probe, markers, conn):
    """Open one EventSource connection per path, then watch them all with one epoll loop,
    recording when each of `markers` first reaches each connection.

    Plain epoll rather than asyncio streams: with thousands of sockets per process the
    client's own overhead would otherwise dominate the latency being measured.
    """
    raise_nofile()
    poller = select.epoll()
    socks, tails, stage, seen = {}, {}, {}, {}
    failed = 0
    for path in paths:
        request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            failed += 1
            continue
        sock.sendall(request.encode())
        sock.setblocking(False)
        fd = sock.fileno()
        socks[fd], tails[fd], seen[fd] = sock, b"", set()
        stage[fd] = 0  # 0: waiting for 200, 1: subscribed, 2: probed
        poller.register(fd, select.EPOLLIN)
    subscribed = probed = 0
    received = {marker: [] for marker in markers}
    while True:
        for fd, _ in poller.poll(0.05):
            try:
                data = socks[fd].recv(65536)
            except BlockingIOError:
                continue
            now = time.monotonic()
            if not data:
                poller.unregister(fd)
                continue
            buf = tails[fd] + data
            if stage[fd] == 0 and b" 200 " in buf:
                stage[fd] = 1
                subscribed += 1
            elif stage[fd] == 0 and b"HTTP/1.1 " in buf:
                failed += 1
                stage[fd] = -1
            if stage[fd] == 1 and probe in buf:
                stage[fd] = 2
                probed += 1
            if stage[fd] == 2:
                for marker in markers:
                    if marker not in seen[fd] and marker in buf:
                        seen[fd].add(marker)
                        received[marker].append(now)
            tails[fd] = buf[-256:]
        if conn.poll() and conn.recv() == "stop":
            break
        conn.send((subscribed, failed, probed, [len(received[m]) for m in markers]))
    conn.send(received)
    for sock in socks.values():
        sock.close()


def post(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="POST")
    urllib.request.urlopen(request, timeout=5).close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=1_000, help="question channels")
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument("--backend", choices=("nchan", "push_stream"), default="nchan")
    parser.add_argument("--nginx", default="nginx", help="nginx binary (push-stream: your build)")
    parser.add_argument("--workers", default="2", help="nginx worker_processes")
    args = parser.parse_args()

    limit = raise_nofile()
    per_proc = -(-args.subscribers // args.procs)
    if limit < per_proc + 100:
        print(f"ulimit -n is {limit}: too low for {per_proc} sockets per process", file=sys.stderr)
        return 1
    nginx = Nginx.for_backend(
        args.backend,
        binary=args.nginx,
        workers=int(args.workers),
        conn_per_ip=args.subscribers + 1000,
        values={"WORKER_CONNECTIONS": str(max(16384, args.subscribers + 1000))},
    )
    questions = [n % args.questions + 1 for n in range(args.subscribers)]
    paths = [f"/live/question-{q}/questions" for q in questions]
    probe = os.urandom(8).hex().encode()
    # The three events: one answer on question 1, one new question on the list channel, and a
    # burst of one answer on every question channel.
    events = [
        ("one answer event (question-1)", ["question-1"], questions.count(1)),
        ("one new-question event (questions)", ["questions"], args.subscribers),
        (
            f"{args.questions} answer events, one a channel",
            [f"question-{q}" for q in range(1, args.questions + 1)],
            args.subscribers,
        ),
    ]
    markers = [os.urandom(8).hex().encode() for _ in events]
    procs, pipes = [], []
    results = []
    nginx.start()
    try:
        rss_before = nginx.workers_rss_kb()
        started = time.monotonic()
        for first in range(0, args.subscribers, per_proc):
            parent, child = mp.Pipe()
            proc = mp.Process(
                target=client_process,
                args=(paths[first : first + per_proc], nginx.site_port, probe, markers, child),
            )
            proc.start()
            procs.append(proc)
            pipes.append(parent)

        latest = [(0, 0, 0, [0] * len(markers)) for _ in pipes]

        def progress():
            for n, pipe in enumerate(pipes):
                while pipe.poll():
                    latest[n] = pipe.recv()
            subscribed, failed, probed = (sum(state[i] for state in latest) for i in range(3))
            got = [sum(state[3][i] for state in latest) for i in range(len(markers))]
            return subscribed, failed, probed, got

        deadline = time.monotonic() + 180
        while True:
            connected, failed, _, _ = progress()
            if connected + failed >= args.subscribers or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        connect_seconds = time.monotonic() - started
        # Publish probes until every subscriber hears them: then everyone is really subscribed.
        probe_url = nginx.publish_url + nginx.publish_path("questions")
        deadline = time.monotonic() + 30
        while True:
            post(probe_url, json.dumps({"probe": probe.decode()}).encode())
            time.sleep(0.5)
            connected, failed, probed, _ = progress()
            if probed >= connected or time.monotonic() > deadline:
                break
        time.sleep(0.5)
        rss_after = nginx.workers_rss_kb()

        for n, (label, channels, expected) in enumerate(events):
            marker = markers[n]
            if channels == ["questions"]:
                message = {"type": "question", "id": 1, "html": CARD_HTML, "m": marker.decode()}
            else:
                message = {"type": "answer", "answer": 1, "html": ANSWER_HTML, "m": marker.decode()}
            body = json.dumps(message).encode()
            urls = [nginx.publish_url + nginx.publish_path(channel) for channel in channels]
            t0 = time.monotonic()
            # One POST per channel, from a few threads as several app workers would.
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(post, urls, [body] * len(urls)))
            publish_ms = (time.monotonic() - t0) * 1000
            deadline = time.monotonic() + 15
            while progress()[3][n] < expected and time.monotonic() < deadline:
                time.sleep(0.1)
            results.append((label, expected, t0, publish_ms, len(urls)))
        received = {marker: [] for marker in markers}
        for pipe in pipes:
            pipe.send("stop")
        for pipe in pipes:
            while True:
                item = pipe.recv()
                if isinstance(item, dict):
                    for marker, times in item.items():
                        received[marker].extend(times)
                    break
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
        crashes = nginx.crashes()
        nginx.cleanup()

    per_sub_kb = (rss_after - rss_before) / max(connected, 1)
    print(
        f"live_fanout ({args.backend}, {args.workers} nginx workers, {len(procs)} client procs, "
        f"{args.subscribers} subscribers over {args.questions} question channels + questions)"
    )
    print(f"  subscribers: {connected} connected, {failed} refused, in {connect_seconds:.1f} s")
    complete = True
    for (label, expected, t0, publish_ms, posts), marker in zip(results, markers, strict=True):
        times = received[marker]
        latencies = [(t - t0) * 1000 for t in times]
        share = 100 * len(times) / max(expected, 1)
        complete = complete and len(times) == expected
        print(f"  {label}: {posts} POST(s) in {publish_ms:.0f} ms")
        print(f"    delivered: {len(times)} / {expected} ({share:.2f} %)")
        if latencies:
            print(
                f"    latency:   p50 {statistics.median(latencies):.0f} ms, "
                f"p99 {percentile(latencies, 99):.0f} ms, max {max(latencies):.0f} ms"
            )
    print(
        f"  nginx RSS:   {rss_before / 1024:.1f} MB → {rss_after / 1024:.1f} MB, "
        f"{per_sub_kb:.1f} KB per subscriber"
    )
    print(f"  worker crashes: {len(crashes)}")
    return 0 if complete and not crashes else 1


if __name__ == "__main__":
    sys.exit(main())
