"""Across nodes: Nchan on two nginx nodes sharing one Redis (nostore), against one node in memory.

    .venv/bin/python -m bench.cluster_fanout [--subscribers 10000] [--procs 2]
                                             [--messages 2000] [--channels 1000]

1. Fan-out: N EventSource subscribers on node 1 and N on node 2, one question; one publish
   through node 1; delivered and publish→receive p50/p99 per node. The same N on one node
   with channels in memory (`make up`'s config), in the same run, for comparison.
2. Publish throughput through Redis, with 1,000 subscribers (alternating nodes): messages per
   second to one channel (--messages / 10, each to all 1,000), and --messages spread round
   robin over --channels channels (one subscriber each), from 4 publishing threads posting to
   node 1's publisher; every delivery is counted at the subscribers.
Everything on 127.0.0.1, nginx and redis-server on free ports (bench/common.py, the tests'
harness). Clients, both nodes and Redis share this machine's cores.
"""

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
import urllib.request

from bench.common import Nginx, percentile
from bench.live_fanout import client_process, post, raise_nofile
from deploy.nginx import nchan_redis
from tests.live.redis import Redis


def node(redis_url: str | None, subscribers: int) -> Nginx:
    values = {"WORKER_CONNECTIONS": str(max(16384, subscribers + 1000))}
    if redis_url:
        values.update(nchan_redis(redis_url))
    return Nginx.for_backend(
        "nchan", workers=2, conn_per_ip=subscribers + 1000, values=values
    ).start()


