"""The one way AskMe renders and runs nginx: `make up`, the live tests and the benches.

    .venv/bin/python -m deploy.nginx up      # render var/nginx/nginx.conf, check, start or reload
    .venv/bin/python -m deploy.nginx down    # stop it (by its pid file)
    .venv/bin/python -m deploy.nginx render [--backend push_stream] [--prefix DIR]  # only render

A backend's template (deploy/nginx/nchan.conf or push-stream.conf) is rendered into
<prefix>/nginx.conf and the shared parts (deploy/nginx/common/*.conf, which it includes) into
<prefix>/common/. ${NAME} placeholders come from `defaults()`: the environment (SITE_PORT,
APP_BIND, LIVE_PUBLISH_URL, ...), this checkout's paths and the channel patterns of
live/channels.py. nginx's own $variables pass through untouched.
"""

import argparse
import os
import re
import resource
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from core.public_paths import PUBLIC_PAGE_PATTERN
from deploy.ports import url_port
from live.channels import NGINX_PATTERNS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "deploy" / "nginx"
COMMON = TEMPLATES / "common"
TEMPLATE_BY_BACKEND = {"nchan": "nchan.conf", "push_stream": "push-stream.conf"}
# The internal publisher Django posts to; nginx listens on its port (LIVE_PUBLISH_URL).
DEFAULT_PUBLISH_URL = "http://127.0.0.1:8082"
LOOPBACK = {"127.0.0.1", "localhost"}


class NginxError(RuntimeError):
    """nginx refused a config or failed to start; the message says why (its own words)."""


class NginxTemplate(Template):
    """Only ${UPPER_CASE} is ours; nginx's own $variables pass through untouched."""

    braceidpattern = r"[A-Z][A-Z0-9_]*"
    idpattern = r"(?!)"  # bare $name always belongs to nginx
    flags = 0


# -- rendering --------------------------------------------------------------------------------
def render(template: Path, values: Mapping[str, str]) -> str:
    text = NginxTemplate(Path(template).read_text()).safe_substitute(values)
    left = re.findall(r"\$\{[A-Z][A-Z0-9_]*\}", text)
    if left:
        raise KeyError(f"{template}: no value for {', '.join(sorted(set(left)))}")
    return text


def write_config(
    template: Path,
    prefix: Path,
    values: Mapping[str, str],
    transform: Callable[[str], str] | None = None,
) -> Path:
    """Render `template` into prefix/nginx.conf and the shared includes into prefix/common/.

    nginx resolves a relative `include` against the directory of the -c file, so the rendered
    config and its includes always travel together. `transform` edits the main file's text
    (the tests use it to take a protection out and show what it protects against), and the
    includes' text too."""
    prefix = Path(prefix)
    edit = transform or (lambda text: text)
    (prefix / "common").mkdir(parents=True, exist_ok=True)
    for part in sorted(COMMON.glob("*.conf")):
        (prefix / "common" / part.name).write_text(edit(render(part, values)))
    conf = prefix / "nginx.conf"
    conf.write_text(edit(render(template, values)))
    return conf


def template_for(backend: str) -> Path:
    if backend == "balancer":  # `make cluster`'s load balancer in front of the nodes
        return TEMPLATES / "balancer.conf"
    try:
        return TEMPLATES / TEMPLATE_BY_BACKEND[backend]
    except KeyError:
        raise NginxError(
            f"LIVE_BACKEND={backend!r} has no nginx config (nchan or push_stream)"
        ) from None


def publish_port(env: Mapping[str, str]) -> str:
    """The publisher's listen port: the port of LIVE_PUBLISH_URL, the URL Django posts to.

    One variable, so Django and nginx cannot disagree. PUBLISH_PORT (the old, undocumented
    name) is accepted only when it says the same."""
    url = env.get("LIVE_PUBLISH_URL") or DEFAULT_PUBLISH_URL
    try:
        port = str(url_port(url, "LIVE_PUBLISH_URL"))
    except ValueError as exc:
        raise NginxError(str(exc)) from None
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise NginxError(
            f"LIVE_PUBLISH_URL={url}: the publisher listens on 127.0.0.1 only "
            "(use http://127.0.0.1:<port>)"
        )
    legacy = env.get("PUBLISH_PORT")
    if legacy and legacy != port:
        raise NginxError(
            f"PUBLISH_PORT={legacy} disagrees with LIVE_PUBLISH_URL={url}; "
            "set only LIVE_PUBLISH_URL (the publisher listens on its port)"
        )
    return port


