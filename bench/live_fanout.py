"""Fan-out: N concurrent EventSource subscribers on one question, one publish.

    .venv/bin/python -m bench.live_fanout [--subscribers 10000] [--procs 4]
                                          [--backend nchan|push_stream --nginx /path/to/nginx]

Starts its own nginx (deploy/nginx/<backend>.conf rendered into a temp dir, free loopback
ports, LIVE_CONN_PER_IP lifted: every subscriber here comes from 127.0.0.1), opens the
subscribers from several processes (asyncio, raw sockets), publishes one message and prints:
delivered count, publish→receive latency p50/p99/max, and nginx workers' RSS per subscriber.
Traffic goes to 127.0.0.1 only. Needs about N+100 open files per side (ulimit -n).
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

from bench.common import Nginx, percentile


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def client_process(count, port, path, marker, probe, conn):
    """Open `count` EventSource connections, then watch them all with one epoll loop.

    Plain epoll rather than asyncio streams: with thousands of sockets per process the
    client's own overhead would otherwise dominate the latency being measured.
    """
    raise_nofile()
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
    poller = select.epoll()
    socks, tails, stage = {}, {}, {}
    failed = 0
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            failed += 1
            continue
        sock.sendall(request.encode())
        sock.setblocking(False)
        socks[sock.fileno()] = sock
        tails[sock.fileno()] = b""
        stage[sock.fileno()] = 0  # 0: waiting for 200, 1: subscribed, 2: probed, 3: received
        poller.register(sock.fileno(), select.EPOLLIN)
    counts = [0, 0, 0, 0]
    received = []
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
                counts[1] += 1
            elif stage[fd] == 0 and b"HTTP/1.1 " in buf:
                failed += 1
                stage[fd] = -1
            if stage[fd] == 1 and probe in buf:
                stage[fd] = 2
                counts[2] += 1
            if stage[fd] == 2 and marker in buf:
                stage[fd] = 3
                counts[3] += 1
                received.append(now)
            tails[fd] = buf[-256:]
        if conn.poll():
            if conn.recv() == "stop":
                break
        conn.send((counts[1], failed, counts[2], counts[3]))
    conn.send(received)
    for sock in socks.values():
        sock.close()


def post(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="POST")
    urllib.request.urlopen(request, timeout=5).close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
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
    nginx.start()
    channel = "question-1"
    publish_url = nginx.publish_url + nginx.publish_path(channel)
    marker = os.urandom(8).hex().encode()
    probe = os.urandom(8).hex().encode()
    procs, pipes = [], []
    try:
        rss_before = nginx.workers_rss_kb()
        started = time.monotonic()
        counts = [per_proc] * (args.subscribers // per_proc)
        if args.subscribers % per_proc:
            counts.append(args.subscribers % per_proc)
        for count in counts:
            parent, child = mp.Pipe()
            proc = mp.Process(
                target=client_process,
                args=(count, nginx.site_port, "/live/question-1", marker, probe, child),
            )
            proc.start()
            procs.append(proc)
            pipes.append(parent)

        def progress():
            latest = []
            for pipe in pipes:
                state = None
                while pipe.poll():
                    state = pipe.recv()
                latest.append(state or (0, 0, 0, 0))
            return [sum(column) for column in zip(*latest, strict=True)]

        deadline = time.monotonic() + 120
        while True:
            connected, failed, _, _ = progress()
            if connected + failed >= args.subscribers or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        connect_seconds = time.monotonic() - started
        # Publish probes until every subscriber hears them: then everyone is really subscribed.
        deadline = time.monotonic() + 30
        while True:
            post(publish_url, json.dumps({"probe": probe.decode()}).encode())
            time.sleep(0.5)
            connected, failed, probed, _ = progress()
            if probed >= connected or time.monotonic() > deadline:
                break
        time.sleep(0.5)
        rss_after = nginx.workers_rss_kb()

        message = {"type": "vote", "target": "question", "id": 1, "rating": 1, "m": marker.decode()}
        body = json.dumps(message).encode()
        t0 = time.monotonic()
        post(publish_url, body)
        publish_ms = (time.monotonic() - t0) * 1000
        deadline = time.monotonic() + 10
        while progress()[3] < connected and time.monotonic() < deadline:
            time.sleep(0.1)
        received = []
        for pipe in pipes:
            pipe.send("stop")
        for pipe in pipes:
            while True:
                item = pipe.recv()
                if isinstance(item, list):
                    received.extend(item)
                    break
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
        crashes = nginx.crashes()
        nginx.cleanup()

    latencies = [(t - t0) * 1000 for t in received]
    per_sub_kb = (rss_after - rss_before) / max(connected, 1)
    print(f"live_fanout ({args.backend}, {args.workers} nginx workers, {len(counts)} client procs)")
    print(f"  subscribers: {connected} connected, {failed} refused, in {connect_seconds:.1f} s")
    share = 100 * len(received) / args.subscribers
    print(f"  delivered:   {len(received)} / {args.subscribers} ({share:.2f} %)")
    if latencies:
        print(
            f"  latency:     p50 {statistics.median(latencies):.0f} ms, "
            f"p99 {percentile(latencies, 99):.0f} ms, max {max(latencies):.0f} ms "
            f"(publish POST answered in {publish_ms:.0f} ms)"
        )
    print(
        f"  nginx RSS:   {rss_before / 1024:.1f} MB → {rss_after / 1024:.1f} MB, "
        f"{per_sub_kb:.1f} KB per subscriber"
    )
    print(f"  worker crashes: {len(crashes)}")
    return 0 if len(received) == args.subscribers and not crashes else 1


if __name__ == "__main__":
    sys.exit(main())