class Crowd:
    """`count` subscribers on one node's public port, split over `procs` client processes."""

    def __init__(self, nginx: Nginx, count: int, procs: int, marker: bytes, probe: bytes):
        per = -(-count // procs)
        self.count, self.pipes, self.procs = count, [], []
        self.latest: list[tuple] = []
        for n in [per] * (count // per) + ([count % per] if count % per else []):
            parent, child = mp.Pipe()
            proc = mp.Process(
                target=client_process,
                args=(n, nginx.site_port, "/live/question-1", marker, probe, child),
            )
            proc.start()
            self.procs.append(proc)
            self.pipes.append(parent)

    def progress(self) -> list[int]:
        """(connected, refused, probed, received), from each process's newest report (kept:
        a process that has not reported since the last call still counts)."""
        if not self.latest:
            self.latest = [(0, 0, 0, 0)] * len(self.pipes)
        for index, pipe in enumerate(self.pipes):
            while pipe.poll():
                self.latest[index] = pipe.recv()
        return [sum(column) for column in zip(*self.latest, strict=True)]

    def finish(self) -> list[float]:
        received: list[float] = []
        for pipe in self.pipes:
            pipe.send("stop")
        for pipe in self.pipes:
            while True:
                item = pipe.recv()
                if isinstance(item, list):
                    received.extend(item)
                    break
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
        return received


def fan_out(publisher: Nginx, readers: list[Nginx], subscribers: int, procs: int) -> list[dict]:
    """One publish through `publisher` to `subscribers` readers on each node of `readers`."""
    marker, probe = os.urandom(8).hex().encode(), os.urandom(8).hex().encode()
    crowds = [Crowd(nginx, subscribers, procs, marker, probe) for nginx in readers]
    url = publisher.publish_url + "/pub/question-1"
    started = time.monotonic()
    while time.monotonic() - started < 120:
        states = [crowd.progress() for crowd in crowds]
        if all(s[0] + s[1] >= subscribers for s in states):
            break
        time.sleep(0.2)
    deadline = time.monotonic() + 60
    while True:  # probes until every subscriber on every node hears one
        post(url, json.dumps({"probe": probe.decode()}).encode())
        time.sleep(0.5)
        states = [crowd.progress() for crowd in crowds]
        if all(s[2] >= s[0] for s in states) or time.monotonic() > deadline:
            break
    time.sleep(0.5)
    message = {"type": "vote", "target": "question", "id": 1, "rating": 1, "m": marker.decode()}
    t0 = time.monotonic()
    post(url, json.dumps(message).encode())
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        states = [crowd.progress() for crowd in crowds]
        if all(s[3] >= s[0] for s in states):
            break
        time.sleep(0.1)
    results = []
    for crowd in crowds:
        connected = crowd.progress()[0]
        latencies = [(t - t0) * 1000 for t in crowd.finish()]
        results.append({"connected": connected, "latencies": latencies})
    return results


def throughput(nodes: list[Nginx], messages: int, channels: int, readers: int = 1000) -> None:
    """`messages` published through node 1 over `channels` channels (round robin) from 4
    threads; `readers` subscribers, alternating nodes and channels; every delivery counted."""
    from tests.live.harness import SSEClient

    clients = [
        SSEClient("127.0.0.1", nodes[i % 2].site_port, f"/live/question-{i % channels + 1}").start()
        for i in range(readers)
    ]
    for client in clients:
        client.wait_connected(60)
    time.sleep(2)  # subscribed across workers and to Redis
    base = nodes[0].publish_url

    def publish(start: int) -> None:
        for n in range(start, messages, 4):
            request = urllib.request.Request(
                f"{base}/pub/question-{n % channels + 1}", data=b'{"n": %d}' % n
            )
            urllib.request.urlopen(request, timeout=10).close()

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(4)]
    t0 = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - t0
    per_channel = {c: len(range(c - 1, messages, channels)) for c in range(1, channels + 1)}
    want = sum(per_channel[i % channels + 1] for i in range(readers))
    deadline = time.monotonic() + 120
    while sum(len(c.events) for c in clients) < want and time.monotonic() < deadline:
        time.sleep(0.2)
    got = sum(len(c.events) for c in clients)
    for client in clients:
        client.close()
    print(
        f"    {messages} messages in {seconds:.2f} s: {messages / seconds:,.0f} messages/s "
        f"published; {got:,} / {want:,} deliveries ({100 * got / want:.2f} %)"
    )


def describe(label: str, result: dict, subscribers: int) -> str:
    lat = result["latencies"]
    if not lat:
        return f"  {label}: delivered 0 / {subscribers}"
    return (
        f"  {label}: delivered {len(lat)} / {subscribers} ({100 * len(lat) / subscribers:.2f} %), "
        f"p50 {statistics.median(lat):.0f} ms, p99 {percentile(lat, 99):.0f} ms, "
        f"max {max(lat):.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000, help="per node")
    parser.add_argument("--procs", type=int, default=2, help="client processes per node")
    parser.add_argument(
        "--messages", type=int, default=2000, help="spread; one channel gets a tenth"
    )
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    limit = raise_nofile()
    if limit < args.subscribers // args.procs + 200:
        print(f"ulimit -n is {limit}: too low", file=sys.stderr)
        return 1

    redis = Redis().start()
    nodes: list[Nginx] = []
    crashes: list[str] = []
    try:
        print(f"cluster_fanout: {args.subscribers} subscribers per node, 2 nginx workers each")
        single = node(None, args.subscribers)
        try:
            (alone,) = fan_out(single, [single], args.subscribers, args.procs)
        finally:
            crashes += single.crashes()
            single.cleanup()
        print(describe("one node, in memory        ", alone, args.subscribers))

        nodes = [node(redis.url, args.subscribers) for _ in range(2)]
        first, second = fan_out(nodes[0], nodes, args.subscribers, args.procs)
        print(describe("two nodes + Redis, node 1  ", first, args.subscribers))
        print(describe("two nodes + Redis, node 2  ", second, args.subscribers))
        total = len(first["latencies"]) + len(second["latencies"])
        print(f"  both nodes: {total} / {2 * args.subscribers} delivered")

        if not args.skip_throughput:
            print("  publish throughput through Redis (4 publishing threads → node 1):")
            print("   one channel, 500 subscribers on each node:")
            throughput(nodes, args.messages // 10, 1)
            print(f"   spread over {args.channels} channels, one subscriber each (half per node):")
            throughput(nodes, args.messages, args.channels)
    finally:
        for nginx in nodes:
            crashes += nginx.crashes()
            nginx.cleanup()
        redis.cleanup()
    print(f"  worker crashes: {len(crashes)}")
    return 0 if not crashes else 1


if __name__ == "__main__":
    sys.exit(main())
