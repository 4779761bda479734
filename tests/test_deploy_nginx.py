"""deploy/nginx.py: ports derived from the settings Django reads, and `python -m deploy.nginx`
(what bin/up.sh and bin/down.sh run) starting, reloading, refusing and stopping a real nginx."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from deploy import nginx as deploy_nginx
from deploy.ports import FREE_PORT_FLOOR, ephemeral_range, free_port, listening

ROOT = settings.BASE_DIR


def test_free_ports_stay_out_of_the_range_outgoing_connections_take_ports_from():
    # A port from the ephemeral range can become the local end of some connection before the
    # server meant for it binds (a cluster test's gunicorn found its port "in use").
    low, _ = ephemeral_range()
    ports = {free_port() for _ in range(50)}
    assert all(FREE_PORT_FLOOR <= port < low for port in ports)
    assert len(ports) > 40  # spread out, so parallel runs rarely pick the same one


def test_the_publisher_listens_on_the_port_of_live_publish_url(tmp_path):
    env = {"VAR_DIR": str(tmp_path), "LIVE_PUBLISH_URL": "http://127.0.0.1:8602"}
    values = deploy_nginx.defaults(env)
    assert values["PUBLISH_PORT"] == "8602"
    for backend in deploy_nginx.TEMPLATE_BY_BACKEND:
        conf = deploy_nginx.write_config(deploy_nginx.template_for(backend), tmp_path, values)
        assert "listen 127.0.0.1:8602;" in conf.read_text()
        assert "8082" not in conf.read_text()


def test_without_live_publish_url_both_sides_use_the_same_default(tmp_path):
    assert deploy_nginx.defaults({"VAR_DIR": str(tmp_path)})["PUBLISH_PORT"] == "8082"
    env = {k: v for k, v in os.environ.items() if k not in ("LIVE_PUBLISH_URL", "PUBLISH_PORT")}
    django_default = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.LIVE_PUBLISH_URL)",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "askme.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert django_default == deploy_nginx.DEFAULT_PUBLISH_URL


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"LIVE_PUBLISH_URL": "http://127.0.0.1:8602", "PUBLISH_PORT": "8082"}, "disagrees"),
        ({"LIVE_PUBLISH_URL": "http://10.0.0.5:8082"}, "127.0.0.1 only"),
        ({"LIVE_PUBLISH_URL": "https://127.0.0.1:8082"}, "expected http://host:port"),
        ({"LIVE_PUBLISH_URL": "http://127.0.0.1:port"}, "invalid port"),
    ],
)
def test_publisher_settings_that_cannot_work_are_refused_clearly(tmp_path, env, says):
    with pytest.raises(deploy_nginx.NginxError, match=says):
        deploy_nginx.defaults({"VAR_DIR": str(tmp_path), **env})


def test_the_old_publish_port_is_accepted_when_it_agrees(tmp_path):
    env = {"VAR_DIR": str(tmp_path), "LIVE_PUBLISH_URL": "http://localhost:8602"}
    assert deploy_nginx.defaults({**env, "PUBLISH_PORT": "8602"})["PUBLISH_PORT"] == "8602"


def _cli(action: str, env: dict, prefix) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deploy.nginx", action, "--prefix", str(prefix)],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.live
def test_up_reload_refuse_and_down(tmp_path):
    site, publisher = free_port(), free_port()
    env = {
        "VAR_DIR": str(tmp_path),
        "SITE_HOST": "127.0.0.1",
        "SITE_PORT": str(site),
        "APP_BIND": "127.0.0.1:9",
        "LIVE_PUBLISH_URL": f"http://127.0.0.1:{publisher}",
        "NGINX_WORKERS": "1",
        "LIVE_BACKEND": "nchan",
    }
    first, second = tmp_path / "nginx", tmp_path / "other-nginx"
    try:
        started = _cli("up", env, first)
        assert started.returncode == 0, started.stderr
        assert "nginx started" in started.stdout
        assert listening(site) and listening(publisher)

        again = _cli("up", env, first)
        assert again.returncode == 0, again.stderr
        assert "nginx reloaded" in again.stdout

        # A second checkout that only changed the publisher: the site port is taken.
        clash = _cli("up", {**env, "LIVE_PUBLISH_URL": f"http://127.0.0.1:{free_port()}"}, second)
        assert clash.returncode == 1
        assert "nginx did not start" in clash.stderr
        assert f"127.0.0.1:{site} failed" in clash.stderr
        assert "Address already in use" in clash.stderr
    finally:
        stopped = _cli("down", env, first)
        _cli("down", env, second)
    assert "stopped nginx" in stopped.stdout
    assert not listening(site) and not listening(publisher)
    assert _cli("down", env, first).stdout == ""  # nothing left to stop
