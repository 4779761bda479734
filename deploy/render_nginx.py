#!/usr/bin/env python3
"""Render an nginx config template from deploy/nginx/ with this checkout's paths and ports.

    deploy/render_nginx.py deploy/nginx/nchan.conf var/nginx/nginx.conf

${NAME} placeholders come from the environment (with the defaults below); the rendered file
is what `nginx -p var/nginx -c nginx.conf` runs, for `make up` and for the live tests alike.
"""

import os
import re
import resource
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


def defaults() -> dict[str, str]:
    var = Path(os.environ.get("VAR_DIR", ROOT / "var")).resolve()
    as_root = os.geteuid() == 0
    return {
        "VAR_DIR": str(var),
        "NGINX_PREFIX": str(var / "nginx"),
        "STATIC_ROOT": str(var / "static"),
        "MEDIA_ROOT": os.environ.get("MEDIA_ROOT", str(var / "uploads")),
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
        # nginx started as root drops workers to an unprivileged user; as a user it keeps it.
        "USER_LINE": "user nobody nogroup;" if as_root else "",
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
