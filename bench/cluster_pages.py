"""Page throughput through the balancer: both nodes, then one (the other node's nginx stopped).

    .venv/bin/python -m bench.cluster_pages [--duration 10] [--connections 16] [--ratio 200]

Starts `bin/cluster.sh up` (two nodes, balancer, its own PostgreSQL, memcached, Redis) on free
ports in a temp dir, fills it with `fill_db <ratio>`, runs wrk on the balancer for a list page
and a question page with both nodes, stops node 2's nginx (the balancer sends everything to
node 1, as when a node dies) and runs the same again; prints requests/s, p50/p99 and the ratio.
Both nodes share this machine's cores, so the ratio says how much a second node adds when
it brings no cores of its own (≈1 means the machine, not the node, is the limit).
Stops everything it started (`bin/cluster.sh down`).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from bench.pages import wrk
from deploy.ports import free_port, listening

ROOT = Path(__file__).resolve().parent.parent


def ports() -> dict[str, int]:
    taken: set[int] = set()
    out = {}
    for name in ("NODE1_PORT", "NODE2_PORT", "BALANCER_PORT", "CLUSTER_PGPORT",
                 "CLUSTER_MEMCACHED_PORT", "REDIS_PORT"):  # fmt: skip
        while True:
            port = free_port()
            run = {port, port + 1, port + 2}
            if not run & taken and not any(listening(p) for p in run):
                taken |= run
                out[name] = port
                break
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--ratio", type=int, default=200, help="fill_db ratio")
    args = parser.parse_args()
    if shutil.which("wrk") is None or shutil.which("redis-server") is None:
        print("needs Debian's wrk and redis-server", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="askme-cluster-bench-"))
    os.chmod(workdir, 0o755)
    crontab = workdir / "crontab"
    crontab.write_text("#!/bin/sh\ncat >/dev/null 2>&1 || true\n")
    crontab.chmod(0o755)
    port = ports()
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "USER"}}
    env.update({k: str(v) for k, v in port.items()})
    env.update(
        CLUSTER_DIR=str(workdir), DEMO_RATIO=str(args.ratio), CRONTAB=str(crontab), CRON_START="0"
    )
    cluster = [str(ROOT / "bin" / "cluster.sh")]
    try:
        up = subprocess.run([*cluster, "up"], env=env, capture_output=True, text=True, timeout=600)
        if up.returncode != 0:
            print(f"bin/cluster.sh up failed:\n{(up.stdout + up.stderr)[-3000:]}", file=sys.stderr)
            return 1
        base = f"http://127.0.0.1:{port['BALANCER_PORT']}"
        with urllib.request.urlopen(base + "/user/user0/", timeout=10) as response:  # noqa: S310
            question = re.search(r'href="(/question/\d+/)"', response.read().decode()).group(1)
        pages = {"new questions": "/", "question": question}
        results: dict[str, dict] = {}
        for label in ("both nodes", "one node"):
            if label == "one node":
                node2 = {**env, "VAR_DIR": str(workdir / "node2")}
                subprocess.run(
                    [sys.executable, "-m", "deploy.nginx", "down",
                     "--prefix", str(workdir / "node2" / "nginx")],
                    env=node2, cwd=ROOT, check=True, capture_output=True,
                )  # fmt: skip
            for name, path in pages.items():
                wrk(base + path, args.connections, 2)  # warm every worker
                results[f"{label}|{name}"] = wrk(base + path, args.connections, args.duration)
    finally:
        subprocess.run([*cluster, "down"], env=env, capture_output=True, timeout=300)
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"cluster_pages: wrk c={args.connections} {args.duration} s through the balancer, "
        f"fill_db {args.ratio}, GUNICORN_WORKERS default per node"
    )
    for name in pages:
        both, one = results[f"both nodes|{name}"], results[f"one node|{name}"]
        print(
            f"  {name:14} both nodes {both['rps']:6.1f} req/s (p50 {both['p50']:.0f}, "
            f"p99 {both['p99']:.0f} ms, {both['errors']} errors) | one node "
            f"{one['rps']:6.1f} req/s (p50 {one['p50']:.0f}, p99 {one['p99']:.0f} ms, "
            f"{one['errors']} errors) | ratio {both['rps'] / one['rps']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
