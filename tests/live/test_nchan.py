"""What only Nchan needs: deploy/nginx/nchan.conf under Debian's nginx + Nchan 1.3.6 (its
message-id resume kept off, the crash it avoids). What both backends do: test_backends.py."""

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from live import publisher

from .harness import Nginx

pytestmark = pytest.mark.live


def test_last_event_id_does_not_resume(nchan):
    """Nchan's resume is off: a (stale or valid) Last-Event-ID gets nothing replayed."""
    assert publisher.publish(36, {"n": 1})
    for last_event_id in ("0:0", f"{int(time.time()) - 3600}:0", f"{int(time.time())}:0", "junk"):
        reader = nchan.subscribe(36, headers={"Last-Event-ID": last_event_id})
        reader.wait_connected()
        time.sleep(0.1)
        reader.close()
        assert reader.statuses == [200]
        assert reader.events == [], last_event_id
    assert nchan.crashes() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"If-Modified-Since": "Thu, 01 Jan 2026 00:00:00 GMT", "If-None-Match": "0"},
        {"If-Modified-Since": "Thu, 01 Jan 2026 00:00:00 GMT"},
        {"If-None-Match": "1700000000:0"},
    ],
)
def test_message_id_headers_are_refused(nchan, headers):
    """Nchan reads a message id from these before nchan_subscriber_last_message_id."""
    response = requests.get(
        f"{nchan.site_url}/live/question-37",
        headers={"Accept": "text/event-stream", **headers},
        timeout=2,
    )
    assert response.status_code == 400


def test_subscriber_location_is_get_only_and_validates_ids(nchan):
    url = f"{nchan.site_url}/live/question-"
    assert requests.post(f"{url}37", data="x", timeout=2).status_code == 403
    for bad in ("abc", "0", "-1", "1/2", "1x", "9" * 19):
        assert requests.get(f"{url}{bad}", timeout=2).status_code == 404, bad


def test_publish_gives_up_after_half_a_second_on_a_hung_server(settings, caplog):
    """A comet server that accepts but never answers costs the request at most the timeout."""
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        settings.LIVE_BACKEND = "nchan"
        settings.LIVE_PUBLISH_URL = f"http://127.0.0.1:{hung.getsockname()[1]}"
        started = time.monotonic()
        assert publisher.publish(42, {"type": "vote"}) is False
        elapsed = time.monotonic() - started
    assert settings.LIVE_PUBLISH_TIMEOUT <= 0.5
    assert 0.4 < elapsed < 0.8
    assert "live publish for question 42 failed" in caplog.text


def test_per_ip_connection_limit(settings):
    nginx = Nginx("nchan.conf", conn_per_ip=3).start()
    try:
        readers = [nginx.subscribe(39) for _ in range(3)]
        for reader in readers:
            reader.wait_connected()
        response = requests.get(f"{nginx.site_url}/live/question-39", timeout=2)
        assert response.status_code == 429
    finally:
        for reader in readers:
            reader.close()
        nginx.cleanup()


def _restart_with_stale_subscribers(
    nginx: Nginx, question_id: int, count: int = 6, strict: bool = True
) -> list:
    """Subscribers attached; nginx restarts (its message store is gone); they reconnect at once
    with the now-stale Last-Event-ID they last saw, as browsers' EventSource does; then several
    messages are published. This is what crashes Nchan 1.3.6 (slact/nchan#676)."""
    channel = f"question-{question_id}"
    readers = [nginx.subscribe(question_id) for _ in range(count)]
    nginx.sync(channel, readers)
    publish = f"{nginx.publish_url}/pub/{channel}"
    requests.post(publish, data=json.dumps({"n": 0}), timeout=2)
    for reader in readers:
        reader.wait_events(1)
    assert all(reader.last_event_id for reader in readers)

    nginx.restart()
    if strict:
        nginx.sync(channel, readers)
    else:  # an unprotected Nchan keeps dropping them: just give them time to come back
        time.sleep(0.6)
    for n in range(1, 4):
        requests.post(publish, data=json.dumps({"n": n}), timeout=2)
    if strict:
        for reader in readers:
            reader.wait_events(4, timeout=3)
    time.sleep(0.3)
    for reader in readers:
        reader.close()
    return readers


def test_restart_with_subscribers_attached_keeps_every_worker_alive(nchan):
    readers = _restart_with_stale_subscribers(nchan, 40)

    assert nchan.crashes() == []
    assert "Assertion" not in nchan.error_log()
    assert len(nchan.worker_pids()) == 2
    for reader in readers:
        assert reader.connects == 2
        assert [json.loads(data)["n"] for data in reader.data()] == [0, 1, 2, 3]


def _debian_nchan_version() -> str:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "libnginx-mod-nchan"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else ""


def test_the_restart_recipe_does_crash_an_unprotected_nchan():
    """Control for the test above: with Nchan's default message-id handling (resume from
    Last-Event-ID) the same recipe kills a worker on Debian's Nchan 1.3.6, so the test above
    proves the protection and not a lucky run. On another Nchan there is nothing to show."""
    version = _debian_nchan_version()
    if not version.split(":")[-1].startswith("1.3.6+"):
        pytest.skip(f"slact/nchan#676 is a 1.3.6 bug; this Nchan is {version or 'not packaged'}")

    protection = "nchan_subscriber_last_message_id $askme_no_resume;"
    removed = []

    def unprotected(conf: str) -> str:  # applied to nginx.conf and to each of its includes
        if protection in conf:
            removed.append(protection)
        conf = conf.replace(protection, "")
        assert "$askme_no_resume;" not in conf
        return conf

    error_log = ""
    for attempt in range(3):  # the crash needs a stale id to meet a publish: give it 3 tries
        nginx = Nginx("nchan.conf", transform=unprotected).start()
        assert removed, "the protection was not found to take out"
        try:
            _restart_with_stale_subscribers(nginx, 41 + attempt, strict=False)
            error_log = nginx.error_log()
        finally:
            nginx.cleanup()
        if "exited on signal" in error_log:
            break
    assert "spool->msg_status == MSG_INVALID" in error_log, "Nchan 1.3.6 did not crash"
    assert "exited on signal 6" in error_log


def test_workers_facing_the_public_port_never_run_as_root(live_site):
    """Started as root, nginx must drop its workers to nobody: the live site serves static files
    and uploads from directories nobody can reach, so the renderer has no reason to keep root."""
    if os.geteuid() != 0:
        pytest.skip("nginx keeps the invoking user's identity when not started as root")
    uids = set()
    for pid in live_site.worker_pids():
        status = Path(f"/proc/{pid}/status").read_text()
        uids.add(
            int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        )
    assert uids and 0 not in uids
    static = requests.get(live_site.site_url + "/static/askme.css", timeout=5)
    assert static.status_code == 200
