#!/usr/bin/env python3
"""Render an nginx config template from deploy/nginx/ with this checkout's paths and ports.

    deploy/render_nginx.py deploy/nginx/nchan.conf var/nginx/nginx.conf

${NAME} placeholders come from the environment (with the defaults below); the rendered file
is what `nginx -p var/nginx -c nginx.conf` runs, for `make up` and for the live tests alike.
"""

import os
import re
import resource
import stat
import sys
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent


class NginxTemplate(Template):
    """Only ${UPPER_CASE} is ours; nginx's own $variables pass through untouched."""

    braceidpattern = r"[A-Z][A-Z0-9_]*"
    idpattern = r"(?!)"  # bare $name always belongs to nginx
    flags = 0


def render(template: Path, values: dict[str, str]) -> str:
    text = NginxTemplate(template.read_text()).safe_substitute(values)
    left = re.findall(r"\$\{[A-Z][A-Z0-9_]*\}", text)
    if left:
        raise KeyError(f"no value for {', '.join(sorted(set(left)))}")
    return text


def _nofile_limit(wanted: int = 65535) -> int:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def reachable_by_others(path: Path) -> bool:
    """Whether an unprivileged user can reach files below path (o+x on it and every parent)."""
    path = path.resolve()
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
        "render_nginx: nobody cannot reach "
        + ", ".join(map(str, served))
        + "; nginx workers run as root (move the checkout out of a private directory to avoid it)",
        file=sys.stderr,
    )
    return "user root root;"


def defaults() -> dict[str, str]:
    var = Path(os.environ.get("VAR_DIR", ROOT / "var")).resolve()
    static_root = Path(os.environ.get("STATIC_ROOT", var / "static"))
    media_root = Path(os.environ.get("MEDIA_ROOT", var / "uploads"))
    return {
        "VAR_DIR": str(var),
        "NGINX_PREFIX": str(var / "nginx"),
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(media_root),
        "SITE_HOST": os.environ.get("SITE_HOST", "0.0.0.0"),
        "SITE_PORT": os.environ.get("SITE_PORT", "8000"),
        "APP_ADDR": os.environ.get("APP_BIND", "127.0.0.1:8001"),
        "PUBLISH_PORT": os.environ.get("PUBLISH_PORT", "8082"),
        "NCHAN_MODULE": os.environ.get(
            "NCHAN_MODULE", "/usr/lib/nginx/modules/ngx_nchan_module.so"
        ),
        "WORKER_PROCESSES": os.environ.get("NGINX_WORKERS", "auto"),
        "WORKER_CONNECTIONS": os.environ.get("NGINX_WORKER_CONNECTIONS", "16384"),
        "LIVE_CONN_PER_IP": os.environ.get("LIVE_CONN_PER_IP", "64"),
        # Never ask for more open files than the hard limit allows (setrlimit would fail).
        "WORKER_RLIMIT_NOFILE": os.environ.get("NGINX_RLIMIT_NOFILE", str(_nofile_limit())),
        "USER_LINE": user_line(static_root, media_root),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(Path(argv[1]), defaults()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