def _nofile_limit(wanted: int = 65535) -> int:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def reachable_by_others(path: Path) -> bool:
    """Whether an unprivileged user can reach files below path (o+x on it and every parent)."""
    path = Path(path).resolve()
    for part in (path, *path.parents):
        if part.exists() and not part.stat().st_mode & stat.S_IXOTH:
            return False
    return True


def user_line(*served: Path) -> str:
    """nginx started as root drops its workers to nobody, who must reach what nginx serves.

    A checkout under a private directory (/root is 0700) is out of nobody's reach: then the
    workers keep the checkout owner's identity instead of answering 403 for every static file.
    """
    if os.geteuid() != 0:
        return ""  # started as a user, nginx keeps that user
    if all(reachable_by_others(p) for p in served):
        return "user nobody nogroup;"
    print(
        "deploy.nginx: nobody cannot reach "
        + ", ".join(map(str, served))
        + "; nginx workers run as root (move the checkout out of a private directory to avoid it)",
        file=sys.stderr,
    )
    return "user root root;"


def defaults(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every ${PLACEHOLDER} of the templates, from the environment with `make up`'s defaults."""
    env = os.environ if env is None else env
    var = Path(env.get("VAR_DIR", ROOT / "var")).resolve()
    static_root = Path(env.get("STATIC_ROOT", var / "static"))
    media_root = Path(env.get("MEDIA_ROOT", var / "uploads"))
    return {
        "VAR_DIR": str(var),
        "NGINX_PREFIX": str(var / "nginx"),
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(media_root),
        "SITE_HOST": env.get("SITE_HOST", "0.0.0.0"),
        "SITE_PORT": env.get("SITE_PORT", "8000"),
        "APP_ADDR": env.get("APP_BIND", "127.0.0.1:8001"),
        "PUBLISH_PORT": publish_port(env),
        "NCHAN_MODULE": env.get("NCHAN_MODULE", "/usr/lib/nginx/modules/ngx_nchan_module.so"),
        # One worker: Nchan's in-memory store counts a page's subscription (several channels on
        # one connection) exactly only within one worker; with two, 5 of 21 runs of three
        # readers read a question's "N reading" short by one or two for as long as it was
        # watched (30 s; see README "Live"). One worker holds 16,384 connections and serves
        # the public-page cache at the static floor (bench.pages runs one).
        "WORKER_PROCESSES": env.get("NGINX_WORKERS", "1"),
        "WORKER_CONNECTIONS": env.get("NGINX_WORKER_CONNECTIONS", "16384"),
        "LIVE_CONN_PER_IP": env.get("LIVE_CONN_PER_IP", "64"),
        # POST /login/ and /signup/ per client address: 10 at once, then one every 3 s.
        "LOGIN_RATE": env.get("NGINX_LOGIN_RATE", "20r/m"),
        "LOGIN_BURST": env.get("NGINX_LOGIN_BURST", "10"),
        # Posting (ask, answer, vote, mark correct, profile edit): 40 at once, then 2 a second.
        "POST_RATE": env.get("NGINX_POST_RATE", "2r/s"),
        "POST_BURST": env.get("NGINX_POST_BURST", "40"),
        # Never ask for more open files than the hard limit allows (setrlimit would fail).
        "WORKER_RLIMIT_NOFILE": env.get("NGINX_RLIMIT_NOFILE", str(_nofile_limit())),
        "USER_LINE": user_line(static_root, media_root),
        **nchan_redis(env.get("NCHAN_REDIS_URL", "")),
        "REAL_IP_LINES": real_ip_lines(env.get("TRUSTED_BALANCER", "")),
        "NODES": upstream_servers(env.get("CLUSTER_NODES", "")),
        "BALANCER_PORT": env.get("BALANCER_PORT", "8300"),
        **NGINX_PATTERNS,
        "PUBLIC_PAGE_PATTERN": PUBLIC_PAGE_PATTERN,
    }


def real_ip_lines(balancer: str) -> str:
    if not balancer:
        return ""
    if not re.fullmatch(r"[0-9a-fA-F.:/\[\]]+", balancer):
        raise NginxError(f"TRUSTED_BALANCER={balancer!r}: expected an address or CIDR range")
    return f"set_real_ip_from {balancer};\nreal_ip_header X-Forwarded-For;"


def upstream_servers(nodes: str) -> str:
    """CLUSTER_NODES=127.0.0.1:8100,127.0.0.1:8200 → the balancer's upstream servers."""
    lines = []
    for node in filter(None, (n.strip() for n in nodes.split(","))):
        if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+:[0-9]+", node):
            raise NginxError(f"CLUSTER_NODES: {node!r} is not host:port")
        lines.append(f"server {node} max_fails=1 fail_timeout=5s;")
    return "\n        ".join(lines) or "server 127.0.0.1:9 down;"


def nchan_redis(url: str) -> dict[str, str]:
    """NCHAN_REDIS_URL (redis://host:port[/db]): Nchan channels shared through Redis, so a
    publish on any node reaches subscribers on every node. Empty: channels in this nginx's
    memory (one node, `make up`'s default).

    Storage mode `nostore`: Redis only carries each message to every node (PUBSUB) and each node
    delivers from its own memory. Nothing is stored in Redis because nothing is ever replayed
    from Nchan: subscribers start at the newest message, message-id resume is off, and pages
    catch up from our own endpoint. Nchan's docs: an order of magnitude more publishing
    capacity than `distributed`, at the price of no delivery guarantee while Redis is away —
    the gap our catch-up covers.
    """
    if not url:
        return {"NCHAN_REDIS_UPSTREAM": "", "NCHAN_REDIS_PASS": ""}
    parts = urlsplit(url)
    if parts.scheme != "redis" or not parts.hostname or re.search(r"[\s;{}'\"]", url):
        raise NginxError(f"NCHAN_REDIS_URL={url!r}: expected redis://host:port[/db]")
    upstream = (
        "upstream askme_redis {\n"
        f"        nchan_redis_server {url};\n"
        "        nchan_redis_storage_mode nostore;\n"
        "    }"
    )
    return {"NCHAN_REDIS_UPSTREAM": upstream, "NCHAN_REDIS_PASS": "nchan_redis_pass askme_redis;"}


# -- running ----------------------------------------------------------------------------------
def prepare_prefix(prefix: Path) -> None:
    """logs/, tmp/ and cache/ below the prefix; started as root, nginx's workers (nobody) write
    tmp/ and cache/ (the public pages' proxy_cache, common/http.conf)."""
    prefix = Path(prefix)
    for sub in ("logs", "tmp", "cache"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    prefix.chmod(0o755)
    if os.geteuid() == 0:
        import pwd  # noqa: PLC0415  (Unix only, and only as root)

        nobody = pwd.getpwnam("nobody")
        for sub in ("tmp", "cache"):
            for path in (prefix / sub, *(prefix / sub).rglob("*")):
                os.chown(path, nobody.pw_uid, nobody.pw_gid)


def command(prefix: Path, binary: str = "nginx", *extra: str) -> list[str]:
    prefix = Path(prefix)
    return [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), *extra]


def error_log_tail(prefix: Path, lines: int = 15) -> str:
    path = Path(prefix) / "logs" / "error.log"
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _failed(what: str, stderr: str, prefix: Path) -> NginxError:
    lines: list[str] = []
    for line in stderr.strip().splitlines():  # nginx retries a bind five times, saying so each time
        if line not in lines:
            lines.append(line)
    message = f"{what}:\n" + "\n".join(lines)
    if not lines:
        log = Path(prefix) / "logs" / "error.log"
        message += f"nothing on stderr; last lines of {log}:\n{error_log_tail(prefix)}"
    if "Address already in use" in stderr:
        message += (
            "\nA port is taken (another nginx, or a second checkout?): give this one its own "
            "SITE_PORT and LIVE_PUBLISH_URL (README, Settings)."
        )
    return NginxError(message)


def check(prefix: Path, binary: str = "nginx") -> None:
    """`nginx -t`: raises NginxError with nginx's own explanation."""
    result = subprocess.run(command(prefix, binary, "-t", "-q"), capture_output=True, text=True)
    if result.returncode != 0:
        raise _failed("nginx -t failed", result.stderr, prefix)


def start(prefix: Path, binary: str = "nginx", *, foreground: bool = False):
    """Start nginx on a rendered prefix.

    foreground=True (tests, benches): nginx runs as our child (daemon off) and the Popen is
    returned; its stderr goes to logs/stderr.log. Otherwise (make up) nginx daemonizes; a
    failure (a port in use, a bad path) raises NginxError with what nginx said."""
    prefix = Path(prefix)
    if foreground:
        with open(prefix / "logs" / "stderr.log", "ab") as err:
            return subprocess.Popen(
                command(prefix, binary, "-g", "daemon off;"), stdout=subprocess.DEVNULL, stderr=err
            )
    result = subprocess.run(command(prefix, binary), capture_output=True, text=True)
    if result.returncode != 0:
        raise _failed("nginx did not start", result.stderr, prefix)
    return None


def running_pid(prefix: Path) -> int | None:
    """The master's pid from prefix/nginx.pid, if that process is alive."""
    try:
        pid = int((Path(prefix) / "nginx.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def reload(prefix: Path, binary: str = "nginx") -> None:
    result = subprocess.run(command(prefix, binary, "-s", "reload"), capture_output=True, text=True)
    if result.returncode != 0:
        raise _failed("nginx -s reload failed", result.stderr, prefix)


def stop(prefix: Path, timeout: float = 5.0) -> bool:
    """Stop the daemonized nginx of `prefix` by its pid file; True when one was running."""
    pid = running_pid(prefix)
    if pid is None:
        (Path(prefix) / "nginx.pid").unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.05)
    (Path(prefix) / "nginx.pid").unlink(missing_ok=True)
    return True


def up(
    backend: str, prefix: Path, binary: str = "nginx", env: Mapping[str, str] | None = None
) -> str:
    """Render, check, then reload the running nginx of `prefix` or start one. Idempotent."""
    prefix = Path(prefix).resolve()
    if backend == "push_stream" and (env if env is not None else os.environ).get("NCHAN_REDIS_URL"):
        raise NginxError(
            "NCHAN_REDIS_URL is set but push-stream cannot share channels between servers: "
            "several nodes need LIVE_BACKEND=nchan"
        )
    prepare_prefix(prefix)
    write_config(template_for(backend), prefix, {**defaults(env), "NGINX_PREFIX": str(prefix)})
    check(prefix, binary)
    if running_pid(prefix) is not None:
        reload(prefix, binary)
        return "reloaded"
    start(prefix, binary)
    return "started"


# -- command line -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.nginx", description=__doc__)
    parser.add_argument("action", choices=("up", "down", "render"))
    parser.add_argument(
        "--backend",
        default=os.environ.get("LIVE_BACKEND", "nchan"),
        help="nchan or push_stream (default: LIVE_BACKEND; 'off' renders Nchan's), or "
        "balancer (make cluster's load balancer)",
    )
    parser.add_argument("--binary", default=os.environ.get("NGINX_BIN", "nginx"))
    parser.add_argument(
        "--prefix",
        type=Path,
        default=Path(os.environ.get("VAR_DIR", ROOT / "var")).resolve() / "nginx",
    )
    args = parser.parse_args(argv)
    backend = "nchan" if args.backend == "off" else args.backend
    try:
        if args.action == "up":
            print(f"nginx {up(backend, args.prefix, args.binary)} ({args.prefix}/nginx.conf)")
        elif args.action == "down":
            if stop(args.prefix):
                print("stopped nginx")
        else:
            prefix = args.prefix.resolve()
            values = {**defaults(), "NGINX_PREFIX": str(prefix)}
            print(write_config(template_for(backend), prefix, values))
    except NginxError as exc:
        print(f"deploy.nginx: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
